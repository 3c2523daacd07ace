"""A sample of the real package for the tests of behaviour: every kind of value, a fixed size.

The tests that damage, build, release, diff or open a package test what the
code does, not what the data says; on the whole real data their time grows
with the census (each validation and each release reads every row). They run
on this sample instead: every row whose key a test file quotes; for each
record table (and the citations), its first rows and a row for every category
value, every shape of date and every column that is filled anywhere; then,
until nothing is added, whatever those rows reference (foreign keys and key
lists), every citation of a record a test names and the first citation of any
other record kept (every record is cited; more citations add rows that page,
build and validation go through and no case), and the sources those cite. The
real data itself is checked by the tests that are about it (test_real_data,
test_dates, test_published, test_readme).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

FIRST_ROWS = 5
TESTS = Path(__file__).resolve().parent
# Any key that a test file quotes: the records the tests find by key (Copy.find, At(...)).
QUOTED = re.compile(r"""["']([a-z0-9]+(?:-[a-z0-9]+)*)["']""")


def named_in_tests() -> set[str]:
    return {m for path in sorted(TESTS.rglob("*.py")) for m in QUOTED.findall(path.read_text(encoding="utf-8"))}


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    return rows[0], rows[1:]


def _kind(field: dict, value: str):
    """What the sample keeps one row of: each category value, each shape of an EDTF
    date (digits aside: open ends, intervals, sets, qualifiers), any filled cell."""
    if not value:
        return None
    if field.get("constraints", {}).get("enum") or field["type"] == "boolean":
        return value
    if field.get("x-edtf"):
        return re.sub(r"[0-9]", "9", value)
    return True


def sample_package(src: Path, dest: Path) -> dict[str, int]:
    """Write the sample of the package in ``src`` to ``dest``; return its row count per table."""
    desc = json.loads((src / "datapackage.json").read_text(encoding="utf-8"))
    schemas, tables, paths = {}, {}, {}
    for res in desc["resources"]:
        name = res["name"]
        schemas[name] = json.loads((src / res["schema"]).read_text(encoding="utf-8"))
        tables[name], paths[name] = _read(src / res["path"]), res["path"]
    refs = []  # (table, column, target table, a list of keys?)
    for name, schema in schemas.items():
        refs += [(name, fk["fields"][0], fk["reference"]["resource"] or name, False)
                 for fk in schema.get("foreignKeys", [])]
        refs += [(name, rule["field"], rule["resource"], True)
                 for rule in schema.get("x-rules", []) if rule["rule"] == "list-foreign-key"]
    citing = [(fk["fields"][0], fk["reference"]["resource"]) for fk in schemas["citations"]["foreignKeys"]
              if fk["reference"]["resource"] != "sources"]
    records = {target for _, target in citing} | {"exchange_rates", "citations"}

    named = named_in_tests()
    keep = {name: {r[0] for r in rows if r[0] in named} for name, (header, rows) in tables.items()}
    for name in records:
        header, rows = tables[name]
        keep[name] |= {r[0] for r in rows[:FIRST_ROWS]}
        for j, field in enumerate(schemas[name]["fields"]):
            firsts = {}
            for r in rows:  # the first row of each value of the column's kind
                firsts.setdefault(_kind(field, r[j]), r[0])
            keep[name] |= {key for kind, key in firsts.items() if kind}
    while True:
        size = sum(map(len, keep.values()))
        for name, column, target, many in refs:
            header, rows = tables[name]
            j = header.index(column)
            for r in rows:
                if r[0] in keep[name] and r[j]:
                    keep[target].update(r[j].split(" ") if many else [r[j]])
        header, rows = tables["citations"]
        at = [(header.index(column), target) for column, target in citing]
        cited = set()  # every citation of a record a test names, the first of any other record kept
        for r in rows:
            record = next(((target, r[j]) for j, target in at if r[j] and r[j] in keep[target]), None)
            if record and (r[0] in keep["citations"] or record not in cited or record[1] in named):
                keep["citations"].add(r[0])
                cited.add(record)
        if sum(map(len, keep.values())) == size:
            break

    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / "datapackage.json", dest / "datapackage.json")
    shutil.copytree(src / "schemas", dest / "schemas")
    counts = {}
    for name, (header, rows) in tables.items():
        kept = [r for r in rows if r[0] in keep[name]]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([header] + kept)
        (dest / paths[name]).parent.mkdir(parents=True, exist_ok=True)
        (dest / paths[name]).write_bytes(buf.getvalue().encode("utf-8"))
        counts[name] = len(kept)
    return counts
