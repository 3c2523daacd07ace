"""The release page, index.html: one self-contained file that works offline.

Everything the page shows is in the file: the styles and script inline, the
timeline as a data: URI, each table's preview as JSON in a
``<script type="application/json">`` block. A Content-Security-Policy forbids
every network request, and allows only the page's own inline style and script
(by their sha256). Data cells are written with ``textContent``, never parsed
as HTML, and the JSON escapes ``<``, ``>`` and ``&`` so no cell can close its
block.

The same inputs give the same bytes: nothing here reads the clock, draws a
random number or looks at the file system.

The page's size and cost do not grow with the tables: a preview parses only the
first PREVIEW_ROWS rows of its CSV, the row count is read from the bytes with
numpy (record ends outside quotes), and sizes and hashes are of the bytes.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
import re
from pathlib import Path
from urllib.parse import quote

import numpy as np

from dprk_relations.documents.citation import DATASET, author_names, citation_text
from dprk_relations.documents.files import sha256_hex

PREVIEW_ROWS = 1000  # rows of each table in the page; the files hold the rest
LONG_TEXT = 80  # characters: a column with longer values is clamped, full text on hover or click
LONG_COLUMNS = {"summary", "coding_note", "evidence", "note", "description", "title", "role"}
NUMERIC_TYPES = {"integer", "number", "year"}
FIGURES = (("timeline.svg", "image/svg+xml"), ("timeline.png", "image/png"))
IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp"}
FILE_NOTES = {
    "datapackage.json": "Data Package descriptor: every table, column, size and hash",
    "CITATION.cff": "Citation metadata (Citation File Format)",
    "CHANGELOG.md": "What changed between versions",
    "codebook.md": "Codebook (Markdown), as below",
    "timeline.svg": "Timeline figure (SVG)",
    "timeline.png": "Timeline figure (PNG)",
}


def release_page(descriptor: dict, tables: dict, codebook_md: str, files: dict[str, bytes]) -> bytes:
    """The bytes of index.html for the release described by ``descriptor``."""
    version = str(descriptor.get("version", ""))
    title = str(descriptor.get("title") or DATASET)
    previews = _previews(descriptor, tables, files)
    figure = _figure(files)
    codebook_html, codebook_ids = _codebook_section(codebook_md, files)

    sections = [
        ("cite", "Cite", _citation_section(descriptor)),
        ("downloads", "Download", _downloads_section(descriptor, files, version)),
    ]
    changes = _changes_section(files.get("CHANGELOG.md", b"").decode("utf-8"), version)
    if changes:
        sections.append(("changes", "Changes", changes))
    if figure:
        sections.append(("timeline", "Timeline", figure))
    if previews:
        sections.append(("tables", "Tables", _tables_section(previews, codebook_ids)))
    sections.append(("codebook", "Codebook", codebook_html))

    nav = "".join(f'<a href="#{sid}">{_e(label)}</a>' for sid, label, _ in sections)
    body = "\n".join(f'<section id="{sid}">\n{content}\n</section>' for sid, _, content in sections)
    data = "\n".join(f'<script type="application/json" id="data-{p["id"]}">{_json(p["data"])}</script>'
                     for p in previews)
    csp = "; ".join([
        "default-src 'none'",
        "img-src data:",
        f"style-src '{_sha256_b64(CSS)}'",
        f"script-src '{_sha256_b64(SCRIPT)}'",
        "base-uri 'none'",
        "form-action 'none'",
    ])
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="dprk-relations">
<title>{_e(title)} · version {_e(version)}</title>
<meta name="description" content="{_e(descriptor.get('description', ''))}">
<link rel="icon" href="data:,">
<style>{CSS}</style>
</head>
<body>
{_masthead(descriptor, previews, nav)}
<main class="wrap">
{body}
</main>
<footer class="wrap">
<p>{_e(title)}, version {_e(version)}. This page is generated from the release's
<a href="datapackage.json">datapackage.json</a> and data files; it is one self-contained file and loads
nothing from the network.</p>
</footer>
{data}
<script>{SCRIPT}</script>
</body>
</html>
"""
    return page.encode("utf-8")


# -- pieces -------------------------------------------------------------------------------------

