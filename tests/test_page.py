"""The release page, index.html: one self-contained file, checked in a real
headless Chromium (Debian's, driven by Playwright): it renders, every table
shows its rows, search and filters narrow them, headers sort them, every id
opens its record with its citations, evidence and sources, the timeline's
marks lead to their records, and no request leaves the page."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import struct
import zlib
from html import escape as html_escape
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import REPO
from dprk_relations.stages.build import build
from dprk_relations.documents.citation import citation_text
from dprk_relations.documents import page as page_module
from dprk_relations.documents.page import SHOWN_ROWS, release_page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NETWORK = ("http:", "https:", "ws:", "wss:", "ftp:")
URI_SAFE = "!*'()"  # what encodeURIComponent leaves as it is, besides letters, digits and -_.~


# -- fixtures and helpers -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def descriptor(release) -> dict:
    return json.loads((release / "datapackage.json").read_text(encoding="utf-8"))


def csv_tables(release: Path, descriptor: dict) -> dict[str, list[list[str]]]:
    """Table name -> rows of its CSV (header first), in descriptor order."""
    return {r["name"]: list(csv.reader(io.StringIO((release / r["path"]).read_text(encoding="utf-8"), newline="")))
            for r in descriptor["resources"] if r["format"] == "csv"}


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


VIEWPORT = {"width": 1280, "height": 900}


def new_context(browser, **options):
    """A browser context whose network requests are aborted, so a test can never reach the outside."""
    context = browser.new_context(viewport=VIEWPORT, **options)
    context.route(lambda url: url.startswith(NETWORK), lambda route: route.abort())
    return context


class Tab:
    """A page whose events go to its current ``log``; dialogs are dismissed."""

    def __init__(self, context):
        self.page = context.new_page()
        self.log = SimpleNamespace(requests=[], errors=[], dialogs=[])  # until a file is opened in it
        self.page.on("request", lambda r: self.log.requests.append(r.url))
        self.page.on("console", lambda m: self.log.errors.append(f"console {m.type}: {m.text}")
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.log.errors.append(f"page error: {e}"))
        self.page.on("dialog", lambda d: (self.log.dialogs.append(d.message), d.dismiss()))


@pytest.fixture(scope="module")
def shared_tab(browser):
    """The page of the tests that need no context options of their own: each test loads its file
    into it afresh (a new document: nothing of the last test's page is left but the history, and
    the page keeps nothing in storage). A new context costs Chromium a new renderer process and
    its first load, about 1.2 CPU-seconds an opening more (docs/performance.md)."""
    context = new_context(browser)
    yield Tab(context)
    context.close()


class Opened:
    """A file loaded in a tab afresh, with what its page did since."""

    def __init__(self, tab: Tab, path: Path):
        self.url = path.resolve().as_uri()
        self.page = tab.page
        self.page.goto("about:blank")  # so that a file the tab shows already (at a #record) is loaded anew
        self.requests, self.errors, self.dialogs = [], [], []
        tab.log = self  # from here on, the tab's events are this page's
        self.page.goto(self.url)
        self.page.wait_for_load_state("load")

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests
                if u.split("#", 1)[0] != self.url and not u.startswith(("data:", "about:"))]

    def assert_clean(self) -> None:
        assert self.foreign_requests() == []
        assert self.errors == []
        assert self.dialogs == []


@pytest.fixture
def open_page(browser, shared_tab):
    """Load a file: in the module's tab, or in a context of its own when the test asks for
    options (permissions, a bypassed Content-Security-Policy)."""
    own: list = []

    def _open(path: Path, **options) -> Opened:
        if not options:
            return Opened(shared_tab, path)
        own.append(new_context(browser, **options))
        return Opened(Tab(own[-1]), path)

    yield _open
    for context in own:
        context.close()


def visible_rows(page, name: str):
    return page.locator(f"#table-{name} table.data tbody tr:visible")


def show_table(page, name: str) -> None:
    """Click the table's tab until its panel shows. On a busy machine (the suite runs on every
    core, Chromium beside it) a click can land before the page's script has wired the tabs;
    a panel that never shows after five clicks fails."""
    from playwright.sync_api import TimeoutError as Timeout

    panel = page.locator(f"#table-{name}")
    for _ in range(5):
        page.click(f"#tab-{name}")
        try:
            panel.wait_for(state="visible", timeout=3_000)
            return
        except Timeout:
            continue
    assert panel.is_visible(), f"the {name} tab never showed its table"


def column(page, name: str, col: str) -> list[str]:
    """The cells of column ``col`` in the visible rows of table ``name``, top to bottom."""
    headers = page.locator(f"#table-{name} table.data thead th").all_text_contents()
    j = headers.index(col)
    return page.eval_on_selector_all(
        f"#table-{name} table.data tbody tr:not([hidden])", f"rows => rows.map(r => r.cells[{j}].textContent)")


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x1f\x4f\x8a" * 4 for _ in range(3))  # 4x3 pixels, RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 3, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


TINY_SVG = (b'<?xml version="1.0" encoding="utf-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="400" '
            b'height="120" viewBox="0 0 400 120"><rect x="10" y="10" width="380" height="100" fill="#1f4f8a"/>'
            b'<text x="20" y="70">1960 &amp; 2018</text></svg>\n')


def page_inputs(release: Path, descriptor: dict) -> tuple[str, dict[str, bytes]]:
    """What documents.py hands release_page: the codebook text and every file written so far."""
    files = {p.relative_to(release).as_posix(): p.read_bytes() for p in sorted(release.rglob("*")) if p.is_file()}
    for late in ("index.html", "README.md", "SHA256SUMS", f"dprk-relations-{descriptor['version']}.zip"):
        files.pop(late, None)
    return files.get("codebook.md", b"").decode("utf-8"), files


def with_rows(files: dict[str, bytes], path: str, total: int) -> tuple[dict[str, bytes], list[list[str]]]:
    """``files`` with the CSV at ``path`` grown (or cut) to ``total`` records, keys made unique."""
    rows = list(csv.reader(io.StringIO(files[path].decode("utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    big = [header] + [[f"{r[0]}-{i}"] + r[1:] for i in range(total) for r in [body[i % len(body)]]]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(big)
    return {**files, path: buf.getvalue().encode("utf-8")}, big


# -- the file itself ----------------------------------------------------------------------------

class Resources(HTMLParser):
    """Every URL the HTML could load (not links to follow), and the CSP."""

    def __init__(self):
        super().__init__()
        self.loads: list[tuple[str, str]] = []
        self.csp = ""
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp = a.get("content") or ""
        for name in ("src", "srcset", "data", "poster", "background"):
            if a.get(name) is not None:
                self.loads.append((tag, a[name]))
        if tag == "link" and a.get("href") is not None:
            self.loads.append((tag, a["href"]))
        if "style" in a:
            self.styles.append(a["style"] or "")
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def test_page_is_byte_identical_across_builds_and_loads_nothing_remote(pkg, release):
    a = build(pkg.root)  # the module's release was built from another copy, in another directory
    assert a.ok
    page_a, page_b = (a.path / "index.html").read_bytes(), (release / "index.html").read_bytes()
    assert page_a == page_b
    for leak in (str(pkg.root), str(release), str(Path.home()), str(REPO), "/tmp/"):
        assert leak.encode() not in page_a, leak
    # Every row is in the page (the record view needs every citation and source): it grows with the data,
    # by about the size of the CSV files, and by little else.
    csv_bytes = sum((release / r["path"]).stat().st_size for r in
                    json.loads((release / "datapackage.json").read_text(encoding="utf-8"))["resources"]
                    if r["format"] == "csv")
    assert len(page_a) < 1.25 * csv_bytes + 1_000_000

    html = page_a.decode("utf-8")
    parser = Resources()
    parser.feed(html)
    assert "default-src 'none'" in parser.csp and "connect-src" not in parser.csp
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", parser.csp)
    assert [(t, u) for t, u in parser.loads if not u.startswith("data:")] == []
    assert all("url(" not in s and "@import" not in s for s in parser.styles)
    assert not re.search(r"<script[^>]*\ssrc=", html, re.I)
    assert not re.search(r"<(img|link|iframe|source|embed|object|audio|video)[^>]*=[\"']?(https?:)?//", html, re.I)


def test_table_data_is_json_that_cannot_break_out_of_its_block(release, descriptor):
    html = (release / "index.html").read_text(encoding="utf-8")
    blocks = re.findall(r'<script type="application/json" id="(data-[^"]+|page-model)">(.*?)</script>', html, re.S)
    tables = csv_tables(release, descriptor)
    assert sorted(b for b, _ in blocks) == sorted([f"data-{n}" for n in tables] + ["page-model"])
    for block, text in blocks:
        assert not re.search(r"[<>&\u2028\u2029]", text), block
        spec = json.loads(text)
        if block != "page-model":  # every row of the table, as in its CSV
            rows = tables[block[5:]]
            assert [c["name"] for c in spec["columns"]] == rows[0]
            assert spec["rows"] == rows[1:] and spec["total"] == len(rows) - 1


def test_a_large_table_is_all_in_the_page_and_drawn_in_batches(release, descriptor, open_page, tmp_path):
    codebook_md, files = page_inputs(release, descriptor)
    total = SHOWN_ROWS + 537
    files, big = with_rows(files, "data/citations.csv", total)
    page_bytes = release_page(descriptor, {}, codebook_md, files)
    assert release_page(descriptor, {}, codebook_md, files) == page_bytes
    block = re.search(rb'<script type="application/json" id="data-citations">(.*?)</script>', page_bytes, re.S)
    spec = json.loads(block.group(1))
    assert spec["rows"] == big[1:] and spec["total"] == total  # the page holds every row
    (tmp_path / "index.html").write_bytes(page_bytes)

    o = open_page(tmp_path / "index.html")
    page = o.page
    show_table(page, "citations")
    assert visible_rows(page, "citations").count() == SHOWN_ROWS  # drawn: the first batch
    assert page.locator("#table-citations .count").inner_text() == f"{total:,} of {total:,} rows"
    more = page.locator("#table-citations .more")
    assert f"first {SHOWN_ROWS:,} of these {total:,} rows" in more.inner_text()
    # search and sort see every row, not only those drawn
    late = big[SHOWN_ROWS + 100][0]
    page.locator("#table-citations input[type=search]").fill(late)
    assert column(page, "citations", "citation_id") == [late]
    assert more.is_hidden()
    page.locator("#table-citations input[type=search]").fill("")
    page.locator("#table-citations thead th button", has_text=re.compile("^citation_id$")).click()
    assert column(page, "citations", "citation_id")[0] == min((r[0] for r in big[1:]), key=str)
    # scrolling to the end of the rows draws the next batch; so does the button, up to the last row
    page.locator("#table-citations .scroll").evaluate("box => { box.scrollTop = box.scrollHeight; }")
    expect(visible_rows(page, "citations")).to_have_count(2 * SHOWN_ROWS)
    button = more.locator("button")
    while not more.is_hidden():
        drawn = visible_rows(page, "citations").count()
        assert button.inner_text() == f"Show {min(SHOWN_ROWS, total - drawn):,} more"
        button.click()
    assert visible_rows(page, "citations").count() == total
    natural = lambda key: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", key)]  # noqa: E731 - as the page
    assert column(page, "citations", "citation_id") == sorted((r[0] for r in big[1:]), key=natural)
    o.assert_clean()


def test_a_census_sized_page_holds_every_row_and_opens_a_record_of_hundreds_of_citations(
        release, descriptor, open_page, tmp_path):
    """A complete census stays under 30,000 rows: with that many, the page is a few megabytes, its
    search finds the last row, and a record with hundreds of citations opens with all of them.
    (How long that takes is no assertion: a timed test fails on a busy machine, not on slow code.)"""
    codebook_md, files = page_inputs(release, descriptor)
    others = sum(len(rows) - 1 for name, rows in csv_tables(release, descriptor).items() if name != "citations")
    files, big = with_rows(files, "data/citations.csv", 30_000 - others)
    html = release_page(descriptor, {}, codebook_md, files)
    csv_bytes = sum(len(files[r["path"]]) for r in descriptor["resources"] if r["format"] == "csv")
    assert len(html) < 1.25 * csv_bytes + 1_000_000  # about the CSV files, and the fixed part
    (tmp_path / "index.html").write_bytes(html)

    context = open_page(tmp_path / "index.html")
    page = context.page
    show_table(page, "citations")
    page.locator("#table-citations input[type=search]").fill(big[-1][0])
    assert column(page, "citations", "citation_id") == [big[-1][0]]
    header = big[0]
    visit = big[-1][header.index("visit_id")] or next(r[header.index("visit_id")] for r in big[1:]
                                                     if r[header.index("visit_id")])
    page.evaluate(f"location.hash = '#record/visits/{visit}'")
    cited = sum(1 for r in big[1:] if r[header.index("visit_id")] == visit)
    assert page.locator("#record ol.citations > li").count() == cited > 100
    context.assert_clean()


def test_a_table_beyond_what_the_page_holds_is_held_in_part_with_its_true_count(release, descriptor, monkeypatch,
                                                                                open_page, tmp_path):
    """A table of more rows than the page holds (EMBED_ROWS, far above a census; lowered to 1,000 here):
    20,000 rows, the page holds 1,000 of them, says 20,000, and is no bigger than with 2,000."""
    monkeypatch.setattr(page_module, "EMBED_ROWS", 1_000)
    codebook_md, files = page_inputs(release, descriptor)
    sizes = {}
    for total in (2_000, 20_000):
        grown, big = with_rows(files, "data/citations.csv", total)
        html = release_page(descriptor, {}, codebook_md, grown)
        sizes[total] = len(html)
        block = re.search(rb'<script type="application/json" id="data-citations">(.*?)</script>', html, re.S)
        spec = json.loads(block.group(1))
        assert spec["total"] == total and spec["rows"] == big[1:1_001]
        text = html.decode("utf-8")
        assert f"holds the first 1,000 of {total:,} rows" in text
        assert f'<span class="n">{total:,}</span>' in text and f"<dt>Rows</dt><dd>{total:,}</dd>" in text
        assert hashlib.sha256(grown["data/citations.csv"]).hexdigest() in text
    assert sizes[20_000] < 2_000_000
    assert abs(sizes[20_000] - sizes[2_000]) < 200  # a few digits differ; no row beyond those held is in it

    # a record beyond the rows held says where it is, and one held opens
    (tmp_path / "index.html").write_bytes(html)
    o = open_page(tmp_path / "index.html")
    o.page.evaluate(f"location.hash = '#record/citations/{big[5_000][0]}'")
    assert "whole table is in data/citations.csv" in o.page.locator("#record").inner_text()
    o.page.evaluate(f"location.hash = '#record/citations/{big[1][0]}'")
    assert o.page.locator("#record h2 code").inner_text() == big[1][0]
    o.assert_clean()


@pytest.mark.parametrize("chunk", [1, 3, 64, 1 << 23])
def test_row_count_is_the_csv_modules_without_parsing(monkeypatch, chunk):
    """The count of records, read from the bytes, is what csv.reader finds, across chunk edges."""
    monkeypatch.setattr(page_module, "COUNT_CHUNK", chunk)
    cells = ["a", "", "x,y", 'say "hi"', "two\nlines", "crlf\r\ninside", "ü", " ", '"']
    cases = [b"", b"h", b"h\n", b"h\n\n\n", b"h\r\n1\r\n\r\n2", b"\xef\xbb\xbfh\n1\n2\n", b"h\n1\n\n2\n3"]
    for i in range(200):
        rows = [[cells[(i * 7 + j * 3 + k) % len(cells)] for k in range(1 + (i + j) % 3)] for j in range(i % 9)]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n" if i % 4 == 0 else "\n").writerows(rows)
        text = buf.getvalue()
        if i % 3 == 0:
            text = text.replace("\n", "\n\n", 1)  # a blank line
        if i % 5 == 0:
            text = text.rstrip("\n")  # no line feed after the last record
        cases.append(text.encode("utf-8"))
    for data in cases:
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        next(reader, None)
        expected = sum(1 for row in reader if row)
        assert page_module._count_records(data) == expected, data
        header, rows, total = page_module._read_csv(data, 2)
        assert total == expected and len(rows) == min(2, expected)


# -- in the browser -----------------------------------------------------------------------------

def test_page_renders_title_version_citation_and_downloads(release, descriptor, open_page):
    o = open_page(release / "index.html", permissions=["clipboard-read", "clipboard-write"])
    page = o.page
    assert descriptor["title"] in page.title() and descriptor["version"] in page.title()
    assert page.locator("h1").inner_text() == descriptor["title"]
    assert page.locator(".masthead .badge").inner_text() == f"Version {descriptor['version']}"
    assert page.locator("#citation-text").inner_text() == citation_text(descriptor)
    page.locator("button[data-copy=citation-text]").click()  # the citation box copies its text
    # expect() polls from Playwright's own world: a wait_for_function string is eval'd in the page,
    # which the page's Content-Security-Policy refuses whenever the first check comes too early.
    expect(page.locator("button[data-copy=citation-text]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == citation_text(descriptor)

    # Every file written before the page is listed with a working relative link, its size and its sha256.
    listed = dict(page.eval_on_selector_all(
        "table.downloads tbody tr:not(.group)",
        "rows => rows.map(r => [r.querySelector('a').getAttribute('href'), "
        "Array.from(r.querySelectorAll('td')).map(td => td.innerText)])"))
    expected = sorted(p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()
                      and p.name not in ("index.html", "README.md", "SHA256SUMS") and p.suffix != ".zip")
    assert sorted(listed) == expected
    for href, cells in listed.items():
        assert cells[3] == hashlib.sha256((release / href).read_bytes()).hexdigest(), href
    zip_name = f"dprk-relations-{descriptor['version']}.zip"
    assert page.locator(f'a[href="{zip_name}"]').count() == 1 and (release / zip_name).is_file()
    for href in page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))"):
        if not href.startswith(("#", "http:", "https:")):
            assert (release / href).is_file(), href
    o.assert_clean()


def test_every_table_shows_its_rows(release, descriptor, open_page):
    o = open_page(release / "index.html")
    tables = csv_tables(release, descriptor)
    assert o.page.locator(".tablist [role=tab]").all_inner_texts() == [
        f'{r["title"]} {len(tables[r["name"]]) - 1:,}' for r in descriptor["resources"] if r["format"] == "csv"]
    for name, rows in tables.items():
        show_table(o.page, name)
        total = len(rows) - 1
        assert visible_rows(o.page, name).count() == min(total, SHOWN_ROWS), name
        assert o.page.locator(f"#table-{name} .count").inner_text() == f"{total:,} of {total:,} rows"
        assert o.page.locator(f"#table-{name} thead th").all_text_contents() == rows[0]
        first = o.page.locator(f"#table-{name} tbody tr").first.locator("td").all_text_contents()
        assert first == rows[1], name
        # the other panels hidden, read in one call (Playwright's "visible": a box, not visibility:hidden)
        shown = o.page.eval_on_selector_all(".panel", "ps => ps.filter(p => { const r = p.getBoundingClientRect(); "
                                            "return r.width > 0 && r.height > 0 && "
                                            "getComputedStyle(p).visibility !== 'hidden'; }).map(p => p.id)")
        assert shown == [f"table-{name}"], (name, shown)
    o.assert_clean()


def test_search_filters_rows_and_clearing_restores_them(release, descriptor, open_page):
    rows = csv_tables(release, descriptor)["visits"]
    body = rows[1:]
    col = rows[0].index("visit_id")
    matches = lambda term: [r for r in body if any(term.lower() in c.lower() for c in r)]  # noqa: E731
    term = next(r[col] for r in body if len(matches(r[col])) == 1)
    where = rows[0].index("location")
    several = next(r[where] for r in body if r[where] and 1 < len(matches(r[where])) < len(body))

    o = open_page(release / "index.html")
    page = o.page
    show_table(page, "visits")
    search = page.locator("#table-visits input[type=search]")
    search.fill(term)
    assert column(page, "visits", "visit_id") == [term]
    assert page.locator("#table-visits .count").inner_text() == f"1 of {len(body)} rows"
    search.fill(several.upper())  # case does not matter
    assert sorted(column(page, "visits", "visit_id")) == sorted(r[col] for r in matches(several))
    search.fill("no-such-value-anywhere")
    assert visible_rows(page, "visits").count() == 0
    assert page.locator("#table-visits .nomatch").is_visible()
    search.fill("")
    assert visible_rows(page, "visits").count() == len(body)
    assert page.locator("#table-visits .count").inner_text() == f"{len(body)} of {len(body)} rows"
    assert not page.locator("#table-visits .nomatch").is_visible()
    o.assert_clean()


def test_clicking_a_header_sorts_and_clicking_again_reverses(release, descriptor, open_page):
    rows = csv_tables(release, descriptor)["visits"]
    body = rows[1:]
    o = open_page(release / "index.html")
    page = o.page
    show_table(page, "visits")
    for col in ("date_min", "source_count"):
        j = rows[0].index(col)
        values = [r[j] for r in body if r[j]]
        key = int if col == "source_count" else str
        assert len(set(values)) > 1
        header = page.locator("#table-visits thead th", has_text=re.compile(f"^{col}$"))
        header.locator("button").click()
        assert header.get_attribute("aria-sort") == "ascending"
        shown = column(page, "visits", col)
        assert shown[0] == min(values, key=key)
        assert [v for v in shown if v] == sorted(values, key=key)
        header.locator("button").click()
        assert header.get_attribute("aria-sort") == "descending"
        shown = column(page, "visits", col)
        assert shown[0] == max(values, key=key)
        assert [v for v in shown if v] == sorted(values, key=key, reverse=True)
        assert visible_rows(page, "visits").count() == len(body)  # sorting loses no row
    o.assert_clean()


def test_long_text_is_clamped_with_the_full_text_on_hover_and_click(release, descriptor, open_page):
    rows = csv_tables(release, descriptor)["visits"]
    j = rows[0].index("summary")
    o = open_page(release / "index.html")
    show_table(o.page, "visits")
    cell = o.page.locator("#table-visits tbody tr").first.locator("td").nth(j)
    assert cell.get_attribute("title") == rows[1][j]
    closed = cell.bounding_box()["height"]
    cell.click()
    assert "open" in cell.get_attribute("class")
    assert cell.bounding_box()["height"] >= closed
    o.assert_clean()


def test_cell_text_is_shown_as_text_never_run_as_html(release, descriptor, open_page, tmp_path):
    evil = '</script><!-- <b>b</b> & <img src=x onerror="document.title=\'pwned\'">'
    codebook_md, files = page_inputs(release, descriptor)
    rows = list(csv.reader(io.StringIO(files["data/visits.csv"].decode("utf-8"), newline="")))
    # a short column, a long one (clamped), a reference (a link) and a list of them
    for col in ("location", "coding_note", "envoy_of_id", "met_ids"):
        rows[2][rows[0].index(col)] = evil
    key = rows[2][0]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    files["data/visits.csv"] = buf.getvalue().encode("utf-8")
    # an address that is a script is no link
    sources = list(csv.reader(io.StringIO(files["data/sources.csv"].decode("utf-8"), newline="")))
    sources[1][sources[0].index("url")] = "javascript:document.title='pwned'"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(sources)
    files["data/sources.csv"] = buf.getvalue().encode("utf-8")
    html = release_page(descriptor, {}, codebook_md, files).decode("utf-8")
    block = re.search(r'<script type="application/json" id="data-visits">(.*?)</script>', html, re.S).group(1)
    assert not re.search(r"[<>&]", block) and json.loads(block)["rows"][1][rows[0].index("location")] == evil
    (tmp_path / "index.html").write_text(html, encoding="utf-8")

    o = open_page(tmp_path / "index.html")
    page = o.page
    show_table(page, "visits")
    page.locator("#table-visits input[type=search]").fill("pwned")
    assert column(page, "visits", "location") == column(page, "visits", "coding_note") == [evil]
    assert column(page, "visits", "envoy_of_id") == column(page, "visits", "met_ids") == [evil]
    assert page.locator("#table-visits tbody b, #table-visits tbody img").count() == 0
    links = page.locator("#table-visits tbody a.id").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert f"#record/actors/{quote(evil, safe=URI_SAFE)}" in links  # the id is a link, percent-encoded
    page.locator(f'#table-visits tbody a.id[href="{href("visits", key)}"]').click()
    record = page.locator("#record")
    expect(record.locator("h2 code")).to_have_text(key)
    assert record.locator(".coding-note").inner_text() == evil
    assert record.locator("b, img").count() == 0
    # a reference to no record says so
    record.locator("dd a.id").filter(has_text="</script>").first.click()
    expect(record.locator("h2 code")).to_have_text(evil)
    assert "no record" in record.locator(".note").inner_text()
    page.evaluate(f"location.hash = {json.dumps(href('sources', sources[1][0]))}")
    expect(record.locator("h2 code")).to_have_text(sources[1][0])
    assert record.locator("dl.fields a.url").count() == 0
    assert "javascript:" in record.locator("dl.fields").inner_text()
    assert page.locator("a[href^='javascript:' i]").count() == 0
    assert "pwned" not in page.title()
    o.assert_clean()


def test_the_timeline_links_cannot_put_markup_into_the_page(release, descriptor, open_page, tmp_path):
    """The page rebuilds the figure's links from parsed values: a title or an address from the SVG
    is text and a percent-encoded key, whatever it holds."""
    evil = '</svg><script>document.title="pwned"</script><img src=x onerror="document.title=1">'
    title = html_escape(evil)
    svg = TINY_SVG.replace(b"</svg>", (
        '<g id="timeline-links" fill="#ffffff" fill-opacity="0">'
        f'<a xlink:href="index.html#record/visits/{quote(evil, safe="")}"><title>{title}</title>'
        '<rect x="10" y="10" width="20" height="20"/></a>'
        '<a xlink:href="javascript:alert(1)"><title>not a record</title>'
        '<rect x="40" y="10" width="20" height="20"/></a>'
        '</g></svg>').encode())
    svg = svg.replace(b'<svg xmlns="http://www.w3.org/2000/svg"',
                      b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"')
    codebook_md, files = page_inputs(release, descriptor)
    files = {p: data for p, data in files.items() if not p.startswith("timeline.")}
    html = release_page(descriptor, {}, codebook_md, {**files, "timeline.svg": svg})
    assert b"<script>document" not in html and b"timeline-links" not in html  # the picture has no links left
    (tmp_path / "index.html").write_bytes(html)
    o = open_page(tmp_path / "index.html")
    page = o.page
    marks = page.locator("#timeline svg.marks a")
    assert marks.evaluate_all("as => as.map(a => a.getAttribute('href'))") == [href("visits", quote(evil, safe=""))]
    assert marks.locator("title").text_content() == evil
    assert page.locator("#timeline script, #timeline img").count() == 1  # the picture itself
    marks.locator("rect").click()
    expect(page.locator("#record h2 code")).to_have_text(evil)
    assert "pwned" not in page.title() and page.title() != "1"
    o.assert_clean()


def test_codebook_is_rendered(release, open_page):
    text = (release / "codebook.md").read_text(encoding="utf-8") if (release / "codebook.md").is_file() else ""
    o = open_page(release / "index.html")
    section = o.page.locator("section#codebook")
    assert section.is_visible()
    if not text.strip():
        assert "no codebook" in section.inner_text()
    else:
        headings = [m.group(2).replace("`", "") for m in re.finditer(r"^(#{1,6}) (.+)$", text, re.M)]
        assert section.locator("h2, h3, h4, h5, h6").all_inner_texts()[:len(headings)] == headings
        assert section.locator("[style]").count() == 0  # the policy forbids style attributes
        # Links inside the codebook and from each table preview land on a codebook heading.
        anchors = o.page.eval_on_selector_all("a[href^='#cb-']", "as => as.map(a => a.getAttribute('href'))")
        assert anchors
        for href in anchors:
            assert o.page.locator(href).count() == 1, href
        o.page.locator("#table-actors a[href^='#cb-']").click()
        assert o.page.locator("#cb-table-actors").is_visible()
    o.assert_clean()


def test_timeline_is_shown_when_the_release_has_one(release, open_page):
    o = open_page(release / "index.html")
    figures = [n for n in ("timeline.svg", "timeline.png") if (release / n).is_file()]
    if figures:
        img = o.page.locator("#timeline img")
        assert img.is_visible()
        assert img.evaluate("i => i.complete && i.naturalWidth > 0")
        assert img.get_attribute("src").startswith("data:image/")
    else:
        assert o.page.locator("#timeline").count() == 0
    o.assert_clean()


@pytest.mark.parametrize("figures, mime", [
    ({"timeline.svg": TINY_SVG, "timeline.png": tiny_png()}, "image/svg+xml"),
    ({"timeline.png": tiny_png()}, "image/png"),
])
def test_timeline_figure_is_embedded_in_the_page(release, descriptor, open_page, tmp_path, figures, mime):
    codebook_md, files = page_inputs(release, descriptor)
    files = {p: data for p, data in files.items() if not p.startswith("timeline.")}
    page_bytes = release_page(descriptor, {}, codebook_md, {**files, **figures})
    (tmp_path / "index.html").write_bytes(page_bytes)  # alone: the figure must come from the page itself
    o = open_page(tmp_path / "index.html")
    img = o.page.locator("#timeline img")
    assert img.is_visible()
    assert img.get_attribute("src").startswith(f"data:{mime};base64,")
    assert img.evaluate("i => i.complete && i.naturalWidth > 0")
    links = o.page.locator("#timeline a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert links == [n for n in ("timeline.svg", "timeline.png") if n in figures]  # the files to download
    o.assert_clean()


def test_no_request_leaves_the_page_even_without_its_policy(release, descriptor, open_page):
    """With the Content-Security-Policy bypassed, every request the page makes is seen: there are
    none but the page itself, while every part of it is used."""
    o = open_page(release / "index.html", bypass_csp=True)
    page = o.page
    page.locator("details.bibtex summary").click()
    page.locator("button[data-copy=citation-text]").click()
    for name in csv_tables(release, descriptor):
        show_table(page, name)
        page.locator(f"#table-{name} tbody a.id").first.click()  # a record, its citations and sources
        expect(page.locator("#record")).to_be_visible()
        page.locator("#record button.close").click()
        page.locator(f"#table-{name} thead th button").first.click()
        page.locator(f"#table-{name} input[type=search]").fill("a")
        for select in page.locator(f"#table-{name} .filters select").all():
            select.select_option(index=1)
    page.locator("#explore").scroll_into_view_if_needed()
    for select in page.locator("[data-view=explore] .filters select").all():
        select.select_option(index=1)
    page.locator("#timeline svg.marks a").first.hover()
    page.locator("#timeline svg.marks a").first.click()
    expect(page.locator("#record")).to_be_visible()
    page.keyboard.press("End")
    page.wait_for_load_state("networkidle")
    assert o.requests and o.requests[0] == o.url
    o.assert_clean()


# -- the explorer: links, records, filters, the timeline ----------------------------------------

def records(release: Path, descriptor: dict) -> dict[str, list[dict]]:
    """Table name -> its rows as dicts, from the release's CSV files."""
    return {name: [dict(zip(rows[0], r)) for r in rows[1:]] for name, rows in csv_tables(release, descriptor).items()}


