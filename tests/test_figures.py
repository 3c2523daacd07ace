"""The timeline figure: valid PNG and SVG, the same bytes in every run and
process, every dated record drawn, periods taken from the data, and no crash
on empty or undated tables; with many records, counts on the same periods and
lanes, in a bounded number of shapes. Real matplotlib, real release tables."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import matplotlib
import numpy as np
import pandas as pd
import pytest

from dprk_relations.model import dates
from dprk_relations.documents import figure as figures
from dprk_relations.documents import page
from dprk_relations.documents.figure import AGGREGATE_ABOVE, timeline

from dprk_relations.stages.build import release_tables
from dprk_relations.stages.rebuild import raw_from_release

DESC = {"version": "9.9.9", "title": "T"}
SVG = "{http://www.w3.org/2000/svg}"
DATED = {"visits": "Visit", "aid": "Aid", "sanctions": "Sanction", "statements": "Statement", "events": "Event"}
ACTORS = {"visits": ("visitor_id", "host_id"), "aid": ("donor_id", "recipient_id"),
          "sanctions": ("sender_id", "target_id"), "statements": ("speaker_id", "addressee_id"),
          "events": ("actor_id", "counterpart_id")}

# A child process renders the figure from the pickled release tables and prints the hashes.
CHILD = """
import hashlib, pickle, sys
from dprk_relations.documents.figure import timeline
with open(sys.argv[1], "rb") as f:
    tables = pickle.load(f)
