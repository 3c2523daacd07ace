"""The release page, index.html: one self-contained file that works offline, and an explorer
of the release's records.

Everything the page shows is in the file: the styles and script inline, the timeline as a
data: URI with links to its records laid over it, and every row of every table as JSON in a
``<script type="application/json">`` block, so that any record can be opened with its citations and sources without a request.
A Content-Security-Policy forbids every network request, and allows only the page's own
inline style and script (by their sha256). Data cells are written with ``textContent``,
never parsed as HTML, and the JSON escapes ``<``, ``>`` and ``&`` so no cell can close its
block.

What links where comes from the descriptor, not from names: a table's primary key, its
foreign keys, its ``list-foreign-key`` rules (space-separated lists of ids) and derived
columns traced to one key (``x-derived-from``, like ``source_ids``); which table holds the
citations, which of its columns point at the cited record, its evidence and its source come
from the ``citation-target``, ``evidence`` and ``supports`` rules.

The same inputs give the same bytes: nothing here reads the clock, draws a random number or
looks at the file system.

Every row is embedded (the record view needs every citation and source), up to EMBED_ROWS
rows of a table, far above a complete census; a table draws SHOWN_ROWS rows at a time, and its
JSON is parsed when a table, the search or a record first needs it, so that the page opens at
once. Beyond EMBED_ROWS only the rows held are parsed, the row count is read from the bytes
with numpy (record ends outside quotes), and sizes and hashes are of the bytes: the page's
size and cost stop growing with the tables.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote, unquote

import numpy as np

from dprk_relations.documents.citation import DATASET, author_names, citation_text
from dprk_relations.documents.files import sha256_hex

# Rows a table draws at once (scrolling to its end or "Show more" draws more; search, filters and sorting
# see every row). Drawing is what costs: a thousand rows of the citations took about 1.3 s to lay out in
# Chromium on this project's machine, 250 rows about 0.3 s.
SHOWN_ROWS = 250
# Rows of one table the page holds. A complete census stays under 30,000 rows in all tables together,
# so the page holds every row of every table of it; a table beyond this (a synthetic benchmark of a
# million rows) is held in part, and says so, rather than making a page of hundreds of megabytes.
EMBED_ROWS = 30_000
LONG_TEXT = 80  # characters: a column with longer values is clamped, full text on hover or click
LONG_COLUMNS = {"summary", "coding_note", "evidence", "note", "description", "title", "role"}
NUMERIC_TYPES = {"integer", "number", "year"}
# Which column says what a record is, in lists of links and in the search over all tables: the first
# of these that a table has.
LABEL_COLUMNS = ("name", "title", "summary", "evidence", "office", "note")
NOTE_COLUMNS = ("coding_note",)  # the coder's note on a record, shown apart in the record view
FIGURES = (("timeline.svg", "image/svg+xml"), ("timeline.png", "image/png"))
# The group of links that figure.py lays over the records' marks in timeline.svg (figure.LINKS_ID;
# not imported, so that the page does not import matplotlib), and where those links lead.
LINKS_ID = "timeline-links"
RECORD_HASH = "#record/"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
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
    data = _tables(descriptor, tables, files)
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
    if data:
        sections.append(("explore", "Find records", _explore_section()))
        sections.append(("tables", "Tables", _tables_section(data, codebook_ids)))
    sections.append(("codebook", "Codebook", codebook_html))

    nav = "".join(f'<a href="#{sid}">{_e(label)}</a>' for sid, label, _ in sections)
    body = "\n".join(f'<section id="{sid}">\n{content}\n</section>' for sid, _, content in sections)
    blocks = "\n".join(f'<script type="application/json" id="data-{t["id"]}">{_json(t["data"])}</script>'
                       for t in data)
    if data:
        blocks += f'\n<script type="application/json" id="page-model">{_json(_model(descriptor, data))}</script>'
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
{_masthead(descriptor, data, nav)}
<main class="wrap">
{body}
</main>
{_record_view() if data else ''}
<footer class="wrap">
<p>{_e(title)}, version {_e(version)}. This page is generated from the release's
<a href="datapackage.json">datapackage.json</a> and data files; it is one self-contained file and loads
nothing from the network.</p>
</footer>
{blocks}
<script>{SCRIPT}</script>
</body>
</html>
"""
    return page.encode("utf-8")