def schema(descriptor: dict, name: str) -> dict:
    return next(r["schema"] for r in descriptor["resources"] if r["name"] == name and r["format"] == "csv")


def expected_links(descriptor: dict, name: str) -> dict[str, tuple[str, bool]]:
    """Column -> (table it points into, a list?), read from the descriptor here, not by the page's code."""
    s = schema(descriptor, name)
    out = {s["primaryKey"][0]: (name, False)}
    for fk in s.get("foreignKeys", []):
        out[fk["fields"][0]] = (fk["reference"]["resource"] or name, False)
    for rule in s.get("x-rules", []):
        if rule["rule"] == "list-foreign-key":
            out[rule["field"]] = (rule["resource"], True)
    fields = {f["name"]: f for f in s["fields"]}
    if "source_ids" in fields:  # derived from citations.source_id: the ids of the sources cited
        out["source_ids"] = ("sources", True)
    if "amount_usd_rate_id" in fields:  # derived from exchange_rates.rate_id
        out["amount_usd_rate_id"] = ("exchange_rates", False)
    for field, f in fields.items():  # a state derived from an actor: visitor_state_id, speaker_state_id
        if field.endswith("_state_id") and "actors.state_id" in f.get("x-derived-from", []):
            out[field] = ("actors", False)
    return out


