"""Recover the raw package a release was built from, so that anyone can rebuild
a release from its own contents and check that the bytes come out the same.

A release holds every raw column unchanged (derived columns are marked with
``x-derived-from``), the raw schemas inside its descriptor, its metadata and
its changelog: that is all a build reads.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

TABLE_SCHEMA = "https://datapackage.org/profiles/2.0/tableschema.json"


def raw_from_release(release_dir, dest) -> Path:
    """Write datapackage.json, schemas/ and raw/ for the release into ``dest``."""
    release_dir, dest = Path(release_dir), Path(dest)
    desc = json.loads((release_dir / "datapackage.json").read_text(encoding="utf-8"))
    (dest / "schemas").mkdir(parents=True, exist_ok=True)
    (dest / "raw").mkdir(exist_ok=True)
    resources = []
    for res in desc["resources"]:
        if res.get("type") != "table":
            continue
        schema = dict(res["schema"])
        raw_fields = [f for f in schema["fields"] if "x-derived-from" not in f]
        schema = {"$schema": TABLE_SCHEMA, **{k: (raw_fields if k == "fields" else v) for k, v in schema.items()}}
        name = res["name"]
        (dest / "schemas" / f"{name}.json").write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n",
                                                      encoding="utf-8")
        names = [f["name"] for f in raw_fields]
        rows = list(csv.DictReader(io.StringIO((release_dir / res["path"]).read_text(encoding="utf-8"), newline="")))
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(names)
        w.writerows([r[n] for n in names] for r in rows)
        (dest / "raw" / f"{name}.csv").write_bytes(buf.getvalue().encode("utf-8"))
        resources.append({"name": name, "title": res.get("title", name), "description": res.get("description", ""),
                          "type": "table", "profile": "tabular-data-resource", "path": f"raw/{name}.csv",
                          "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                          "schema": f"schemas/{name}.json"})
    package = {k: v for k, v in desc.items() if k != "resources"}
    package["resources"] = resources
    (dest / "datapackage.json").write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    changelog = release_dir / "CHANGELOG.md"
    if changelog.is_file():
        (dest / "CHANGELOG.md").write_bytes(changelog.read_bytes())
    return dest