# -- pieces -------------------------------------------------------------------------------------

def _masthead(meta: dict, data: list[dict], nav: str) -> str:
    version = str(meta.get("version", ""))
    facts = [f'<span class="badge">Version {_e(version)}</span>']
    if meta.get("created"):
        facts.append(f"<span>Released {_e(str(meta['created'])[:10])}</span>")
    lic = (meta.get("licenses") or [{}])[0]
    if lic.get("name"):
        label = _e(lic.get("title") or lic["name"])
        facts.append(f'<span>Licence: <a href="{_e(lic["path"])}">{label}</a></span>' if lic.get("path")
                     else f"<span>Licence: {label}</span>")
    if data:
        rows = sum(t["total"] for t in data)
        facts.append(f"<span>{len(data)} tables, {rows:,} rows</span>")
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
            image, links = files[name], ""
            if name == "timeline.svg":
                image, links = _timeline_links(image)
            downloads = " · ".join(_link(n, n) for n, _ in FIGURES if files.get(n))
            caption = "The dated records of this release over time."
            if links:
                caption += (" Point at a mark to see which record it is, and click it to open the record (or Tab to"
                            " the marks, move with the arrow keys and press Enter).")
            return f"""<h2>Timeline</h2>
<figure class="timeline">
<div class="figure-stack">
<img src="{_data_uri(image, mime)}" alt="Timeline of the dated records in this release">
{links}</div>
<figcaption>{caption} Download: {downloads}.</figcaption>
</figure>"""
    return ""


def _timeline_links(svg: bytes) -> tuple[bytes, str]:
    """The picture without its links, and the links as an inline SVG to lay over it.

    An ``<img>`` shows an SVG as a picture (its links are inert), and the figure cannot be inlined
    as it is: matplotlib styles with ``style`` attributes, which the page's policy forbids. So the
    picture stays an image, and the links figure.py put over each record's mark (a transparent
    rectangle and a ``<title>``, in the SVG's own units) are copied into an SVG of the same
    viewBox laid over it, each leading to the record's view on this page. The copy is rebuilt
    from parsed values, never pasted, so the file cannot put markup into the page.
    """
    match = re.search(rb'\s*<g id="' + LINKS_ID.encode() + rb'"[^>]*>.*?</g>', svg, re.S)
    if not match:
        return svg, ""
    picture = svg[:match.start()] + svg[match.end():]
    root = ET.fromstring(svg)
    view = [float(v) for v in (root.get("viewBox") or "").split()]
    group = next((g for g in root.iter(f"{{{SVG_NS}}}g") if g.get("id") == LINKS_ID), None)
    if len(view) != 4 or group is None:
        return picture, ""
    links = []
    for a in group.iter(f"{{{SVG_NS}}}a"):
        href = a.get(f"{{{XLINK_NS}}}href") or a.get("href") or ""
        target = href.partition("#")[2].split("/")
        rect = a.find(f"{{{SVG_NS}}}rect")
        if len(target) != 3 or target[0] != "record" or rect is None:
            continue
        table, key = (quote(unquote(t), safe="") for t in target[1:])
        box = " ".join(f'{k}="{float(rect.get(k, 0)):.1f}"' for k in ("x", "y", "width", "height"))
        label = _e(a.findtext(f"{{{SVG_NS}}}title") or f"{table} {key}")
        links.append(f'<a href="{RECORD_HASH}{table}/{key}"><title>{label}</title><rect {box}/></a>')
    if not links:
        return picture, ""
    box = " ".join(f"{v:g}" for v in view)
    return picture, (f'<svg class="marks" viewBox="{box}" preserveAspectRatio="none" role="group" '
                     f'aria-label="Records in the timeline">\n' + "\n".join(links) + "\n</svg>\n")