def record_target(descriptor: dict, name: str, col: str, row: dict) -> str | None:
    """For an id that stands for whichever reference of its row is filled (a citation's record_id):
    the table of that reference."""
    s = schema(descriptor, name)
    derived = next((f.get("x-derived-from", []) for f in s["fields"] if f["name"] == col), [])
    refs = {fk["fields"][0]: fk["reference"]["resource"] for fk in s.get("foreignKeys", [])}
    if col != "record_id" or not derived or not set(derived) <= set(refs):
        return None
    return next(refs[c] for c in derived if row[c])


def href(table: str, key: str) -> str:
    return f"#record/{table}/{key}"


def cited_most(rows: dict, column: str) -> str:
    """The record cited most often through the citations' ``column`` (the first of those, in key order)."""
    counts: dict[str, int] = {}
    for c in rows["citations"]:
        if c[column]:
            counts[c[column]] = counts.get(c[column], 0) + 1
    return min(counts, key=lambda k: (-counts[k], k))


def decades_of(row: dict, low: str = "date_min", high: str = "date_max") -> set[int]:
    """The decades a record's possible dates overlap (an open end: the other end alone)."""
    if not low:
        return set()
    a, b = (int(row[c][:4]) if row[c] else None for c in (low, high))
    a, b = a if a is not None else b, b if b is not None else a
    return set() if a is None else set(range(a // 10 * 10, b // 10 * 10 + 1, 10))


def test_every_key_and_reference_is_a_link_to_its_record(release, descriptor, open_page):
    rows = csv_tables(release, descriptor)
    o = open_page(release / "index.html")
    page = o.page
    linked = 0
    for name, table in rows.items():
        header, body = table[0], table[1:SHOWN_ROWS + 1]
        links = expected_links(descriptor, name)
        show_table(page, name)
        # per drawn row and column: the text of the cell and the targets of its links
        drawn = page.eval_on_selector_all(
            f"#table-{name} table.data tbody tr",
            "rows => rows.map(r => Array.from(r.cells).map(td => "
            "[td.textContent, Array.from(td.querySelectorAll('a.id')).map(a => a.getAttribute('href'))]))")
        assert [[text for text, _ in r] for r in drawn] == body, name  # links keep the text as it is
        for j, col in enumerate(header):
            for r, cells in zip(body, drawn):
                value, hrefs = r[j], cells[j][1]
                chosen = value and record_target(descriptor, name, col, dict(zip(header, r)))
                if col in links and value:
                    target, is_list = links[col]
                    ids = value.split(" ") if is_list else [value]
                    assert hrefs == [href(target, i) for i in ids], (name, col, value)
                    linked += len(ids)
                elif chosen:
                    assert hrefs == [href(chosen, value)], (name, col, value)
                else:
                    assert hrefs == [], (name, col, value)
    assert linked > 1_500  # ids, references and lists in the rows drawn of every table
    # and a link leads to a record that exists
    targets = page.eval_on_selector_all("#table-visits a.id", "as => as.map(a => a.getAttribute('href'))")
    for target_href in targets[:40]:
        page.evaluate(f"location.hash = {json.dumps(target_href)}")
        assert page.locator("#record h2 code").inner_text() == target_href.rsplit("/", 1)[1]
        assert page.locator("#record dl.fields").count() == 1, target_href  # found, not "no record"
    o.assert_clean()


def test_clicking_an_id_opens_its_record_with_all_its_fields(release, descriptor, open_page):
    rows = records(release, descriptor)
    key = cited_most(rows, "visit_id")
    visit = next(v for v in rows["visits"] if v["visit_id"] == key)
    fields = {f["name"]: f for f in schema(descriptor, "visits")["fields"]}
    actor = next(a for a in rows["actors"] if a["actor_id"] == visit["visitor_id"])

    o = open_page(release / "index.html")
    page = o.page
    show_table(page, "visits")
    page.locator("#table-visits input[type=search]").fill(key)
    before = column(page, "visits", "visit_id")
    assert key in before
    page.locator(f'#table-visits tbody a.id[href="{href("visits", key)}"]').first.click()
    record = page.locator("#record")
    expect(record).to_be_visible()
    assert page.url.endswith(href("visits", key))
    assert record.locator("h2 .kind").inner_text().lower() == "visits"
    assert record.locator("h2 code").inner_text() == key
    # every field, in the order of the table, with its value, and a category's label from the schema
    references = {c for c, (_, is_list) in expected_links(descriptor, "visits").items() if not is_list} - {"visit_id"}
    names = record.locator("dl.fields dt").all_inner_texts()
    assert names == [c for c in visit if c != "coding_note"]
    values = dict(zip(names, record.locator("dl.fields dd").all_inner_texts()))
    for col, value in visit.items():
        if col == "coding_note":
            continue
        labels = {c["value"]: c["label"] for c in fields.get(col, {}).get("categories", [])}
        if value in labels:
            assert values[col] == f"{labels[value]} {value}", col
        elif col in references and value:
            assert values[col].startswith(value + " – "), col  # the id, and who it is
        else:
            assert values[col] == value, col
    assert values["visitor_id"] == f"{visit['visitor_id']} – {actor['name']}"
    assert record.locator(".coding-note").inner_text() == visit["coding_note"]

    # a reference opens its record; Back returns; Close hides the view and keeps the table
    record.locator(f'dd a.id[href="{href("actors", actor["actor_id"])}"]').click()
    expect(record.locator("h2 code")).to_have_text(actor["actor_id"])
    assert record.locator(".record-name").inner_text() == actor["name"]
    assert record.locator(f'.linked a.id[href="{href("visits", key)}"]').count() >= 1  # the visit points here
    page.go_back()
    expect(record.locator("h2 code")).to_have_text(key)
    record.locator("button.close").click()
    expect(record).to_be_hidden()
    assert "#record/" not in page.url
    assert column(page, "visits", "visit_id") == before  # the table is as it was
    assert page.evaluate("document.activeElement.getAttribute('href')") == href("visits", key)  # focus is back
    page.go_back()  # Back reopens the record that was closed
    expect(record.locator("h2 code")).to_have_text(key)
    page.keyboard.press("Escape")
    expect(record).to_be_hidden()
    o.assert_clean()


def test_a_record_shows_its_citations_with_evidence_and_a_link_to_each_source(release, descriptor, open_page):
    rows = records(release, descriptor)
    key = cited_most(rows, "visit_id")
    cites = [c for c in rows["citations"] if c["visit_id"] == key]
    sources = {s["source_id"]: s for s in rows["sources"]}
    assert len(cites) >= 5 and sum(1 for c in cites if sources[c["source_id"]]["url"]) >= 5

    o = open_page(release / "index.html")
    page = o.page
    show_table(page, "visits")
    page.locator("#table-visits input[type=search]").fill(key)
    page.locator(f'#table-visits tbody a.id[href="{href("visits", key)}"]').first.click()
    items = page.locator("#record ol.citations > li")
    expect(items).to_have_count(len(cites))
    assert page.locator("#record h3", has_text="Citations").inner_text() == f"Citations ({len(cites)})"
    for item, cite in zip(items.all(), cites):
        assert item.locator("blockquote.evidence").inner_text() == cite["evidence"]
        assert item.locator(".cite-meta a.id").get_attribute("href") == href("citations", cite["citation_id"])
        if cite["supports"]:
            assert f"Supports {cite['supports']}" in item.locator(".cite-meta").inner_text()
        source = sources[cite["source_id"]]
        line = item.locator(".source")
        assert line.locator("a.id").get_attribute("href") == href("sources", cite["source_id"])
        assert line.locator("a.id").inner_text() == source["title"]
        for part in (source["publisher"], source["published"]):
            assert part in line.inner_text()
        address = line.locator("a.url")
        if not source["url"]:  # the project's own list of checked facts has no address
            assert address.count() == 0
            continue
        assert address.get_attribute("href") == source["url"] and address.inner_text() == source["url"]
        assert address.get_attribute("target") == "_blank" and "noopener" in address.get_attribute("rel")

    # the source's own record: what cites it, each with its evidence and the record it supports
    i, first = next((i, sources[c["source_id"]]) for i, c in enumerate(cites) if sources[c["source_id"]]["url"])
    items.nth(i).locator(".source a.id").click()
    expect(page.locator("#record h2 code")).to_have_text(first["source_id"])
    citing = [c for c in rows["citations"] if c["source_id"] == first["source_id"]]
    cited_by = page.locator("#record ol.citations > li")
    expect(cited_by).to_have_count(len(citing))
    assert cited_by.locator("blockquote").all_inner_texts() == [c["evidence"] for c in citing]
    assert page.locator(f'#record ol.citations a.id[href="{href("visits", key)}"]').count() >= 1
    url = page.locator("#record dl.fields a.url")
    assert url.get_attribute("href") == first["url"]
    o.assert_clean()


def test_every_source_address_on_the_page_is_a_link(release, descriptor, open_page):
    rows = records(release, descriptor)
    o = open_page(release / "index.html")
    page = o.page
    show_table(page, "sources")
    j = list(rows["sources"][0]).index("url")
    cells = page.eval_on_selector_all(
        "#table-sources tbody tr",
        f"rows => rows.map(r => [r.cells[{j}].textContent, "
        f"Array.from(r.cells[{j}].querySelectorAll('a')).map(a => a.getAttribute('href'))])")
    drawn = rows["sources"][:SHOWN_ROWS]
    assert cells == [[s["url"], [s["url"]] if s["url"] else []] for s in drawn]
    assert sum(1 for s in drawn if s["url"]) > 100
    # an address inside a note is a link too, and the note's text is unchanged
    noted = next(s for s in rows["sources"] if "http" in s["note"])
    page.locator("#table-sources input[type=search]").fill(noted["source_id"])
    k = list(rows["sources"][0]).index("note")
    cell = page.locator("#table-sources tbody tr").first.locator("td").nth(k)
    assert cell.text_content() == noted["note"]
    inside = re.findall(r"https?://[^\s<>\"]+", noted["note"])
    assert [h.rstrip(".,;:!?)") for h in inside] == cell.locator("a").evaluate_all(
        "as => as.map(a => a.getAttribute('href'))")
    # on the whole page, every link to the web is a link to an address, never a script
    page.evaluate(f"location.hash = {json.dumps(href('sources', noted['source_id']))}")
    for link in page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))"):
        assert re.match(r"(https?://|#|[\w./-]+$)", link), link
    o.assert_clean()