out = timeline({"version": "9.9.9", "title": "T"}, tables)
print(" ".join(f"{name}={hashlib.sha256(data).hexdigest()}" for name, data in sorted(out.items())))
"""


@pytest.fixture(scope="module")
def tables(repo, tmp_path_factory):
    # The records of release 1.0.0: a fixed input, so that the expected periods
    # and lanes below do not move each time the raw data grows.
    raw = raw_from_release(repo / "build" / "1.0.0", tmp_path_factory.mktemp("raw-1.0.0"))
    package, tables, report = release_tables(raw)
    assert package is not None, report.to_text()
    return tables


@pytest.fixture(scope="module")
def figure(tables):
    return timeline(DESC, tables)


@pytest.fixture(scope="module")
def synthetic(tables):
    """The figure of the real records plus future ones (a 1961 treaty, the 1994 Agreed
    Framework, 2006-2017 UN sanctions, an open end, an uncertain day), without actors."""
    more = {n: rt for n, rt in tables.items() if n != "actors"}
    more["events"] = with_rows(tables["events"], [
        {"event_id": "treaty-1961", "actor_id": "chn", "counterpart_id": "prk", "date": "1961-07-11"},
        {"event_id": "agreed-framework", "actor_id": "usa", "counterpart_id": "prk", "date": "1994-10-21"},
        {"event_id": "open-end", "actor_id": "usa", "counterpart_id": "prk", "date": "2019-02/.."},
        {"event_id": "singapore", "actor_id": "donald-trump", "counterpart_id": "kim-jong-un", "date": "2018-06-12?"},
    ])
    more["sanctions"] = with_rows(tables["sanctions"], [
        {"sanction_id": "un-sanctions", "sender_id": "usa", "target_id": "prk", "date": "2006-10-14/2017-12-22"}])
    return timeline(DESC, more)


def hashes(out: dict[str, bytes]) -> str:
    return " ".join(f"{name}={hashlib.sha256(data).hexdigest()}" for name, data in sorted(out.items()))


def svg_root(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    return root


def svg_texts(data: bytes) -> list[str]:
    return ["".join(t.itertext()) for t in svg_root(data).iter(f"{SVG}text")]


def svg_ids(data: bytes) -> set[str]:
    return {e.get("id") for e in svg_root(data).iter() if e.get("id")}


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, i = [], 8
    while i < len(data):
        (length,) = struct.unpack(">I", data[i:i + 4])
        chunks.append((data[i + 4:i + 8], data[i + 8:i + 8 + length]))
        i += 12 + length
    assert chunks[-1][0] == b"IEND"
    return chunks


def dated_records(tables) -> list[tuple[str, str, pd.Series]]:
    """(table, primary key, typed row) of every record with a date."""
    out = []
    for name in DATED:
        rt = tables[name]
        pk = rt.table.primary_key[0]
        for i in range(len(rt.typed)):
            row = rt.typed.iloc[i]
            if pd.notna(row["date_min"]) or pd.notna(row["date_max"]):
                out.append((name, str(rt.strings[pk].iat[i]), row))
    return out


def with_rows(rt, rows: list[dict]):
    """The release table ``rt`` with extra records (raw strings), derived dates recomputed."""
    extra = pd.DataFrame([{c: r.get(c, "") for c in rt.strings.columns} for r in rows])
    strings = pd.concat([rt.strings, extra], ignore_index=True)
    spans = dates.derive(strings["date"].where(strings["date"] != "", None))
    typed = strings.copy()
    typed["date_min"] = pd.to_datetime(spans["min"]).astype("datetime64[s]")
    typed["date_max"] = pd.to_datetime(spans["max"]).astype("datetime64[s]")
    typed["date_precision"] = spans["precision"]
    return dataclasses.replace(rt, strings=strings, typed=typed)


def panel_titles(texts: list[str]) -> list[str]:
    """The periods of the panels, from their titles such as "1960–1969  ·  10 records"."""
    return [t.split("  ")[0] for t in texts if re.match(r"^\d{4}(–\d{4})?  ·  ", t)]


def assert_years_on_every_panel(texts: list[str]) -> None:
    """Each panel has a year on its axis within its period (give or take a year)."""
    years = [int(t) for t in texts if re.fullmatch(r"\d{4}", t)]
    assert panel_titles(texts)
    for title in panel_titles(texts):
        first, last = int(title[:4]), int(title[-4:])
        assert any(first - 1 <= y <= last + 1 for y in years), title


def emptied(rt):
    return dataclasses.replace(rt, strings=rt.strings.iloc[0:0], typed=rt.typed.iloc[0:0])


def test_a_png_and_an_svg(figure):
    assert sorted(figure) == ["timeline.png", "timeline.svg"]
    chunks = png_chunks(figure["timeline.png"])
    assert chunks[0][0] == b"IHDR"
    width, height = struct.unpack(">II", chunks[0][1][:8])
    assert width >= 1200 and 600 <= height <= 3000
    root = svg_root(figure["timeline.svg"])
    assert root.get("viewBox")


def test_no_software_date_or_path_in_the_files(figure, repo):
    keys = [data.split(b"\0")[0] for kind, data in png_chunks(figure["timeline.png"])
            if kind in (b"tEXt", b"iTXt", b"zTXt")]
    assert b"Software" not in keys and b"Creation Time" not in keys
    assert not any(kind == b"tIME" for kind, _ in png_chunks(figure["timeline.png"]))
    svg = figure["timeline.svg"]
    assert b"<dc:date>" not in svg and b"Matplotlib v" not in svg and b"matplotlib.org" not in svg
    for data in figure.values():
        for leak in (str(repo), os.path.expanduser("~"), sys.prefix, "/tmp/"):
            assert leak.encode() not in data
    assert b"9.9.9" in svg  # the version is in the figure


def test_same_bytes_on_every_call_whatever_the_callers_matplotlib_settings(tables, figure):
    before = dict(matplotlib.rcParams)
    with matplotlib.rc_context({"font.family": "serif", "font.size": 20, "lines.linewidth": 5,
                                "svg.fonttype": "path", "svg.hashsalt": None, "axes.facecolor": "red"}):
        assert timeline(DESC, tables) == figure
    assert dict(matplotlib.rcParams) == before  # and they are left as they were


def test_same_bytes_in_other_processes(repo, tables, figure, tmp_path):
    """Two fresh processes (other hash seeds, another working directory and
    time zone, a hostile matplotlibrc) render the same bytes as this one."""
    pickled = tmp_path / "tables.pickle"
    pickled.write_bytes(pickle.dumps(tables))
    rc = tmp_path / "matplotlibrc"
    rc.write_text("font.family: serif\nfont.size: 17\nsvg.fonttype: path\nsvg.hashsalt: other\n"
                  "savefig.dpi: 42\nfigure.dpi: 42\nbackend: svg\naxes.facecolor: red\nlines.linewidth: 5\n", encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), env.get("PYTHONPATH")]))
    variants = [{"PYTHONHASHSEED": "1", "TZ": "UTC"},
                {"PYTHONHASHSEED": "2", "TZ": "Asia/Pyongyang", "MATPLOTLIBRC": str(rc)}]
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(pickled)], cwd=tmp_path, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**env, **v}) for v in variants]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (_out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    assert [out.strip() for out, _err in outs] == [hashes(figure)] * 2


def test_every_dated_record_is_drawn(tables, figure):
    ids = svg_ids(figure["timeline.svg"])
    records = dated_records(tables)
    assert len(records) >= 25
    for name, key, _row in records:
        assert any(i.startswith(f"record-{name}-{key}-") for i in ids), (name, key)
    drawn = {re.sub(r"-(day|range|outline|fade|known-end|open-start|open-end)$", "", i)
             for i in ids if i.startswith("record-")}
    assert drawn == {f"record-{name}-{key}" for name, key, _ in records}


def test_uncertain_dates_are_ranges_and_exact_days_are_markers(tables, figure):
    ids = svg_ids(figure["timeline.svg"])
    checked = set()
    for name, key, row in dated_records(tables):
        if pd.isna(row["date_min"]) or pd.isna(row["date_max"]):
            continue
        # A year or more is a bar, whatever the precision says (an interval of nine days across two months,
        # 2018-03-25/2018-04-03, has the precision "year" since the dates were derived anew, and is a marker).
        if row["date_max"] - row["date_min"] >= pd.Timedelta(days=364):
            assert f"record-{name}-{key}-range" in ids, key  # a bar from date_min to date_max
            checked.add("range")
        if row["date_min"] == row["date_max"]:
            assert f"record-{name}-{key}-day" in ids, key
            checked.add("day")
    assert checked == {"range", "day"}
    # '1960?' is uncertain: a dashed outline
    svg = figure["timeline.svg"].decode()
    outline = re.search(r'<g id="record-events-1960-china-famine-outline">.*?</g>', svg, re.S).group(0)
    assert "stroke-dasharray" in outline


def test_open_ended_records_fade_to_an_arrow(tables, figure, synthetic):
    ids = svg_ids(figure["timeline.svg"])
    open_start = [(n, k) for n, k, row in dated_records(tables) if pd.isna(row["date_min"])]
    assert len(open_start) >= 3  # ../1960-05 and ../2018-04-03 in the real data
    for name, key in open_start:
        assert {f"record-{name}-{key}-fade", f"record-{name}-{key}-open-start"} <= ids
    ids = svg_ids(synthetic["timeline.svg"])  # and an open end, 2019-02/..
    assert {"record-events-open-end-fade", "record-events-open-end-open-end"} <= ids


def test_lanes_record_types_and_periods_are_labelled(tables, figure):
    texts = svg_texts(figure["timeline.svg"])
    joined = "\n".join(texts)
    for name, label in DATED.items():
        if any(n == name for n, _, _ in dated_records(tables)):
            assert any(t.startswith(f"{label} (") for t in texts), label  # legend: "Visit (7)"
    # a lane per pair of states, a person counting as its state
    actors = tables["actors"].strings
    state = {a: (s or a) for a, s in zip(actors["actor_id"], actors["state_id"])}
    name = dict(zip(actors["actor_id"], actors["name"]))
    for table, (a, b) in ACTORS.items():
        s = tables[table].strings
        for x, y in zip(s[a], s[b]):
            if x and y and state[x] != state[y]:
                one, two = name[state[x]], name[state[y]]
                assert f"{one} – {two}" in texts or f"{two} – {one}" in texts, (x, y)
    assert "China – North Korea" in texts or "North Korea – China" in texts
    # both periods: a panel title each, and years on the axis
    assert panel_titles(texts) == ["1960–1969", "2011–2018"]
    assert {"1960", "2018"} <= set(texts)
    assert_years_on_every_panel(texts)
    assert "9.9.9" in joined and "T" in texts


def test_periods_come_from_the_data(tables, synthetic):
    """New records stretch periods or add new ones: no year is hard-coded."""
    texts = svg_texts(synthetic["timeline.svg"])
    assert panel_titles(texts) == ["1960–1969", "1994", "2006–2019"]
    assert_years_on_every_panel(texts)
    ids = svg_ids(synthetic["timeline.svg"])
    assert {"record-events-treaty-1961-day", "record-events-agreed-framework-day",
            "record-sanctions-un-sanctions-range"} <= ids
    outline = re.search(r'<g id="record-events-singapore-day">.*?</g>', synthetic["timeline.svg"].decode(), re.S)
    assert "fill: #ffffff" in outline.group(0)  # 2018-06-12? is uncertain: a hollow marker
    # without the actors table the lanes fall back to the actor ids
    assert "chn – prk" in texts or "prk – chn" in texts

    # records of one period only: one panel
    def since_2000(rt):
        keep = (rt.typed["date_max"].dt.year > 2000).to_numpy()
        return dataclasses.replace(rt, strings=rt.strings[keep], typed=rt.typed[keep])

    recent = svg_texts(timeline(DESC, {n: since_2000(rt) if n in DATED else rt for n, rt in tables.items()})
                       ["timeline.svg"])
    assert panel_titles(recent) == ["2011–2018"]
    assert "1960" not in recent


def test_empty_and_undated_tables_give_a_figure(tables):
    cases = {
        "no tables": {},
        "empty tables": {n: emptied(rt) for n, rt in tables.items()},
        "no dated rows": {n: dataclasses.replace(rt, typed=rt.typed.assign(date_min=pd.NaT, date_max=pd.NaT))
                          if n in DATED else rt for n, rt in tables.items()},
    }
    for case, given in cases.items():
        out = timeline(DESC, given)
        assert sorted(out) == ["timeline.png", "timeline.svg"], case
        png_chunks(out["timeline.png"])
        texts = svg_texts(out["timeline.svg"])
        assert any(t.startswith("No dated records") for t in texts), case
        assert timeline(DESC, given) == out, case


# -- many records: counts instead of records ---------------------------------------------------

def repeated(rt, times: int):
    """The release table ``rt`` with every row ``times`` times (column operations only): copy
    ``k`` of a row has ``-k`` appended to its key, and the same dates and actors."""
    n = len(rt.strings)
    take = np.tile(np.arange(n), times)
    suffix = "-" + pd.Series(np.repeat(np.arange(times), n)).astype(str)
    strings = rt.strings.iloc[take].reset_index(drop=True)
    typed = rt.typed.iloc[take].reset_index(drop=True)
    for key in rt.table.primary_key:
        strings[key] = strings[key].astype(str) + suffix
        typed[key] = strings[key]
    return dataclasses.replace(rt, strings=strings, typed=typed)


def n_dated(tables) -> int:
    return sum(int((tables[n].typed["date_min"].notna() | tables[n].typed["date_max"].notna()).sum())
               for n in DATED if n in tables)


def crowded(tables, at_least: int) -> dict:
    """The release tables with each dated table repeated so that there are ``at_least`` dated records."""
    times = -(-at_least // n_dated(tables))
    return {n: repeated(rt, times) if n in DATED else rt for n, rt in tables.items()}


@pytest.fixture(scope="module")
def crowd(tables):
    many = crowded(tables, 60_000)
    return many, timeline(DESC, many)


def drawn_elements(svg: bytes) -> int:
    """Shapes drawn in the SVG (paths and uses of defined paths)."""
    return sum(1 for e in svg_root(svg).iter() if e.tag in (f"{SVG}path", f"{SVG}use"))


def test_many_records_are_drawn_as_counts(tables, figure, crowd):
    many, out = crowd
    n = n_dated(many)
    assert n >= 60_000 > AGGREGATE_ABOVE
    png_chunks(out["timeline.png"])
    ids = svg_ids(out["timeline.svg"])
    assert not any(i.startswith("record-") for i in ids)  # no record is drawn on its own
    assert any(i.startswith("counts-") for i in ids) and "counts-note" in ids
    texts = svg_texts(out["timeline.svg"])
    joined = " ".join(texts)
    assert f"Counts, not single records: {n:,} dated records" in joined  # the footnote says why
    assert f"{n:,} in two periods" in joined
    # the same periods and lanes as the record-level figure of the same records
    small = svg_texts(figure["timeline.svg"])
    assert panel_titles(texts) == panel_titles(small) == ["1960–1969", "2011–2018"]
    assert_years_on_every_panel(texts)
    panel_counts = [int(t.split("·")[1].split()[0].replace(",", "")) for t in texts if re.match(r"^\d{4}.*  ·  ", t)]
    assert sum(panel_counts) == n
    lanes = [t for t in small if " – " in t or t.endswith("(no other state)")]
    assert lanes and [t for t in texts if t in lanes] == lanes  # in the same order
    for name, label in DATED.items():  # legend: "Visit (12,345)"
        count = n_dated({name: many[name]})
        if count:
            assert f"{label} ({count:,})" in texts, label


def test_counts_figure_is_deterministic_and_bounded_whatever_the_number_of_records(repo, tables, crowd,
                                                                                   tmp_path):
    many, out = crowd
    assert timeline(DESC, many) == out  # same bytes on every call
    pickled = tmp_path / "tables.pickle"
    pickled.write_bytes(pickle.dumps(many))
    env = {**os.environ, "PYTHONHASHSEED": "3", "TZ": "Asia/Pyongyang",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")]))}
    child = subprocess.run([sys.executable, "-c", CHILD, str(pickled)], cwd=tmp_path, text=True,
                           capture_output=True, env=env, timeout=300)
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == hashes(out)  # and in another process

    # drawing one shape per record would mean 60,000 paths; twice the records draw no more
    twice = timeline(DESC, crowded(tables, 120_000))
    elements = drawn_elements(out["timeline.svg"])
    assert elements < 5_000
    assert drawn_elements(twice["timeline.svg"]) <= elements + 5  # a legend key more, at most
    assert len(out["timeline.svg"]) < 500_000 and len(twice["timeline.svg"]) < 500_000


def test_records_up_to_the_threshold_counts_above_it(tables, monkeypatch):
    above = crowded(tables, AGGREGATE_ABOVE + 1)
    ids = svg_ids(timeline(DESC, above)["timeline.svg"])
    assert not any(i.startswith("record-") for i in ids) and "counts-note" in ids
    # the threshold counts dated records: at it, each is drawn; one below it, counts
    n = n_dated(tables)
    monkeypatch.setattr(figures, "AGGREGATE_ABOVE", n)
    ids = svg_ids(timeline(DESC, tables)["timeline.svg"])
    assert "counts-note" not in ids and sum(i.endswith(("-day", "-range", "-fade")) for i in ids) == n
    monkeypatch.setattr(figures, "AGGREGATE_ABOVE", n - 1)
    out = timeline(DESC, tables)
    ids = svg_ids(out["timeline.svg"])
    assert "counts-note" in ids and not any(i.startswith("record-") for i in ids)
    assert f"more than the {n - 1:,} that are drawn one by one" in " ".join(svg_texts(out["timeline.svg"]))


# -- links over the marks: the release page lays them over the picture ---------------------------

def mark_links(svg: bytes) -> dict[str, tuple[str, tuple[float, float, float, float]]]:
    """href -> (tooltip, (x, y, width, height)) of each link in the SVG's group of links."""
    group = [g for g in svg_root(svg).iter(f"{SVG}g") if g.get("id") == figures.LINKS_ID]
    assert len(group) == 1
    out = {}
    for a in group[0].iter(f"{SVG}a"):
        rect = a.find(f"{SVG}rect")
        href = a.get("{http://www.w3.org/1999/xlink}href")
        assert href not in out, href  # one link per record
        out[href] = (a.findtext(f"{SVG}title"), tuple(float(rect.get(k)) for k in ("x", "y", "width", "height")))
    return out


