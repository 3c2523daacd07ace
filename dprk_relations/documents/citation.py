"""How to cite a release: CITATION.cff, .zenodo.json, the citation line, and the
release README, all generated from datapackage.json so they never disagree with it."""

from __future__ import annotations

import json

DATASET = "dprk-relations"


def author_names(meta: dict) -> list[str]:
    return [c.get("title", "") for c in meta.get("contributors", []) if "creator" in c.get("roles", ["creator"])] \
        or ["DPRK Relations Dataset maintainers"]


def citation_text(meta: dict) -> str:
    year = (meta.get("created") or "")[:4]
    authors = "; ".join(author_names(meta))
    when = f" ({year})" if year else ""
    return f"{authors}{when}. {meta.get('title', DATASET)}. Version {meta.get('version', '')}. " \
           f"Dataset, {meta.get('licenses', [{}])[0].get('name', '')}."


def citation_cff(meta: dict) -> str:
    """CITATION.cff (format 1.2.0) for the version in ``meta``."""
    q = lambda s: json.dumps(s, ensure_ascii=False)  # noqa: E731 - a JSON string is a YAML string
    lines = [
        "cff-version: 1.2.0",
        'message: "If you use this dataset, please cite it as below."',
        "type: dataset",
        f"title: {q(meta.get('title', DATASET))}",
        f"version: {q(meta.get('version', ''))}",
    ]
    if meta.get("created"):
        lines.append(f"date-released: {q(meta['created'][:10])}")
    lic = (meta.get("licenses") or [{}])[0].get("name")
    if lic:
        lines.append(f"license: {q(lic)}")
    lines.append("authors:")
    lines += [f"  - name: {q(a)}" for a in author_names(meta)]
    if meta.get("description"):
        lines.append(f"abstract: {q(meta['description'])}")
    if meta.get("keywords"):
        lines.append("keywords:")
        lines += [f"  - {q(k)}" for k in meta["keywords"]]
    if meta.get("homepage"):
        lines.append(f"url: {q(meta['homepage'])}")
    return "\n".join(lines) + "\n"


# Data Package contributor roles -> DataCite contributor types (what Zenodo takes).
ZENODO_CONTRIBUTOR_TYPES = {"datacurator": "DataCurator", "contact": "ContactPerson", "editor": "Editor",
                            "datacollector": "DataCollector", "projectleader": "ProjectLeader",
                            "researcher": "Researcher", "rightsholder": "RightsHolder", "sponsor": "Sponsor"}


def zenodo_json(meta: dict) -> str:
    """.zenodo.json: the metadata Zenodo reads when it archives a release and mints a DOI.

    Only what datapackage.json says: no homepage, affiliation or ORCID is made up.
    The licence is Zenodo's identifier for it (the SPDX id in lower case)."""
    creators = author_names(meta)
    record: dict = {
        "upload_type": "dataset",
        "title": meta.get("title", DATASET),
        "description": meta.get("description") or meta.get("title", DATASET),
        "creators": [{"name": a} for a in creators],
        "access_right": "open",
    }
    lic = (meta.get("licenses") or [{}])[0].get("name")
    if lic:
        record["license"] = lic.lower()
    record["version"] = meta.get("version", "")
    if meta.get("created"):
        record["publication_date"] = meta["created"][:10]
    if meta.get("keywords"):
        record["keywords"] = list(meta["keywords"])
    others = []
    for c in meta.get("contributors", []):
        if c.get("title") in creators:
            continue
        kinds = [ZENODO_CONTRIBUTOR_TYPES[r] for r in c.get("roles", []) if r in ZENODO_CONTRIBUTOR_TYPES]
        others.append({"name": c.get("title", ""), "type": kinds[0] if kinds else "Other"})
    if others:
        record["contributors"] = others
    related = []
    if meta.get("homepage"):
        related.append({"identifier": meta["homepage"], "relation": "isSupplementTo", "scheme": "url"})
    for source in meta.get("sources", []):
        path = source.get("path", "")
        if path.startswith(("https://", "http://")):
            related.append({"identifier": path, "relation": "isDerivedFrom", "scheme": "url"})
    if related:
        record["related_identifiers"] = related
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def release_readme(meta: dict, tables: dict, extra_files: list[str]) -> str:
    """The README inside a release: what is in it, how to cite it, how to load it."""
    version = meta.get("version", "")
    rows = "\n".join(f"| `{n}` | {len(rt.strings)} | {rt.table.row_description or rt.table.description} |"
                     for n, rt in tables.items())
    files = "\n".join(f"- `{f}`" for f in extra_files)
    timeline = "\n![Timeline of the dated records](timeline.png)\n" if "timeline.png" in extra_files else ""
    return f"""# {meta.get('title', DATASET)}: version {version}

{meta.get('description', '')}
{timeline}
## Contents

| table | rows | a row is |
| --- | ---: | --- |
{rows}

Each table is in `data/` twice, with the same rows and columns: as CSV
(`data/<table>.csv`, UTF-8) and as Parquet (`data/<table>.parquet`, with
dates, categories, integers and booleans typed). `datapackage.json`
describes every column (Data Package v2, with sizes and sha256 hashes);
`SHA256SUMS` lists the hash of every file. Also here:

{files}

## How to cite

{citation_text(meta)}

(`CITATION.cff` has the same in machine-readable form.) Data licence:
{(meta.get('licenses') or [{}])[0].get('title', '')}.

## How to load

Python, with the `dprk-relations` package:

```python
import dprk_relations
tables = dprk_relations.load("path/to/this/folder")   # or the .zip
visits = tables["visits"]
```

R, with base R, readr and jsonlite (`datapackage/load.R` in the repository):

```r
source("load.R")
tables <- load_dprk_relations("path/to/this/folder")
```

Or with rOpenSci's frictionless package:
`frictionless::read_resource(frictionless::read_package("datapackage.json"), "visits")`.

Check a download: `dprk-relations verify path/to/dprk-relations-{version}.zip`.
"""