def test_filters_by_status_and_period_narrow_the_rows(release, descriptor, open_page):
    rows = records(release, descriptor)
    visits = rows["visits"]
    statuses = sorted({v["status"] for v in visits})
    rare = min(statuses, key=lambda s: (sum(v["status"] == s for v in visits), s))
    o = open_page(release / "index.html")
    page = o.page
    show_table(page, "visits")
    status = page.locator("#table-visits select[name=status]")
    period = page.locator("#table-visits select[name=period]")
    options = status.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert sorted(options) == sorted([""] + statuses)  # "" is All
    labels = {c["value"]: c["label"] for c in next(f for f in schema(descriptor, "visits")["fields"]
                                                   if f["name"] == "status")["categories"]}
    assert status.locator(f'option[value="{rare}"]').inner_text() == \
        f"{labels[rare]} ({rare}) · {sum(v['status'] == rare for v in visits)}"

    status.select_option(rare)
    assert sorted(column(page, "visits", "visit_id")) == sorted(v["visit_id"] for v in visits if v["status"] == rare)
    assert page.locator("#table-visits .count").inner_text() == \
        f"{sum(v['status'] == rare for v in visits)} of {len(visits)} rows"
    status.select_option("")

    decades = sorted({d for v in visits for d in decades_of(v)})
    assert period.locator("option").evaluate_all("os => os.map(o => o.value)") == [""] + [str(d) for d in decades] + (
        [" "] if any(not decades_of(v) for v in visits) else [])
    for decade in (1960, 2010):
        period.select_option(str(decade))
        expected = sorted(v["visit_id"] for v in visits if decade in decades_of(v))
        assert 0 < len(expected) < len(visits)
        assert sorted(column(page, "visits", "visit_id")) == expected
    # filters and search together: occurred visits of the 2010s to one host
    status.select_option("occurred")
    page.locator("#table-visits input[type=search]").fill("chn")
    expected = sorted(v["visit_id"] for v in visits if 2010 in decades_of(v) and v["status"] == "occurred"
                      and any("chn" in c.lower() for c in v.values()))
    assert expected and sorted(column(page, "visits", "visit_id")) == expected
    status.select_option("")
    period.select_option("")
    page.locator("#table-visits input[type=search]").fill("")
    assert visible_rows(page, "visits").count() == len(visits)

    # which filters a table has follows its columns
    for name, table in rows.items():
        show_table(page, name)
        header = csv_tables(release, descriptor)[name][0]
        have = sorted(page.locator(f"#table-{name} .filters select").evaluate_all("ss => ss.map(s => s.name)"))
        want = sorted([f for f, c in (("status", "status"), ("dyad", "dyad")) if c in header]
                      + (["period"] if any(c.endswith("_min") for c in header) else []))
        assert have == want, name
    o.assert_clean()