def _masthead(meta: dict, previews: list[dict], nav: str) -> str:
    version = str(meta.get("version", ""))
    facts = [f'<span class="badge">Version {_e(version)}</span>']
    if meta.get("created"):
        facts.append(f"<span>Released {_e(str(meta['created'])[:10])}</span>")
    lic = (meta.get("licenses") or [{}])[0]
    if lic.get("name"):
        label = _e(lic.get("title") or lic["name"])
        facts.append(f'<span>Licence: <a href="{_e(lic["path"])}">{label}</a></span>' if lic.get("path")
                     else f"<span>Licence: {label}</span>")
    if previews:
        rows = sum(p["total"] for p in previews)
        facts.append(f"<span>{len(previews)} tables, {rows:,} rows</span>")
    keywords = "".join(f"<li>{_e(k)}</li>" for k in meta.get("keywords", []))
    authors = "; ".join(author_names(meta))
    return f"""<header class="masthead">
<div class="wrap">
<p class="eyebrow">Research dataset · {_e(meta.get('name') or DATASET)}</p>
<h1>{_e(meta.get('title') or DATASET)}</h1>
<p class="facts">{' '.join(facts)}</p>
<p class="lede">{_e(meta.get('description', ''))}</p>
<p class="authors">{_e(authors)}</p>
{f'<ul class="keywords" aria-label="Keywords">{keywords}</ul>' if keywords else ''}
<nav aria-label="Sections">{nav}</nav>
</div>
</header>"""


def _citation_section(meta: dict) -> str:
    return f"""<h2>Cite this dataset</h2>
<div class="cite-box">
<p class="cite-text" id="citation-text">{_e(citation_text(meta))}</p>
<button type="button" class="copy" data-copy="citation-text" hidden>Copy</button>
</div>
<details class="bibtex">
<summary>BibTeX</summary>
<div class="cite-box">
<pre id="citation-bibtex">{_e(_bibtex(meta))}</pre>
<button type="button" class="copy" data-copy="citation-bibtex" hidden>Copy</button>
</div>
</details>
<p class="note">The same in machine-readable form: <a href="CITATION.cff">CITATION.cff</a>.
Please cite the version you used.</p>"""


def _bibtex(meta: dict) -> str:
    version = str(meta.get("version", ""))
    key = re.sub(r"[^A-Za-z0-9]+", "_", f"{meta.get('name') or DATASET}_{version}").strip("_")
    fields = [
        ("author", " and ".join("{" + _bib(a) + "}" for a in author_names(meta))),
        ("title", "{" + _bib(str(meta.get("title") or DATASET)) + "}"),
    ]
    if meta.get("created"):
        fields.append(("year", str(meta["created"])[:4]))
    fields.append(("version", _bib(version)))
    lic = (meta.get("licenses") or [{}])[0].get("name")
    fields.append(("note", "Dataset" + (f", {_bib(lic)}" if lic else "")))
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
    return f"@misc{{{key},\n{body}\n}}"


def _bib(text: str) -> str:
    return re.sub(r"([&%$#_{}])", r"\\\1", text).replace("~", r"\textasciitilde{}").replace("^", r"\^{}")


def _downloads_section(meta: dict, files: dict[str, bytes], version: str) -> str:
    resources = {r.get("path"): r for r in meta.get("resources", [])}
    listed = [p for p in files if p != "index.html" and files[p] is not None]
    order = {r.get("path"): i for i, r in enumerate(meta.get("resources", []))}
    data = sorted((p for p in listed if p.startswith("data/")), key=lambda p: (order.get(p, len(order)), p))
    docs = sorted(p for p in listed if not p.startswith("data/"))

    def row(path: str) -> str:
        res = resources.get(path, {})
        note = FILE_NOTES.get(path, "")
        if res:
            kind = {"csv": "CSV", "parquet": "Parquet, typed"}.get(res.get("format", ""), res.get("format", ""))
            base = str(res.get("title", res.get("name", ""))).replace(" (Parquet)", "")
            note = f"{base} ({kind})" if kind else base
        digest = sha256_hex(files[path])
        return (f'<tr><td class="file">{_link(path)}</td><td>{_e(note)}</td>'
                f'<td class="num" title="{len(files[path]):,} bytes">{_size(len(files[path]))}</td>'
                f'<td class="hash"><code>{digest}</code></td></tr>')

    zip_name = f"{DATASET}-{version}.zip"
    groups = [("Data", data), ("Documentation and metadata", docs)]
    bodies = "\n".join(
        f'<tbody><tr class="group"><th colspan="4" scope="colgroup">{_e(label)}</th></tr>\n'
        + "\n".join(row(p) for p in paths) + "</tbody>"
        for label, paths in groups if paths)
    return f"""<h2>Download</h2>
<p class="download-all">{_link(zip_name, 'Download the whole release')}
<span>{_e(zip_name)}: every file below, with this page, README.md and SHA256SUMS.</span></p>
<div class="scroll">
<table class="downloads">
<thead><tr><th scope="col">File</th><th scope="col">Contents</th><th scope="col" class="num">Size</th>
<th scope="col">SHA-256</th></tr></thead>
{bodies}
</table>
</div>
<p class="note">Also in the release: {_link('README.md')} (what is in it and how to load it) and
{_link('SHA256SUMS')} (the SHA-256 of every file). The archive {_e(zip_name)} holds this page, so its own
hash cannot be printed here; check a download with <code>dprk-relations verify {_e(zip_name)}</code>.</p>"""


