"""The pandera translation enforces every Table Schema constraint exactly as
frictionless does: one case per type and constraint, each with cells that
must fail and cells that must pass."""

import csv
import io
import json

import pytest

from dprk_relations.checks import frictionless_engine
from dprk_relations.checks import pandera_engine
from dprk_relations.model.package import load_package
from dprk_relations.stages.validate import read_tables


def make_package(root, field, values, table_extra=None, ref_ids=None, ids=None):
    """One table 't' with a key column 'id' and the field under test."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "schemas").mkdir(exist_ok=True)
    (root / "raw").mkdir(exist_ok=True)
    field = {"description": "under test", **field}
    schema = {"$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
              "fields": [{"name": "id", "type": "string", "description": "key", "constraints": {"required": True}}, field],
              "missingValues": [""], "primaryKey": ["id"], **(table_extra or {})}
    resources = [{"name": "t", "type": "table", "path": "raw/t.csv", "schema": "schemas/t.json"}]
    (root / "schemas/t.json").write_text(json.dumps(schema))
    ids = ids or [f"r{i}" for i in range(len(values))]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", field["name"]])
    w.writerows(zip(ids, values))
    (root / "raw/t.csv").write_text(buf.getvalue(), encoding="utf-8")
    if ref_ids is not None:
        (root / "schemas/ref.json").write_text(json.dumps({
            "fields": [{"name": "id", "type": "string", "description": "key", "constraints": {"required": True}}],
            "primaryKey": ["id"]}))
        (root / "raw/ref.csv").write_text("id\n" + "\n".join(ref_ids) + "\n")
        resources.append({"name": "ref", "type": "table", "path": "raw/ref.csv", "schema": "schemas/ref.json"})
    (root / "datapackage.json").write_text(json.dumps({
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json", "name": "case", "resources": resources}))
    return root


def engine_errors(root):
    package = load_package(root)
    raws = read_tables(package)
    out = {}
    for name, engine in (("frictionless", frictionless_engine), ("pandera", pandera_engine)):
        out[name] = {(p.line, p.column, p.rule) for p in engine.check(package, raws)}
    return out


def F(name, ftype, **props):
    return {"name": name, "type": ftype, **props}


CASES = {
    "integer": (F("v", "integer"), ["1", "-3", "x", "1.0", " 5 ", "1_000", "1,000", "+7", "\u0663", "99999999999999999999"],
                {2: "type", 3: "type", 6: "type"}),
    "number": (F("v", "number"), ["1.5", "1e3", "NaN", "abc", "1,000", "$5", " 2 ", ".5", "Infinity", "-0"],
               {3: "type", 4: "type", 5: "type"}),
    "date": (F("v", "date"), ["2018-03-25", "2018-3-5", "25/03/2018", "43184", "2018-02-30", "2018-03-25 ", ""],
             {2: "type", 3: "type", 4: "type", 5: "type"}),
    "boolean true/false values": (F("v", "boolean", trueValues=["true"], falseValues=["false"]),
                                  ["true", "false", "N", "True", "1", "", "Y"], {2: "type", 3: "type", 4: "type", 6: "type"}),
    "required": (F("v", "string", constraints={"required": True}), ["a", "", " "], {1: "required"}),
    "missingValues": (F("v", "integer", constraints={"required": True}), ["1", "NA", "", "n/a"],
                      {1: "required", 2: "required", 3: "type"}, {"missingValues": ["", "NA"]}),
    "enum string": (F("v", "string", constraints={"enum": ["a", "b"]}), ["a", "b", "A", "c", ""], {2: "enum", 3: "enum"}),
    "enum integer": (F("v", "integer", constraints={"enum": [1, 2]}), ["1", "2", "3", "01", "x"],
                     {2: "enum", 4: "type"}),
    "pattern": (F("v", "string", constraints={"pattern": "[a-z]+"}), ["abc", "Abc", "abc1", "", "a-b"],
                {1: "pattern", 2: "pattern", 4: "pattern"}),
    "pattern with alternation": (F("v", "string", constraints={"pattern": "a|b"}), ["a", "b", "ab", "axxb", "c"],
                                 {4: "pattern"}),
    "minLength": (F("v", "string", constraints={"minLength": 2}), ["a", "ab", ""], {0: "min-length"}),
    "maxLength": (F("v", "string", constraints={"maxLength": 3}), ["abc", "abcd", "\u00e9\u00e9\u00e9"], {1: "max-length"}),
    "minimum/maximum": (F("v", "integer", constraints={"minimum": 0, "maximum": 10}), ["-1", "0", "10", "11", "x"],
                        {0: "minimum", 3: "maximum", 4: "type"}),
    "exclusive bounds": (F("v", "number", constraints={"exclusiveMinimum": 0, "exclusiveMaximum": 10}),
                         ["0", "0.1", "10", "9.99", "-5", "1e999"], {0: "exclusive-minimum", 2: "exclusive-maximum",
                                                                      4: "exclusive-minimum", 5: "exclusive-maximum"}),
    "date bounds": (F("v", "date", constraints={"minimum": "1900-01-01", "maximum": "2100-12-31"}),
                    ["1899-12-31", "1900-01-01", "2101-01-01"], {0: "minimum", 2: "maximum"}),
    "unique": (F("v", "string", constraints={"unique": True}), ["a", "b", "a", "a", "", ""], {2: "unique", 3: "unique"}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_constraint_is_enforced_identically(tmp_path, case):
    field, values, expected, *extra = CASES[case]
    root = make_package(tmp_path / "p", field, values, table_extra=extra[0] if extra else None)
    got = engine_errors(root)
    want = {(i + 2, "v", rule) for i, rule in expected.items()}
    assert got["frictionless"] == want, "frictionless no longer behaves as this test assumes"
    assert got["pandera"] == want


def test_nan_meets_every_bound_as_a_failure(tmp_path):
    root = make_package(tmp_path / "p", F("v", "number", constraints={"minimum": 0, "maximum": 10}), ["NaN", "sNaN"])
    got = engine_errors(root)
    assert got["frictionless"] == got["pandera"] == {(2, "v", "minimum"), (2, "v", "maximum"),
                                                     (3, "v", "minimum"), (3, "v", "maximum")}


def test_primary_key(tmp_path):
    root = make_package(tmp_path / "p", F("v", "string"), ["1", "2", "3", "4"], ids=["x", "y", "x", "x"])
    got = engine_errors(root)
    assert got["frictionless"] == got["pandera"] == {(4, "id", "primary-key"), (5, "id", "primary-key")}


def test_foreign_key(tmp_path):
    fk = {"foreignKeys": [{"fields": ["v"], "reference": {"resource": "ref", "fields": ["id"]}}]}
    root = make_package(tmp_path / "p", F("v", "string"), ["a", "c", "", "b", "A"], table_extra=fk, ref_ids=["a", "b"])
    got = engine_errors(root)
    assert got["frictionless"] == got["pandera"] == {(3, "v", "foreign-key"), (6, "v", "foreign-key")}


def test_pandera_schema_is_a_real_pandera_schema(repo):
    import pandera.pandas as pa

    package = load_package(repo)
    schema = pandera_engine.to_pandera(package.tables["aid"])
    assert isinstance(schema, pa.DataFrameSchema)
    checks = {c.name for col in schema.columns.values() for c in col.checks}
    assert {"type", "enum", "pattern", "exclusive-minimum", "maximum", "minimum", "max-length"} <= checks
    assert schema.columns["aid_id"].nullable is False and schema.columns["amount"].nullable is True