def test_a_dyad_filter_appears_for_a_table_with_a_dyad_column(release, descriptor, open_page, tmp_path):
    """A dyad column (the pair of states, as visits have since 2.0.0's derived columns) brings a filter
    to its table and to the search over all tables, named by the states; a table without one has none.
    Here the dyad is made up from the visitor's and the host's states, whatever the release holds."""
    codebook_md, files = page_inputs(release, descriptor)
    table = list(csv.reader(io.StringIO(files["data/visits.csv"].decode("utf-8"), newline="")))
    states = {a[0]: (a[5] or a[0]) for a in csv_tables(release, descriptor)["actors"][1:]}
    header, j = table[0], table[0].index("dyad") if "dyad" in table[0] else len(table[0])
    visitor, host = header.index("visitor_id"), header.index("host_id")
    dyad = ["_".join(sorted({states[r[visitor]], states[r[host]]})) for r in table[1:]]
    body = [r[:j] + [d] + r[j + 1:] for r, d in zip(table[1:], dyad)]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header[:j] + ["dyad"] + header[j + 1:]] + body)
    files["data/visits.csv"] = buf.getvalue().encode("utf-8")
    grown = json.loads(json.dumps(descriptor))
    visits = next(r for r in grown["resources"] if r["name"] == "visits" and r["format"] == "csv")
    if not any(f["name"] == "dyad" for f in visits["schema"]["fields"]):
        visits["schema"]["fields"].append({"name": "dyad", "type": "string", "description": "The pair of states.",
                                           "x-derived-from": ["visitor_id", "host_id", "actors.state_id"]})
    (tmp_path / "index.html").write_bytes(release_page(grown, {}, codebook_md, files))

    dyads = sorted(set(dyad))
    pick = max(dyads, key=lambda d: (dyad.count(d), d))
    o = open_page(tmp_path / "index.html")
    page = o.page
    show_table(page, "visits")
    select = page.locator("#table-visits select[name=dyad]")
    assert sorted(select.locator("option").evaluate_all("os => os.map(o => o.value)")) == sorted([""] + dyads)
    names = {a[0]: a[1] for a in csv_tables(release, descriptor)["actors"][1:]}
    assert select.locator(f'option[value="{pick}"]').inner_text() == \
        " – ".join(names[k] for k in pick.split("_")) + f" ({pick}) · {dyad.count(pick)}"  # "China – North Korea"
    select.select_option(pick)
    assert sorted(column(page, "visits", "visit_id")) == sorted(r[0] for r, d in zip(body, dyad) if d == pick)
    assert 0 < visible_rows(page, "visits").count() < len(body)
    without = next(n for n, t in csv_tables(release, descriptor).items() if "dyad" not in t[0])
    show_table(page, without)
    assert page.locator(f"#table-{without} select[name=dyad]").count() == 0  # a table without a dyad has none
    # the search over all tables offers it too, and a dyad keeps the records of tables that have one
    page.locator("#explore").scroll_into_view_if_needed()
    explore = page.locator("[data-view=explore]")
    explore.locator("select[name=dyad]").select_option(pick)
    others = sum(r[t[0].index("dyad")] == pick for name, t in csv_tables(release, descriptor).items()
                 if name != "visits" and "dyad" in t[0] for r in t[1:])  # other tables with a dyad of their own
    expect(explore.locator(".count")).to_have_text(re.compile(f"^{dyad.count(pick) + others} of "))
    o.assert_clean()


