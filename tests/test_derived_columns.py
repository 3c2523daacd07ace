"""The columns a release adds for analysis, read back from a built release: the cited record of each
citation, the states and dyad of records between actors, and the derived date columns."""

import csv
import json
from datetime import date

import pandas as pd
import pytest


def _rows(release, table):
    with open(release / f"data/{table}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _schema(release, table):
    desc = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    return next(r["schema"] for r in desc["resources"] if r["name"] == table)


def _by_key(rows, key):
    return {r[key]: r for r in rows}


# --- citations: the record cited, in one long form ---

def test_every_citation_names_exactly_its_one_record(release):
    schema = _schema(release, "citations")
    targets = next(r["fields"] for r in schema["x-rules"] if r["rule"] == "citation-target")
    points_to = {fk["fields"][0]: fk["reference"]["resource"] for fk in schema["foreignKeys"]}
    rows = _rows(release, "citations")
    assert len(rows) > 200
    for r in rows:
        filled = [c for c in targets if r[c]]
        assert len(filled) == 1, r["citation_id"]
        assert (r["record_table"], r["record_id"]) == (points_to[filled[0]], r[filled[0]]), r["citation_id"]
    tables = {r["record_table"] for r in rows}
    assert {"visits", "aid", "sanctions", "statements", "events", "offices", "agreements"} == tables


def test_known_citations_point_to_their_records(release):
    rows = _by_key(_rows(release, "citations"), "citation_id")
    assert (rows["1949-03-17-soviet-loan-40m-usd-1"]["record_table"],
            rows["1949-03-17-soviet-loan-40m-usd-1"]["record_id"]) == ("aid", "1949-03-17-soviet-loan-40m-usd")
    assert (rows["2018-09-chung-eui-yong-prk-3"]["record_table"],
            rows["2018-09-chung-eui-yong-prk-3"]["record_id"]) == ("visits", "2018-09-chung-eui-yong-prk")
    assert (rows["xi-jinping-head-of-state-1-1"]["record_table"],
            rows["xi-jinping-head-of-state-1-1"]["record_id"]) == ("offices", "xi-jinping-head-of-state-1")


def test_citations_per_record_agree_with_source_count(release):
    """Grouping by (record_table, record_id) gives each record's corroboration, as source_count says."""
    cites = pd.read_parquet(release / "data/citations.parquet")
    n = cites.groupby(["record_table", "record_id"], observed=True)["source_id"].nunique()
    for table in ("visits", "aid", "sanctions", "statements", "events", "offices", "agreements"):
        t = pd.read_parquet(release / f"data/{table}.parquet")
        key = t.columns[0]
        got = n.loc[table].reindex(t[key]).fillna(0).astype(int).to_numpy()
        assert (got == t["source_count"].to_numpy()).all(), table


# --- states, dyad, direction ---

def test_the_states_of_a_visit_come_from_the_actors_table(release):
    actors = _by_key(_rows(release, "actors"), "actor_id")

    def state(actor):
        a = actors[actor]
        return actor if a["actor_type"] == "state" else a["state_id"]

    for v in _rows(release, "visits"):
        a, b = state(v["visitor_id"]), state(v["host_id"])
        assert (v["visitor_state_id"], v["host_state_id"]) == (a, b), v["visit_id"]
        assert v["dyad"] == "_".join(sorted((a, b))), v["visit_id"]
        assert v["direction"] == ("from-prk" if a == "prk" else "to-prk" if b == "prk" else "other"), v["visit_id"]


def test_known_visits_have_their_dyad_and_direction(release):
    v = _by_key(_rows(release, "visits"), "visit_id")
    got = {k: (v[k]["visitor_state_id"], v[k]["host_state_id"], v[k]["dyad"], v[k]["direction"])
           for k in ("1949-03-kim-il-sung-sun", "1958-02-zhou-enlai-prk", "2018-06-kim-jong-un-sgp")}
    assert got == {"1949-03-kim-il-sung-sun": ("prk", "sun", "prk_sun", "from-prk"),
                   "1958-02-zhou-enlai-prk": ("chn", "prk", "chn_prk", "to-prk"),
                   "2018-06-kim-jong-un-sgp": ("prk", "sgp", "prk_sgp", "from-prk")}
    # a visit between two other states: the dyad is theirs, and it is not North Korea's
    other = [r for r in v.values() if r["direction"] == "other"]
    assert [(r["dyad"], r["visitor_state_id"]) for r in other] == [("chn_kor", "chn")]


def test_statements_and_events_get_their_sides_states(release):
    s = _by_key(_rows(release, "statements"), "statement_id")
    x = s["2018-03-xi-emphasizes-solidarity"]
    assert (x["speaker_state_id"], x["addressee_state_id"], x["dyad"]) == ("chn", "prk", "chn_prk")
    nobody = s["2018-03-kim-jong-un-reiterates-denuclearization"]  # no addressee: no dyad
    assert (nobody["speaker_state_id"], nobody["addressee_state_id"], nobody["dyad"]) == ("prk", "", "")
    e = _by_key(_rows(release, "events"), "event_id")
    meet = e["2018-03-30-yang-jiechi-meets-moon-jae-in"]
    assert (meet["actor_state_id"], meet["counterpart_state_id"], meet["dyad"]) == ("chn", "kor", "chn_kor")


def test_every_derived_column_is_declared_once_with_type_description_and_origin(release):
    desc = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    for res in desc["resources"]:
        if res.get("type") != "table":
            continue
        names = [f["name"] for f in res["schema"]["fields"]]
        assert len(names) == len(set(names)), res["name"]
        raw = {f["name"] for f in res["schema"]["fields"] if "x-derived-from" not in f}
        for f in res["schema"]["fields"]:
            if "x-derived-from" in f:
                assert f.get("type") and len(f.get("description", "")) > 30, (res["name"], f["name"])
                own = [s for s in f["x-derived-from"] if "." not in s]
                assert set(own) <= raw, (res["name"], f["name"])
    visits = _schema(release, "visits")
    assert {f["name"]: f["type"] for f in visits["fields"] if f["name"] in
            {"visitor_state_id", "host_state_id", "dyad", "direction", "date_sort", "date_days",
             "date_uncertain", "date_approximate"}} == {
        "visitor_state_id": "string", "host_state_id": "string", "dyad": "string", "direction": "string",
        "date_sort": "date", "date_days": "integer", "date_uncertain": "boolean", "date_approximate": "boolean"}


# --- dates ---

def _edtf_columns(release):
    desc = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    for res in desc["resources"]:
        if res.get("type") == "table":
            for f in res["schema"]["fields"]:
                if f.get("x-edtf"):
                    yield res["name"], f["name"]


def test_every_edtf_field_has_the_full_set_of_derived_columns(release):
    found = list(_edtf_columns(release))
    assert ("visits", "date") in found and ("agreements", "in_force") in found and ("sources", "published") in found
    for table, name in found:
        t = pd.read_parquet(release / f"data/{table}.parquet")
        for part in ("min", "max", "precision", "days", "form", "sort", "uncertain", "approximate"):
            assert f"{name}_{part}" in t.columns, (table, name, part)


def test_every_dated_row_has_a_sort_date_and_days_is_max_minus_min_plus_one(release):
    for table, name in _edtf_columns(release):
        t = pd.read_csv(release / f"data/{table}.csv", dtype=str, keep_default_na=False)
        dated = t[t[name] != ""]
        assert (dated[f"{name}_sort"] != "").all(), (table, name)
        assert (t.loc[t[name] == "", f"{name}_sort"] == "").all(), (table, name)
        both = dated[(dated[f"{name}_min"] != "") & (dated[f"{name}_max"] != "")]
        span = (pd.to_datetime(both[f"{name}_max"]) - pd.to_datetime(both[f"{name}_min"])).dt.days + 1
        assert (span.astype(str) == both[f"{name}_days"]).all(), (table, name)
        open_ = dated[(dated[f"{name}_min"] == "") | (dated[f"{name}_max"] == "")]
        assert (open_[f"{name}_days"] == "").all() and (open_[f"{name}_precision"] == "open").all(), (table, name)
        sort_is = dated[f"{name}_min"].where(dated[f"{name}_min"] != "", dated[f"{name}_max"])
        assert (sort_is == dated[f"{name}_sort"]).all(), (table, name)


def test_known_open_and_qualified_dates(release):
    aid = _by_key(_rows(release, "aid"), "aid_id")
    refusal = aid["1960-soviet-refusal-of-further-aid"]  # ../1960-05: refused some time up to May 1960
    assert refusal["date"] == "../1960-05"
    assert (refusal["date_min"], refusal["date_max"], refusal["date_sort"], refusal["date_days"],
            refusal["date_precision"], refusal["date_uncertain"], refusal["date_approximate"]) == \
        ("", "1960-05-31", "1960-05-31", "", "open", "false", "false")
    offices = _by_key(_rows(release, "offices"), "office_id")
    xi = offices["xi-jinping-head-of-state-1"]  # 2013-03-14/..: still in office
    assert (xi["date_sort"], xi["date_max"], xi["date_days"], xi["date_precision"]) == ("2013-03-14", "", "", "open")
    events = _by_key(_rows(release, "events"), "event_id")
    honeymoon = events["2011-2018-china-south-korea-honeymoon"]  # 2012-11?/2018-03?: six years, not 'month'
    assert (honeymoon["date_precision"], honeymoon["date_uncertain"], honeymoon["date_approximate"],
            honeymoon["date_days"]) == ("decade", "true", "false", str((date(2018, 3, 31) - date(2012, 11, 1)).days + 1))
    visits = _by_key(_rows(release, "visits"), "visit_id")
    postponed = visits["1960-10-khrushchev-to-dprk-postponed-again"]  # 1960-10~
    assert (postponed["date_approximate"], postponed["date_uncertain"], postponed["date_days"]) == ("true", "false", "31")
    first = visits["1949-03-kim-il-sung-sun"]  # 1949-03-03/1949-03-25: 23 days within March
    assert (first["date_days"], first["date_precision"], first["date_sort"]) == ("23", "month", "1949-03-03")


def test_an_empty_date_has_no_derived_values(release):
    agreements = _rows(release, "agreements")
    empty = [r for r in agreements if r["in_force"] == ""]
    assert empty
    for r in empty:
        assert all(r[f"in_force_{p}"] == "" for p in ("min", "max", "sort", "days", "precision", "form",
                                                       "uncertain", "approximate")), r["agreement_id"]


@pytest.mark.parametrize("table", ["visits", "aid", "events"])
def test_sorting_by_the_sort_date_keeps_every_row_where_the_earliest_day_would_not(release, table):
    t = pd.read_parquet(release / f"data/{table}.parquet")
    dated = t[t["date"].notna()]
    years = pd.to_datetime(dated["date_sort"]).dt.year
    assert dated.groupby(years).size().sum() == len(dated)
    if table in ("visits", "aid"):  # these hold open starts: the earliest day loses them
        assert dated.groupby(pd.to_datetime(dated["date_min"]).dt.year).size().sum() < len(dated)