def _figure(files: dict[str, bytes]) -> str:
    for name, mime in FIGURES:
        if files.get(name):
            links = " · ".join(_link(n, n) for n, _ in FIGURES if files.get(n))
            return f"""<h2>Timeline</h2>
<figure class="timeline">
<img src="{_data_uri(files[name], mime)}" alt="Timeline of the dated records in this release">
<figcaption>The dated records of this release over time. Download: {links}.</figcaption>
</figure>"""
    return ""


def _previews(meta: dict, tables: dict, files: dict[str, bytes]) -> list[dict]:
    """One preview per CSV table, in descriptor order: columns, the first rows, the row count."""
    out, ids = [], set()
    for res in meta.get("resources", []):
        path = res.get("path")
        if res.get("format") != "csv" or not isinstance(path, str) or path not in files:
            continue
        name = str(res.get("name", path))
        header, rows, total = _read_csv(files[path], PREVIEW_ROWS)
        schema = res.get("schema") or getattr(tables.get(name), "schema", None) or {}
        fields = {f.get("name"): f for f in schema.get("fields", [])}
        columns = []
        for j, col in enumerate(header):
            f = fields.get(col, {})
            longest = max((len(r[j]) for r in rows if j < len(r)), default=0)
            columns.append({
                "name": col,
                "type": f.get("type", "string"),
                "description": f.get("description", ""),
                "derived": bool(f.get("x-derived-from")),
                "numeric": f.get("type") in NUMERIC_TYPES,
                "long": longest > LONG_TEXT or (col in LONG_COLUMNS and longest > LONG_TEXT // 2),
            })
        rows = [r + [""] * (len(header) - len(r)) if len(r) < len(header) else r[:len(header)] for r in rows]
        rt = tables.get(name)
        row_text = getattr(getattr(rt, "table", None), "row_description", "") or schema.get("x-row", "")
        key = schema.get("primaryKey") or list(getattr(getattr(rt, "table", None), "primary_key", ()) or ())
        tid = _unique(re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-") or "table", ids)
        parquet = next((r.get("path") for r in meta.get("resources", [])
                        if r.get("format") == "parquet" and r.get("path") == path[:-4] + ".parquet"
                        and r.get("path") in files), None)
        out.append({
            "id": tid, "name": name, "title": str(res.get("title") or name),
            "description": str(res.get("description", "")), "row": str(row_text),
            "key": [key] if isinstance(key, str) else list(key), "path": path, "parquet": parquet,
            "bytes": len(files[path]), "parquet_bytes": len(files[parquet]) if parquet else 0,
            "total": total, "shown": len(rows),
            "data": {"columns": columns, "rows": rows, "total": total},
        })
    return out


def _read_csv(data: bytes, cap: int) -> tuple[list[str], list[list[str]], int]:
    """The header, the first ``cap`` records (a blank line is none) and the number of records.

    Only the rows shown are parsed (and only as much of the file decoded); the count comes from
    ``_count_records``, so a table of a million rows costs no more than one of a thousand here.
    """
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""))
    header = next(reader, [])
    rows: list[list[str]] = []
    if cap > 0:
        for row in reader:
            if row:  # a blank line is no record
                rows.append(row)
                if len(rows) == cap:
                    break
    return header, rows, _count_records(data)


COUNT_CHUNK = 1 << 23  # bytes scanned at a time when counting records