def test_the_search_over_all_tables_filters_by_table_status_and_period(release, descriptor, open_page):
    rows = records(release, descriptor)
    total = sum(len(t) for t in rows.values())
    o = open_page(release / "index.html")
    page = o.page
    page.locator("#explore").scroll_into_view_if_needed()
    view = page.locator("[data-view=explore]")
    count = view.locator(".count")
    expect(count).to_have_text(f"{total:,} of {total:,} records")
    assert view.locator("select[name=dyad]").count() == (1 if any("dyad" in t[0] for t in rows.values() if t) else 0)

    view.locator("select[name=table]").select_option("sanctions")
    expect(count).to_have_text(f"{len(rows['sanctions'])} of {total:,} records")
    assert view.locator("select[name=status] optgroup").evaluate_all("gs => gs.map(g => g.label)") == [
        r["title"] for r in descriptor["resources"] if r["format"] == "csv" and rows[r["name"]]
        and "status" in rows[r["name"]][0]]  # a group of statuses per table that has them: visits, aid, sanctions
    view.locator("select[name=table]").select_option("")
    view.locator("select[name=status]").select_option("visits\u001fcancelled")
    cancelled = [v["visit_id"] for v in rows["visits"] if v["status"] == "cancelled"]
    expect(count).to_have_text(f"{len(cancelled)} of {total:,} records")
    view.locator("select[name=status]").select_option("")

    view.locator("select[name=period]").select_option("1960")
    expected = sorted((name, r[schema(descriptor, name)["primaryKey"][0]]) for name, table in rows.items()
                      for r in table if 1960 in decades_of(r, *period_columns(r)))
    shown = view.locator("tbody tr").evaluate_all(
        "rs => rs.map(r => [r.cells[1].querySelector('a').getAttribute('href').split('/')[1], r.cells[1].textContent])")
    assert sorted(map(tuple, shown)) == expected and len(expected) > 20
    assert {n for n, _ in expected} >= {"visits", "aid", "events", "offices", "agreements"}
    # with a table and a search, down to one record, whose id opens its record
    one = next(k for n, k in expected if n == "visits")
    view.locator("select[name=table]").select_option("visits")
    view.locator("input[type=search]").fill(one)
    matches = [v for v in rows["visits"] if 1960 in decades_of(v) and any(one in c for c in v.values())]
    expect(count).to_have_text(f"{len(matches)} of {total:,} records")
    view.locator(f'tbody a.id[href="{href("visits", one)}"]').click()
    expect(page.locator("#record h2 code")).to_have_text(one)
    o.assert_clean()