def _tables(meta: dict, tables: dict, files: dict[str, bytes]) -> list[dict]:
    """Every CSV table, in descriptor order: its columns (with what each links to), all its rows."""
    resources = [r for r in meta.get("resources", []) if r.get("format") == "csv"
                 and isinstance(r.get("path"), str) and r["path"] in files]
    schemas = {str(r.get("name", r["path"])): _schema(r, tables) for r in resources}
    keys = {name: _key(schema) for name, schema in schemas.items()}
    out, ids = [], set()
    for res in resources:
        path = res["path"]
        name = str(res.get("name", path))
        schema = schemas[name]
        header, rows, total = _read_csv(files[path], EMBED_ROWS)
        rows = [r + [""] * (len(header) - len(r)) if len(r) < len(header) else r[:len(header)] for r in rows]
        widths = [max(map(len, cells)) for cells in zip(*rows)] or [0] * len(header)
        fields = {f.get("name"): f for f in schema.get("fields", [])}
        links = _links(name, schema, schemas, keys)
        columns = []
        for col, longest in zip(header, widths):
            f = fields.get(col, {})
            column = {
                "name": col,
                "type": f.get("type", "string"),
                "description": f.get("description", ""),
                "derived": bool(f.get("x-derived-from")),
                "numeric": f.get("type") in NUMERIC_TYPES,
                "long": longest > LONG_TEXT or (col in LONG_COLUMNS and longest > LONG_TEXT // 2),
            }
            labels = {str(c.get("value")): str(c["label"]) for c in f.get("categories") or []
                      if isinstance(c, dict) and c.get("label")}
            if labels:
                column["labels"] = labels
            if col in links:
                column["ref"], column["list"] = links[col]
            elif col.endswith("_id") and (chosen := _chosen_link(f, links)):
                column["refBy"] = chosen
            columns.append(column)
        rt = tables.get(name)
        row_text = getattr(getattr(rt, "table", None), "row_description", "") or schema.get("x-row", "")
        tid = _unique(re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-") or "table", ids)
        parquet = next((r.get("path") for r in meta.get("resources", [])
                        if r.get("format") == "parquet" and r.get("path") == path[:-4] + ".parquet"
                        and r.get("path") in files), None)
        out.append({
            "id": tid, "name": name, "title": str(res.get("title") or name),
            "description": str(res.get("description", "")), "row": str(row_text),
            "key": list(keys[name]), "path": path, "parquet": parquet, "header": header, "schema": schema,
            "bytes": len(files[path]), "parquet_bytes": len(files[parquet]) if parquet else 0,
            "total": total, "shown": len(rows),
            "data": {"columns": columns, "rows": rows, "total": total},
        })
    return out


def _schema(res: dict, tables: dict) -> dict:
    schema = res.get("schema")
    if not isinstance(schema, dict):
        schema = getattr(tables.get(str(res.get("name", ""))), "schema", None) or {}
    return schema


def _key(schema: dict) -> tuple[str, ...]:
    key = schema.get("primaryKey") or ()
    return (key,) if isinstance(key, str) else tuple(key)


def _links(name: str, schema: dict, schemas: dict, keys: dict) -> dict[str, tuple[str, bool]]:
    """Column -> (table its values are keys of, whether it holds a space-separated list of them).

    A record view opens by primary key, so only references to a single-column primary key link:
    the foreign keys, the ``list-foreign-key`` rules, and a derived id column (``*_id``, ``*_ids``;
    a column named otherwise, such as ``source_count``, is no id) whose sources are keys of one
    table only (see ``_derived_target``). A derived column is a list when its name is plural
    (``_ids``), the descriptor having no other word for it.
    """
    out = _declared_links(name, schema, keys)
    for f in schema.get("fields", []):
        field = str(f.get("name", ""))
        if field in out or not field.endswith(("_id", "_ids")):
            continue
        target = _derived_target(f, name, schema, schemas, keys)
        if target:
            out[field] = (target, field.endswith("_ids"))
    return out


def _declared_links(name: str, schema: dict, keys: dict) -> dict[str, tuple[str, bool]]:
    """The foreign keys and list-foreign-key rules of a table that point to a single-column key."""
    def single_key(table: str, field) -> bool:
        return keys.get(table) == (field,)

    out: dict[str, tuple[str, bool]] = {}
    for fk in schema.get("foreignKeys") or []:
        fields = fk.get("fields")
        ref = fk.get("reference") or {}
        target, to = ref.get("resource") or name, ref.get("fields")
        fields = [fields] if isinstance(fields, str) else list(fields or [])
        to = [to] if isinstance(to, str) else list(to or [])
        if len(fields) == 1 and len(to) == 1 and single_key(target, to[0]):
            out[fields[0]] = (target, False)
    for rule in schema.get("x-rules") or []:
        if rule.get("rule") == "list-foreign-key" and single_key(rule.get("resource") or name, rule.get("key")):
            out[rule["field"]] = (rule.get("resource") or name, True)
    return out


def _chosen_link(f: dict, links: dict) -> list[str]:
    """For an id derived from several references of its own row, each to another table (a
    citation's ``record_id``, from whichever of ``visit_id``, ``aid_id``, ... is filled): those
    columns, whose filled one says, row by row, which table the id is a key of."""
    sources = f.get("x-derived-from") or []
    chosen = [c for c in sources if c in links and not links[c][1]]
    distinct = len({links[c][0] for c in chosen}) == len(chosen)
    return chosen if len(chosen) > 1 and len(chosen) == len(sources) and distinct else []


def _derived_target(f: dict, name: str, schema: dict, schemas: dict, keys: dict) -> str | None:
    """The one table whose keys a derived column's values are, from what it is derived from.

    Each source (``x-derived-from``) that is a key names a table: a primary key its own table, a
    foreign key the table it points to; a column of this table (``visitor_id``) or of another
    (``citations.source_id``, ``actors.state_id``). Sources that are no key (``actors.actor_type``)
    say nothing. When the keys name one table, the values are its keys: ``source_ids`` are sources,
    ``visitor_state_id`` an actor, ``amount_usd_rate_id`` an exchange rate; when they name several
    (a citation's ``record_id``, from the visit, aid, ... columns), the column links nowhere.
    """
    targets = set()
    for source in f.get("x-derived-from") or []:
        table, _, field = source.rpartition(".")
        table = table or name
        if table not in schemas:
            continue
        if keys.get(table) == (field,):
            targets.add(table)
        elif field in (declared := _declared_links(table, schemas[table], keys)):
            targets.add(declared[field][0])
    return targets.pop() if len(targets) == 1 else None


def _model(meta: dict, data: list[dict]) -> dict:
    """What the script needs to know about the tables beyond their rows: which column is the key,
    the status, the dyad, the period, the label and the note, and where the citations are."""
    names = {t["name"] for t in data}
    schemas = {t["name"]: t["schema"] for t in data}
    keys = {t["name"]: tuple(t["key"]) for t in data}
    tables = []
    for t in data:
        header, fields = t["header"], {f.get("name"): f for f in t["schema"].get("fields", [])}
        low, high = _period(header, fields)
        date = ((fields.get(low) or {}).get("x-derived-from") or [""])[0] if low else ""
        key = t["key"][0] if len(t["key"]) == 1 else ""
        tables.append({
            "name": t["name"], "id": t["id"], "title": t["title"], "row": t["row"], "key": key,
            "path": t["path"], "partial": t["shown"] < t["total"],
            "status": "status" if "status" in header else "",
            "dyad": "dyad" if "dyad" in header else "",
            # the table whose keys make up a dyad (chn_prk: two actors), to name them in the filter
            "dyadOf": (_derived_target(fields["dyad"], t["name"], t["schema"], schemas, keys) or "")
            if "dyad" in fields else "",
            "period": [low, high] if low else [],
            "date": date if date in header else "",
            "label": next((c for c in LABEL_COLUMNS if c in header and c != key), ""),
            "note": next((c for c in NOTE_COLUMNS if c in header), ""),
            "links": [[c["name"], c["ref"]] for c in t["data"]["columns"] if c.get("ref")],
        })
    return {"show": SHOWN_ROWS, "tables": tables, "citations": _citations(data, names)}


def _period(header: list[str], fields: dict) -> tuple[str, str]:
    """The earliest and latest possible days that place a record in a decade: ``date_min`` and
    ``date_max``, or else the first derived pair ``*_min``/``*_max`` (an agreement's signing)."""
    pairs = [(c, c[:-4] + "_max") for c in header if c.endswith("_min") and c[:-4] + "_max" in header
             and (fields.get(c) or {}).get("type") == "date"]
    pairs.sort(key=lambda p: p[0] != "date_min")
    return pairs[0] if pairs else ("", "")


def _citations(data: list[dict], names: set[str]) -> dict | None:
    """The citations table, from its ``citation-target`` rule: the column that points at each cited
    table, the evidence and the source, and which of the source's columns say what it is."""
    for t in data:
        rules = {r.get("rule"): r for r in t["schema"].get("x-rules") or [] if isinstance(r, dict)}
        if "citation-target" not in rules:
            continue
        links = {c["name"]: c.get("ref") for c in t["data"]["columns"] if c.get("ref") and not c.get("list")}
        targets = {}
        for field in rules["citation-target"].get("fields") or []:
            if links.get(field) and links[field] not in targets:
                targets[links[field]] = field
        evidence = rules.get("evidence") or {}
        source = evidence.get("source", "")
        sources = links.get(source)
        if sources not in names:
            sources = None
        header = t["header"]
        out = {
            "table": t["name"], "targets": targets,
            "evidence": evidence.get("field", "") if evidence.get("field") in header else "",
            "source": source if sources else "",
            "supports": (rules.get("supports") or {}).get("field", ""),
            "locator": "locator" if "locator" in header else "",
            "sources": None,
        }
        if sources:
            s = next(x for x in data if x["name"] == sources)
            fields = s["schema"].get("fields", [])
            url = next((f["name"] for f in fields
                        if str((f.get("constraints") or {}).get("pattern", "")).startswith("^https?://")), "")
            sh = s["header"]
            out["sources"] = {
                "table": sources, "url": url if url in sh else "",
                "title": next((c for c in ("title", "name") if c in sh), ""),
                "publisher": "publisher" if "publisher" in sh else "",
                "date": "published" if "published" in sh else "",
            }
        return out
    return None


def _read_csv(data: bytes, cap: int) -> tuple[list[str], list[list[str]], int]:
    """The header, the first ``cap`` records (a blank line is none) and the number of records.

    Only the rows held are parsed (and only as much of the file decoded); the count comes from
    ``_count_records``, so a table of a million rows costs no more than one of EMBED_ROWS here.
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


def _explore_section() -> str:
    return """<h2>Find records</h2>
<p class="note">Search every table at once, and narrow the records by table, status, dyad and period (a
record counts in every decade its possible dates overlap). Click an id to open its record: its fields,
its citations with their evidence and sources, and the records that point to it.</p>
<div class="view explore" data-view="explore">
<div class="toolbar">
<input type="search" placeholder="Search all records…" aria-label="Search all records" autocomplete="off"
spellcheck="false">
<span class="filters"></span>
<span class="count" aria-live="polite"></span>
</div>
<div class="scroll preview"><table class="data"><tbody></tbody></table></div>
<p class="more" hidden><span></span> <button type="button">Show more</button></p>
<p class="nomatch" hidden>No records match the search and filters.</p>
</div>
<noscript><p class="note">The search needs JavaScript; the data files are in the downloads above.</p></noscript>"""


def _record_view() -> str:
    """The record view: a panel beside the page, filled by the script from the embedded rows when
    the address names a record (#record/table/key), so that a record can be linked to and the
    browser's back button walks back through the records seen."""
    return """<aside id="record" class="record" hidden tabindex="-1" aria-labelledby="record-title">
<div class="record-bar"><span>Record</span>
<button type="button" class="close" aria-label="Close the record view">Close</button></div>
<div class="record-body"></div>
</aside>"""


def _tables_section(data: list[dict], codebook_ids: set[str]) -> str:
    tabs = "".join(
        f'<button type="button" role="tab" id="tab-{t["id"]}" aria-controls="table-{t["id"]}" '
        + ('aria-selected="true">' if i == 0 else 'aria-selected="false" tabindex="-1">')
        + f'{_e(t["title"])} <span class="n">{t["total"]:,}</span></button>'
        for i, t in enumerate(data))
    panels = "\n".join(_panel(t, codebook_ids) for t in data)
    return f"""<h2>Tables</h2>
<p class="note">Every row of each table: type in the search box or choose a status, dyad or period to
narrow its rows, click a column heading to sort (again to reverse), hover over a column heading for its
description, click a long text to read all of it, and click an id to open its record. The codebook below
documents every column.</p>
<div class="tablist" role="tablist" aria-label="Tables" hidden>{tabs}</div>
<noscript><p class="note">The tables need JavaScript; the data files are in the downloads above.</p></noscript>
{panels}"""


def _panel(t: dict, codebook_ids: set[str]) -> str:
    downloads = [f'{_link(t["path"], "CSV")} ({_size(t["bytes"])})']
    if t["parquet"]:
        downloads.append(f'{_link(t["parquet"], "Parquet")} ({_size(t["parquet_bytes"])})')
    facts = []
    if t["row"]:
        facts.append(f"<dt>A row is</dt><dd>{_e(t['row'])}</dd>")
    if t["key"]:
        facts.append("<dt>Key</dt><dd>" + ", ".join(f"<code>{_e(k)}</code>" for k in t["key"]) + "</dd>")
    facts.append(f"<dt>Rows</dt><dd>{t['total']:,}</dd>")
    facts.append(f"<dt>Files</dt><dd>{' · '.join(downloads)}</dd>")
    entry = "cb-" + _slug(f"table {t['name']}")  # the codebook's heading "Table `name`"
    if entry in codebook_ids:
        facts.append(f'<dt>Columns</dt><dd><a href="#{entry}">described in the codebook</a></dd>')
    cap = ""
    if t["shown"] < t["total"]:
        cap = (f'<p class="cap">This page holds the first {t["shown"]:,} of {t["total"]:,} rows; search, '
               f'filters, sorting and the records opened here apply to these. The whole table is in '
               f'{_link(t["path"])}.</p>')
    return f"""<div class="panel view" role="tabpanel" id="table-{t['id']}" aria-labelledby="tab-{t['id']}"
data-table="{_e(t['name'])}">
<h3>{_e(t['title'])} <code>{_e(t['name'])}</code></h3>
<p>{_e(t['description'])}</p>
<dl class="facts">{''.join(facts)}</dl>
{cap}
<div class="toolbar">
<input type="search" placeholder="Search {_e(t['title'].lower())}…" aria-label="Search {_e(t['title'])}"
autocomplete="off" spellcheck="false">
<span class="filters"></span>
<span class="count" aria-live="polite">{t['shown']:,} rows</span>
</div>
<div class="scroll preview"><table class="data"><tbody></tbody></table></div>
<p class="more" hidden><span></span> <button type="button">Show more</button></p>
<p class="nomatch" hidden>No rows match the search and filters.</p>
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