def drawn_centres(svg: bytes, gid: str) -> list[tuple[float, float]]:
    """The centre of each shape in the group ``gid``: a marker's position, a path's bounding box."""
    group = next(g for g in svg_root(svg).iter(f"{SVG}g") if g.get("id") == gid)
    defined = {id(e) for d in group.iter(f"{SVG}defs") for e in d.iter()}  # a marker's shape, at 0, 0
    out = []
    for e in (e for e in group.iter() if id(e) not in defined):
        if e.tag == f"{SVG}use":
            out.append((float(e.get("x")), float(e.get("y"))))
        elif e.tag == f"{SVG}path" and e.get("d"):
            nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", e.get("d"))]
            xs, ys = nums[0::2], nums[1::2]
            out.append(((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2))
    return out


def test_each_record_mark_links_to_its_record_with_a_tooltip(tables, figure):
    svg = figure["timeline.svg"]
    links = mark_links(svg)
    records = dated_records(tables)
    assert sorted(links) == sorted(f"index.html#record/{name}/{key}" for name, key, _ in records)
    width, height = (float(v) for v in svg_root(svg).get("viewBox").split()[2:])
    ids = svg_ids(svg)
    for name, key, row in records:
        tooltip, (x, y, w, h) = links[f"index.html#record/{name}/{key}"]
        assert tooltip.startswith(f"{DATED[name]} {key}"), tooltip  # "Visit <key> (occurred): <date> · <lane>"
        raw = tables[name].strings
        date = raw["date"][raw[tables[name].table.primary_key[0]] == key].iloc[0]
        assert f": {date} · " in tooltip
        assert 0 <= x and x + w <= width and 0 <= y and y + h <= height
        assert 7.0 <= w and 7.0 <= h <= 20  # a target that can be hit, and no taller than a lane's row
        # the link covers what is drawn for the record: a marker, a bar or an open end
        part = next(s for s in ("day", "range", "fade") if f"record-{name}-{key}-{s}" in ids)
        for cx, cy in drawn_centres(svg, f"record-{name}-{key}-{part}"):
            assert x <= cx <= x + w and y <= cy <= y + h, (key, part, (cx, cy), (x, y, w, h))
    # two by hand: Kim Il Sung's secret visit to Beijing in May 1960, and China's famine (one state)
    assert links["index.html#record/visits/1960-05-kim-il-sung-china-secret"][0] == \
        "Visit 1960-05-kim-il-sung-china-secret (occurred): 1960-05 · China – North Korea"
    assert links["index.html#record/events/1960-china-famine"][0] == \
        "Event 1960-china-famine: 1960? · China (no other state)"


def test_links_are_transparent_and_drawn_last(figure):
    svg = figure["timeline.svg"].decode()
    group = re.search(rf'<g id="{figures.LINKS_ID}"([^>]*)>', svg)
    assert 'fill-opacity="0"' in group.group(1)
    assert svg.index(group.group(0)) > svg.rindex("record-")  # above every mark, so it takes the pointer
    assert figures.LINKS_ID == page.LINKS_ID  # the page reads what the figure writes


def test_counts_have_no_record_links(crowd):
    _many, out = crowd
    assert figures.LINKS_ID not in out["timeline.svg"].decode()