def period_columns(row: dict) -> tuple[str, str]:
    """The dates that place a row in a decade: date_min and date_max, else the first *_min and *_max."""
    low = "date_min" if "date_min" in row else next((c for c in row if c.endswith("_min")), None)
    return (low, low[:-4] + "_max") if low else ("", "")


def test_each_timeline_mark_names_its_record_and_opens_it(release, descriptor, open_page):
    rows = records(release, descriptor)
    dated = [(name, r[schema(descriptor, name)["primaryKey"][0]], r) for name in DATED_TABLES
             for r in rows[name] if r["date_min"] or r["date_max"]]
    o = open_page(release / "index.html")
    page = o.page
    marks = page.locator("#timeline svg.marks a")
    hrefs = marks.evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert sorted(hrefs) == sorted(href(name, key) for name, key, _ in dated)
    # the links lie on the picture: the same box
    img, svg = (page.locator(f"#timeline {s}").bounding_box() for s in ("img", "svg.marks"))
    assert all(abs(img[k] - svg[k]) < 1 for k in ("x", "y", "width", "height"))

    name, key, row = next((n, k, r) for n, k, r in dated if n == "visits" and r["status"] == "occurred")
    mark = page.locator(f'#timeline svg.marks a[href="{href(name, key)}"]')
    tooltip = mark.locator("title").text_content()
    assert tooltip.startswith(f"Visit {key} (occurred): {row['date']} · ")
    mark.scroll_into_view_if_needed()
    rect = mark.locator("rect")
    assert rect.evaluate("r => getComputedStyle(r).fillOpacity") == "0"
    mark.hover()
    assert float(rect.evaluate("r => getComputedStyle(r).fillOpacity")) > 0  # the mark under the pointer shows
    # a real click at the mark's place on the picture opens the record
    box = rect.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#record h2 code")).to_have_text(key)
    assert page.url.endswith(href(name, key))
    # by keyboard: one Tab stop, the arrow keys move along the marks, Enter opens one
    page.locator("#record button.close").click()
    assert marks.evaluate_all("as => as.filter(a => a.getAttribute('tabindex') === '0').length") == 1
    marks.first.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.getAttribute('href')") == hrefs[2]
    page.keyboard.press("Enter")
    expect(page.locator("#record h2 code")).to_have_text(hrefs[2].rsplit("/", 1)[1])
    o.assert_clean()


DATED_TABLES = ("visits", "aid", "sanctions", "statements", "events")
