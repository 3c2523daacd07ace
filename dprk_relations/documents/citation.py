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
    if meta.get("x-repository"):
        lines.append(f"repository-code: {q(meta['x-repository'])}")
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
    for key in ("homepage", "x-repository"):
        if meta.get(key):
            related.append({"identifier": meta[key], "relation": "isSupplementTo", "scheme": "url"})
    for source in meta.get("sources", []):
        path = source.get("path", "")
        if path.startswith(("https://", "http://")):
            related.append({"identifier": path, "relation": "isDerivedFrom", "scheme": "url"})
    if related:
        record["related_identifiers"] = related
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def _provenance(meta: dict, tables: dict) -> str:
    """Where the data comes from: the project's addresses once datapackage.json has them;
    until then, in words, with no address made up."""
    version = meta.get("version", "")
    cited = []
    if "sources" in tables:
        cited.append(f"`data/sources.csv` lists the {len(tables['sources'].strings)} sources the records rely on")
    if "citations" in tables:
        cited.append("`data/citations.csv` ties each record to them, with the passage cited")
    lines = [f"Built from the hand-coded raw files of the {DATASET} project, version {version}, "
             f"by the project's own pipeline, which validated every record against its schema and coding "
             f"rules first." + (" " + "; ".join(cited) + "." if cited else "")]
    if meta.get("homepage"):
        lines.append(f"Project: <{meta['homepage']}>")
    if meta.get("x-repository"):
        lines.append(f"Code and raw files: <{meta['x-repository']}>")
    if not (meta.get("homepage") or meta.get("x-repository")):
        lines.append("The project has no public address yet: a later release will give it here and in "
                     "`datapackage.json` (`homepage`).")
    return "\n\n".join(lines)


def release_readme(meta: dict, tables: dict, extra_files: list[str]) -> str:
    """The README inside a release: what is in it, where it comes from, how to cite
    and load it, with nothing but the files beside it."""
    version = meta.get("version", "")
    rows = "\n".join(f"| `{n}` | {len(rt.strings)} | {rt.table.row_description or rt.table.description} |"
                     for n, rt in tables.items())
    files = "\n".join(f"- `{f}`{FILE_NOTES.get(f, '')}" for f in extra_files)
    timeline = "\n![Timeline of the dated records](timeline.png)\n" if "timeline.png" in extra_files else ""
    example = "visits" if "visits" in tables else next(iter(tables), "visits")
    cite_url = meta.get("homepage") or meta.get("x-repository")
    return f"""# {meta.get('title', DATASET)}: version {version}

{meta.get('description', '')}
{timeline}
## Where this comes from

{_provenance(meta, tables)}

## Contents

| table | rows | a row is |
| --- | ---: | --- |
{rows}

Each table is in `data/` twice, with the same rows and columns: as CSV
(`data/<table>.csv`, UTF-8) and as Parquet (`data/<table>.parquet`, with
dates, categories, integers and booleans typed). `datapackage.json`
describes every column and lists the CSV files (Data Package v2, with sizes
and sha256 hashes); `datapackage-parquet.json` lists the Parquet files the
same way. `SHA256SUMS` lists the hash of every file. Also here:

{files}

## How to cite

{citation_text(meta)}{f" <{cite_url}>" if cite_url else ""}

(`CITATION.cff` has the same in machine-readable form.) Data licence:
{(meta.get('licenses') or [{}])[0].get('title', '')}.

## How to load

Everything below runs in this folder (unpacked from the zip), with nothing
else from the project.

### Python: the loader in this folder

`load.py` needs only pandas and pyarrow. It checks every file it reads
against the sha256 in the descriptors and types each column by its schema:
categories as pandas Categorical with the schema's levels (ordered where the
schema says so), dates `datetime64[s]`, integers `Int64`, numbers `Float64`,
booleans `boolean`, text `string`, missing values `<NA>`.

```python
import load
tables = load.load_dprk_relations(".")
{example} = tables["{example}"]
```

### Python: pandas alone

Parquet keeps the types, but ask for nullable dtypes (otherwise an integer
column with a missing value becomes float64), and convert dates, which
arrive as Python `date` objects:

```python
import json
import pandas as pd

with open("datapackage.json", encoding="utf-8") as fh:
    fields = {{r["name"]: r["schema"]["fields"] for r in json.load(fh)["resources"]}}
{example} = pd.read_parquet("data/{example}.parquet", dtype_backend="numpy_nullable")
for f in fields["{example}"]:
    if f["type"] == "date":
        {example}[f["name"]] = pd.to_datetime({example}[f["name"]])
```

From CSV, read every cell as text, so that only empty cells are missing
(not "NA" or "null") and codes keep their leading zeros, then type the
columns the schema says:

```python
{example} = pd.read_csv("data/{example}.csv", dtype="string", keep_default_na=False, na_values=[""])
for f in fields["{example}"]:
    if f["type"] == "date":
        {example}[f["name"]] = pd.to_datetime({example}[f["name"]], format="%Y-%m-%d")
    elif f["type"] == "integer":
        {example}[f["name"]] = {example}[f["name"]].astype("Int64")
    elif f["type"] == "number":
        {example}[f["name"]] = {example}[f["name"]].astype("Float64")
    elif f["type"] == "boolean":
        {example}[f["name"]] = {example}[f["name"]].map({{"true": True, "false": False}}).astype("boolean")
```

### R: the loader in this folder

`load.R` needs readr and jsonlite. Categories become factors with the
schema's levels (ordered factors where the schema says so), integers R
integers where the schema bounds them inside R's range (doubles otherwise),
dates `Date`, booleans logical; a cell that does not match its type stops
the load.

```r
source("load.R")
tables <- load_dprk_relations(".")   # or the .zip
{example} <- tables${example}
```

### R: rOpenSci's frictionless

```r
library(frictionless)
package <- read_package("datapackage.json")
{example} <- read_resource(package, "{example}")
```

frictionless reads every integer column as double and every category as
an unordered factor (levels in the schema's order, but not ordered where the
schema says `categoriesOrdered`); dates are `Date`. `resource_names(package)`
(`resources(package)` in frictionless 1.2.1 and earlier) lists the tables. It reads the CSV files: the Parquet files are in
`datapackage-parquet.json`, which it does not need.

### DuckDB and polars

```python
import duckdb; duckdb.sql("SELECT * FROM 'data/{example}.parquet'").df()
```

```python
import polars as pl; pl.read_parquet("data/{example}.parquet")
```

### The project's own tools

With the `dprk-relations` Python package, `dprk_relations.load("path/to/this/folder")`
(or the .zip) gives the same frames as `load.py`, and
`dprk-relations verify path/to/dprk-relations-{version}.zip` checks every
file's size and sha256 and every table against its schema.
"""


# What the README says of a file beside the data, by relative path.
FILE_NOTES = {
    "datapackage.json": ": the tables, their columns and the CSV files (Data Package v2)",
    "datapackage-parquet.json": ": the Parquet files, with sizes and sha256 hashes",
    "load.py": ": loads the release into pandas (needs pandas and pyarrow)",
    "load.R": ": loads the release into R (needs readr and jsonlite)",
    "codebook.md": ": every column, its type, values and meaning",
    "CITATION.cff": ": how to cite this release",
    "CHANGELOG.md": ": what changed in each version",
    "SHA256SUMS": ": the sha256 of every file",
    "index.html": ": a page to browse the tables",
    "timeline.png": ": the dated records over time",
    "timeline.svg": ": the same timeline, as a vector image",
}
