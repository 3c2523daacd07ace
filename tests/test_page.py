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
import shutil
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import PACKAGE_PARTS, REPO, Copy
from dprk_relations.stages.build import build
from dprk_relations.documents.citation import citation_text
from dprk_relations.documents import page as page_module
from dprk_relations.documents.page import SHOWN_ROWS, release_page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NETWORK = ("http:", "https:", "ws:", "wss:", "ftp:")


# -- fixtures and helpers -------------------------------------------------------------------------

def copy_package(root: Path) -> Copy:
    """A copy of the real package, as the ``pkg`` fixture makes (shared by a module)."""
    root.mkdir(parents=True)
    for part in PACKAGE_PARTS:
        src = REPO / part
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, root / part)
    return Copy(root)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    result = build(copy_package(tmp_path_factory.mktemp("page") / "pkg").root)
    assert result.ok, result.report
    assert (result.path / "index.html").is_file()
    return result.path


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


class Opened:
    """A page in its own browser context, with every request, console error and dialog recorded.
    Network requests are also aborted, so a test can never reach the outside."""

    def __init__(self, browser, path: Path, **context):
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, **context)
        self.context.route(lambda url: url.startswith(NETWORK), lambda route: route.abort())
        self.page = page = self.context.new_page()
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.goto(self.url)
        page.wait_for_load_state("load")

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests
                if u.split("#", 1)[0] != self.url and not u.startswith(("data:", "about:"))]

    def assert_clean(self) -> None:
        assert self.foreign_requests() == []
        assert self.errors == []
        assert self.dialogs == []


@pytest.fixture
def open_page(browser):
    opened: list[Opened] = []

    def _open(path: Path, **context) -> Opened:
        opened.append(Opened(browser, path, **context))
        return opened[-1]

    yield _open
    for o in opened:
        o.context.close()


def visible_rows(page, name: str):
    return page.locator(f"#table-{name} table.data tbody tr:visible")


def show_table(page, name: str) -> None:
    page.click(f"#tab-{name}")
    assert page.locator(f"#table-{name}").is_visible()


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


def test_a_census_sized_page_opens_quickly(release, descriptor, open_page, tmp_path):
    """A complete census stays under 30,000 rows: with that many, the page is a few megabytes, opens in
    a few seconds at most, and a record with hundreds of citations opens at once."""
    codebook_md, files = page_inputs(release, descriptor)
    others = sum(len(rows) - 1 for name, rows in csv_tables(release, descriptor).items() if name != "citations")
    files, big = with_rows(files, "data/citations.csv", 30_000 - others)
    html = release_page(descriptor, {}, codebook_md, files)
    csv_bytes = sum(len(files[r["path"]]) for r in descriptor["resources"] if r["format"] == "csv")
    assert len(html) < 1.25 * csv_bytes + 1_000_000  # about the CSV files, and the fixed part
    (tmp_path / "index.html").write_bytes(html)

    context = open_page(tmp_path / "index.html")
    page = context.page
    took = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    assert took < 5_000, took  # milliseconds to the load event (about 1 s on a shared 2-core machine)
    start = page.evaluate("performance.now()")
    show_table(page, "citations")
    page.locator("#table-citations input[type=search]").fill(big[-1][0])
    assert column(page, "citations", "citation_id") == [big[-1][0]]
    header = big[0]
    visit = big[-1][header.index("visit_id")] or next(r[header.index("visit_id")] for r in big[1:]
                                                     if r[header.index("visit_id")])
    page.evaluate(f"location.hash = '#record/visits/{visit}'")
    cited = sum(1 for r in big[1:] if r[header.index("visit_id")] == visit)
    assert page.locator("#record ol.citations > li").count() == cited > 100
    assert page.evaluate("performance.now()") - start < 5_000
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
    page.wait_for_function("document.querySelector('button[data-copy=citation-text]').textContent === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()") == citation_text(descriptor)

    # Every file written before the page is listed with a working relative link, its size and its sha256.
    listed = {}
    for row in page.locator("table.downloads tbody tr:not(.group)").all():
        cells = row.locator("td").all_inner_texts()
        listed[row.locator("a").get_attribute("href")] = cells
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
        others = [p for p in o.page.locator(".panel").all() if p.get_attribute("id") != f"table-{name}"]
        assert not any(p.is_visible() for p in others)
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
    for col in ("location", "coding_note"):  # a short column and a long one (clamped)
        rows[2][rows[0].index(col)] = evil
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    files["data/visits.csv"] = buf.getvalue().encode("utf-8")
    html = release_page(descriptor, {}, codebook_md, files).decode("utf-8")
    block = re.search(r'<script type="application/json" id="data-visits">(.*?)</script>', html, re.S).group(1)
    assert not re.search(r"[<>&]", block) and json.loads(block)["rows"][1][rows[0].index("location")] == evil
    (tmp_path / "index.html").write_text(html, encoding="utf-8")

    o = open_page(tmp_path / "index.html")
    show_table(o.page, "visits")
    o.page.locator("#table-visits input[type=search]").fill("pwned")
    assert column(o.page, "visits", "location") == column(o.page, "visits", "coding_note") == [evil]
    assert o.page.locator("#table-visits tbody b, #table-visits tbody img").count() == 0
    assert "pwned" not in o.page.title()
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
        page.locator(f"#table-{name} thead th button").first.click()
        page.locator(f"#table-{name} input[type=search]").fill("a")
    page.keyboard.press("End")
    page.wait_for_load_state("networkidle")
    assert o.requests and o.requests[0] == o.url
    o.assert_clean()