def _count_records(data: bytes) -> int:
    """The records after the header, as ``csv.reader`` would count them, without parsing them.

    A record ends at a line feed outside quotes: one that follows an even number of double
    quotes from the start of the file (an escaped quote ``""`` counts twice, so it changes
    nothing). A blank line (empty, or a lone carriage return) is no record, and neither is
    the first line, the header. Vectorised over the bytes with numpy, a chunk at a time.
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    ends, quotes = [], 0  # line feeds that end a record; quotes before the current chunk
    for base in range(0, len(raw), COUNT_CHUNK):
        chunk = raw[base:base + COUNT_CHUNK]
        q = np.flatnonzero(chunk == 0x22)
        lf = np.flatnonzero(chunk == 0x0A)
        if len(q) or quotes % 2:
            lf = lf[(np.searchsorted(q, lf) + quotes) % 2 == 0]
        quotes += len(q)
        ends.append(lf + base)
    ends = np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64)
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64) if len(ends) else ends
    lengths = ends - starts
    blank = (lengths == 0) | ((lengths == 1) & (raw[starts] == 0x0D))
    lines = (~blank).astype(np.int64)
    tail = data[int(ends[-1]) + 1:] if len(ends) else data  # the last line, when no line feed ends it
    lines = np.concatenate([lines, [1 if tail not in (b"", b"\r") else 0]]) if tail else lines
    return int(lines[1:].sum())


def _tables_section(previews: list[dict], codebook_ids: set[str]) -> str:
    tabs = "".join(
        f'<button type="button" role="tab" id="tab-{p["id"]}" aria-controls="table-{p["id"]}" '
        + ('aria-selected="true">' if i == 0 else 'aria-selected="false" tabindex="-1">')
        + f'{_e(p["title"])} <span class="n">{p["total"]:,}</span></button>'
        for i, p in enumerate(previews))
    panels = "\n".join(_panel(p, codebook_ids) for p in previews)
    return f"""<h2>Tables</h2>
<p class="note">A preview of each table: type in the search box to filter its rows, click a column
heading to sort (again to reverse), hover over a column heading for its description, and click a long
text to read all of it. The codebook below documents every column.</p>
<div class="tablist" role="tablist" aria-label="Tables" hidden>{tabs}</div>
<noscript><p class="note">The previews need JavaScript; the data files are in the downloads above.</p></noscript>
{panels}"""


def _panel(p: dict, codebook_ids: set[str]) -> str:
    downloads = [f'{_link(p["path"], "CSV")} ({_size(p["bytes"])})']
    if p["parquet"]:
        downloads.append(f'{_link(p["parquet"], "Parquet")} ({_size(p["parquet_bytes"])})')
    facts = []
    if p["row"]:
        facts.append(f"<dt>A row is</dt><dd>{_e(p['row'])}</dd>")
    if p["key"]:
        facts.append("<dt>Key</dt><dd>" + ", ".join(f"<code>{_e(k)}</code>" for k in p["key"]) + "</dd>")
    facts.append(f"<dt>Rows</dt><dd>{p['total']:,}</dd>")
    facts.append(f"<dt>Files</dt><dd>{' · '.join(downloads)}</dd>")
    entry = "cb-" + _slug(f"table {p['name']}")  # the codebook's heading "Table `name`"
    if entry in codebook_ids:
        facts.append(f'<dt>Columns</dt><dd><a href="#{entry}">described in the codebook</a></dd>')
    cap = ""
    if p["shown"] < p["total"]:
        cap = (f'<p class="cap">This preview holds the first {p["shown"]:,} of {p["total"]:,} rows; search and '
               f'sort apply to these. The whole table is in {_link(p["path"])}.</p>')
    return f"""<div class="panel" role="tabpanel" id="table-{p['id']}" aria-labelledby="tab-{p['id']}"
data-table="{p['id']}">
<h3>{_e(p['title'])} <code>{_e(p['name'])}</code></h3>
<p>{_e(p['description'])}</p>
<dl class="facts">{''.join(facts)}</dl>
{cap}
<div class="toolbar">
<input type="search" placeholder="Search {_e(p['title'].lower())}…" aria-label="Search {_e(p['title'])}"
autocomplete="off" spellcheck="false">
<span class="count" aria-live="polite">{p['shown']:,} rows</span>
</div>
<div class="scroll preview"><table class="data"><tbody></tbody></table></div>
<p class="nomatch" hidden>No rows match the search.</p>
</div>"""


def _changes_section(changelog: str, version: str) -> str:
    """This version's changelog entry (its errata first of all: every corrected value, old and new)."""
    heading = f"## {version} "
    start = next((i for i, line in enumerate(changelog.splitlines()) if line.startswith(heading)), None)
    if start is None:
        return ""
    lines = changelog.splitlines()[start + 1:]
    end = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).render("\n".join(lines[:end]))
    return (f"<h2>Changes in version {_e(version)}</h2>\n<p class=\"note\">Corrected records list every changed "
            f"value, old and new; earlier versions are in {_link('CHANGELOG.md')}.</p>\n"
            f'<div class="changes">\n{body}</div>')


def _codebook_section(text: str, files: dict[str, bytes]) -> tuple[str, set[str]]:
    """The codebook as HTML, and the ids of its headings (cb-<slug>)."""
    if not text.strip():
        return "<h2>Codebook</h2>\n<p class=\"note\">This release has no codebook.</p>", set()
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    tokens = md.parse(text)
    ids: set[str] = {"codebook"}
    first_h1 = bool(tokens) and tokens[0].type == "heading_open" and tokens[0].tag == "h1"
    for i, tok in enumerate(tokens):
        if tok.type in ("heading_open", "heading_close"):
            tok.tag = f"h{min(int(tok.tag[1]) + 1, 6)}"  # the codebook's h1 is this section's h2
            if tok.type == "heading_open" and i + 1 < len(tokens):
                tok.attrSet("id", _unique("cb-" + _slug(tokens[i + 1].content), ids))
        elif tok.type in ("th_open", "td_open"):
            style = tok.attrGet("style")  # markdown-it aligns with style=, which the policy forbids
            if style:
                tok.attrs.pop("style", None)
                tok.attrSet("class", "align-" + style.split(":")[-1].strip())
        for child in tok.children or []:
            if child.type == "link_open" and str(child.attrGet("href") or "").startswith("#"):
                child.attrSet("href", "#cb-" + str(child.attrGet("href"))[1:])

    def image(self, tokens, idx, options, env):
        tok = tokens[idx]
        src = str(tok.attrGet("src") or "")
        alt = self.renderInlineAsText(tok.children or [], options, env)
        rel = src[2:] if src.startswith("./") else src
        mime = IMAGE_TYPES.get(rel[rel.rfind("."):].lower(), "") if "." in rel else ""
        if mime and files.get(rel):
            return f'<img src="{_data_uri(files[rel], mime)}" alt="{_e(alt)}">'
        return f'<a href="{_e(src)}">{_e(alt or src)}</a>'  # no request from the page, only a link

    md.add_render_rule("image", image)
    rendered = md.renderer.render(tokens, md.options, {})
    heading = "" if first_h1 else "<h2>Codebook</h2>\n"
    source = f'<p class="note">Also as {_link("codebook.md")}.</p>\n' if files.get("codebook.md") else ""
    return f'{heading}<div class="codebook">\n{rendered}</div>\n{source}'.rstrip(), ids


# -- helpers ------------------------------------------------------------------------------------

def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _link(path: str, label: str | None = None) -> str:
    return f'<a href="{_e(quote(path))}">{_e(label if label is not None else path)}</a>'


def _json(obj) -> str:
    """JSON that is safe inside a <script> block: no <, > or & (so no </script>, no <!--)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _sha256_b64(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _size(n: int) -> str:
    for unit, step in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= step:
            return f"{n / step:.1f} {unit}"
    return f"{n} B"


def _slug(text: str) -> str:
    text = re.sub(r"[^\w\s-]", "", text.lower()).replace("_", "-")
    return re.sub(r"[\s-]+", "-", text).strip("-") or "section"


def _unique(slug: str, seen: set[str]) -> str:
    out, n = slug, 1
    while out in seen:
        n += 1
        out = f"{slug}-{n}"
    seen.add(out)
    return out


# -- style and script (inline; the policy allows exactly these by hash) ---------------------------


def _template(name: str) -> str:
    """A file of templates/: the page's style and script, edited as CSS and JavaScript, inlined here."""
    return (Path(__file__).resolve().parent / "templates" / name).read_text(encoding="utf-8")


CSS = _template("page.css")

SCRIPT = _template("page.js")
