"""Rules no Table Schema can state, run column-wise on the typed tables.

Some apply to every table (formula-like text, stray whitespace, canonical
spelling, EDTF dates in fields marked ``"x-edtf": true``); the others are
declared in each schema's ``"x-rules"`` list, so the schema remains the one
place that says what the data must satisfy, and the codebook can show it.
Both engines run these same implementations.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from dprk_relations.model import strings
from dprk_relations.model import dates
from dprk_relations.model.types import canonical_spelling
from dprk_relations.model.problems import RULES, Problem, Rule, declare, problem
from dprk_relations.model.types import PLAIN_NUMBER
from dprk_relations.checks.typed import Typed


def _rows(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask)


_FORMULA = r"^[=+\-@\t\r]"
_FORMULA_CHARS = ["=", "+", "-", "@", "\t", "\r"]
_SPACE_ENDS = r"^\s|\s$"  # Python's \s: what str.isspace() accepts
# Spellings that are canonical by construction; only the others are looked at one by one.
_CANONICAL = {"integer": r"^(0|-?[1-9][0-9]*)$", "number": r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$",
              "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}


def global_rules(t: Typed) -> list:
    out = []
    table = t.table
    for f in table.fields:
        raw = t.frame[f.name]
        cast = t.cast(f.name)
        present = ~cast.missing
        # One pass finds the rare cells that either rule concerns; the rules then look closer.
        suspect = present & strings.first_or_last_in(raw, _FORMULA_CHARS + strings.PY_SPACES, strings.PY_SPACES)
        if f.type in ("string", "integer", "number") and suspect.any():
            formula = suspect & strings.search(raw, _FORMULA)
            if f.type != "string" and formula.any():  # a number may start with - or +, if it is a plain number
                formula &= ~strings.search(raw, PLAIN_NUMBER.pattern)
            for i in _rows(formula):
                v = raw.iat[i]
                out.append(problem("formula", file=table.path, line=t.lines[i], column=f.name,
                                   value=v[:60], detail=repr(v[:1])))
        bad = suspect & strings.search(raw, _SPACE_ENDS) if suspect.any() else suspect
        for i in _rows(bad):
            v = raw.iat[i]
            where = "leading and trailing spaces" if v[:1].isspace() and v[-1:].isspace() else (
                "leading spaces" if v[:1].isspace() else "trailing spaces")
            out.append(problem("whitespace", file=table.path, line=t.lines[i], column=f.name,
                               value=v, detail=where))
        if f.type != "string":
            ok = cast.ok & ~bad
            if f.type in _CANONICAL:
                ok &= ~strings.search(raw, _CANONICAL[f.type])
            for v in pd.unique(raw[ok]):
                want = canonical_spelling(f, v)
                if want is None:
                    continue
                for i in _rows(ok & (raw == v).to_numpy(dtype=bool, na_value=False)):
                    out.append(problem("canonical-value", file=table.path, line=t.lines[i], column=f.name,
                                       value=v, expected=repr(want)))
        if f.edtf:
            out += _edtf(t, f.name, present & ~bad)
    return out


def _edtf(t: Typed, name: str, mask: np.ndarray) -> list:
    out = []
    raw = t.frame[name]
    for v in pd.unique(raw[mask]):
        reason = None
        rule = "edtf"
        try:
            dates.parse(v)
        except dates.OrderError as exc:
            reason, rule = str(exc), "date-order"
        except dates.EDTFError as exc:
            reason = str(exc)
        if reason is None:
            continue
        for i in _rows(mask & (raw == v).to_numpy(dtype=bool, na_value=False)):
            out.append(problem(rule, file=t.table.path, line=t.lines[i], column=name, value=v,
                               detail=f"{v!r}: {reason}" if rule == "date-order" else reason))
    return out


# -- declared rules ---------------------------------------------------------


def _date_order(t: Typed, decl: dict, tables: dict) -> list:
    start, end = decl["start"], decl["end"]
    a, b = t.cast(start), t.cast(end)
    with np.errstate(invalid="ignore"):
        bad = a.ok & b.ok & (a.order > b.order)
    return [problem("date-order", file=t.table.path, line=t.lines[i], column=end,
                    value=t.cells(end)[i],
                    detail=f"{end} {t.cells(end)[i]} comes before {start} {t.cells(start)[i]}")
            for i in _rows(bad)]


DATE_ORDER = declare(
    "date-order", "End before start", "{detail}",
    "Swap or correct the dates.",
    params={"start": "field", "end": "field"},
    describe=lambda d: f"`{d['start']}` is not after `{d['end']}`.",
    cross=lambda t, d, tables: [f"{k!r} must name an integer, number or date field (EDTF intervals are checked on "
                                f"their own)" for k in ("start", "end") if t.field(d[k]).type not in
                                ("integer", "number", "date")],
    check=_date_order)


def _requires(t: Typed, decl: dict, tables: dict) -> list:
    f, g = decl["field"], decl["requires"]
    bad = ~t.cast(f).missing & t.cast(g).missing
    return [problem("requires", file=t.table.path, line=t.lines[i], column=g,
                    detail=f"{f} is {t.cells(f)[i]!r} but {g} is empty", expected=g)
            for i in _rows(bad)]


REQUIRES = declare(
    "requires", "Incomplete pair", "{detail}",
    "Fill in {expected}, or leave both empty.",
    params={"field": "field", "requires": "field"},
    describe=lambda d: f"`{d['field']}` is filled only together with `{d['requires']}`.",
    check=_requires)


def _in(decl, key):
    return " or ".join(str(v) for v in decl["in"])


def _condition(t: Typed, decl: dict, key: str) -> np.ndarray:
    return strings.isin(t.frame[decl[key]], [str(v) for v in decl["in"]])


def _required_if(t: Typed, decl: dict, tables: dict) -> list:
    f, g = decl["field"], decl["if"]
    bad = _condition(t, decl, "if") & t.cast(f).missing
    return [problem("required-if", file=t.table.path, line=t.lines[i], column=f,
                    detail=f"{f} is required when {g} is {t.cells(g)[i]!r}", expected=f)
            for i in _rows(bad)]


REQUIRED_IF = declare(
    "required-if", "Conditionally required", "{detail}",
    "Fill in {expected}.",
    params={"field": "field", "if": "field", "in": "list"},
    describe=lambda d: f"`{d['field']}` is required when `{d['if']}` is {_in(d, 'in')}.",
    check=_required_if)


def _forbidden_unless(t: Typed, decl: dict, tables: dict) -> list:
    f, g = decl["field"], decl["unless"]
    allowed = ", ".join(map(str, decl["in"]))
    bad = ~_condition(t, decl, "unless") & ~t.cast(f).missing
    return [problem("forbidden-unless", file=t.table.path, line=t.lines[i], column=f, value=t.cells(f)[i],
                    detail=f"{f} applies only when {g} is {allowed}, and {g} is {t.cells(g)[i]!r}")
            for i in _rows(bad)]


FORBIDDEN_UNLESS = declare(
    "forbidden-unless", "Value not allowed here", "{detail}",
    "Leave the cell empty.",
    params={"field": "field", "unless": "field", "in": "list"},
    describe=lambda d: f"`{d['field']}` stays empty unless `{d['unless']}` is {_in(d, 'in')}.",
    check=_forbidden_unless)


def _lookup(t: Typed, field: str, tables: dict, column: str) -> tuple[pd.Series, str] | None:
    """Values of ``column`` in the row each ``field`` value points to (by its foreign key)."""
    fk = next((fk for fk in t.table.foreign_keys if fk.fields == (field,)), None)
    if fk is None or fk.resource not in tables:
        return None
    import pyarrow.compute as pc

    target = tables[fk.resource]
    keys = strings.cells(target.frame[fk.reference_fields[0]]).combine_chunks()
    values = strings.cells(target.frame[column]).combine_chunks()
    # A hash join: the position of each value among the target's keys (the first, if repeated).
    idx = pc.index_in(strings.cells(t.frame[field]), value_set=keys)
    found = pc.take(values, idx)
    return pd.Series(pd.array(found, dtype=strings.STRING), index=t.frame.index), fk.resource


def _actor_type(t: Typed, decl: dict, tables: dict) -> list:
    f = decl["field"]
    got = _lookup(t, f, tables, decl.get("type_field", "actor_type"))
    if got is None:
        return []
    kinds, resource = got
    types = [str(x) for x in decl["types"]]
    bad = ~t.cast(f).missing & kinds.notna().to_numpy() & ~strings.isin(kinds, types)
    return [problem("actor-type", file=t.table.path, line=t.lines[i], column=f, value=t.cells(f)[i],
                    detail=f"{f} {t.cells(f)[i]!r} is a {kinds.iat[i]}, but must be a {' or '.join(types)}",
                    expected=" or ".join(types))
            for i in _rows(bad)]


ACTOR_TYPE = declare(
    "actor-type", "Wrong kind of actor", "{detail}",
    "Refer to an actor of type {expected}.",
    params={"field": "field", "types": "strs", "?type_field": "str"},
    describe=lambda d: f"`{d['field']}` refers to an actor of type {' or '.join(d['types'])}.",
    cross=lambda t, d, tables: _lacks(fk_table(t, d["field"], tables), d.get("type_field", "actor_type")),
    check=_actor_type)


def _distinct(t: Typed, decl: dict, tables: dict) -> list:
    a, b = decl["fields"]
    bad = ~t.cast(a).missing & (t.frame[a] == t.frame[b]).to_numpy()
    return [problem("distinct", file=t.table.path, line=t.lines[i], column=b, value=t.cells(b)[i],
                    detail=f"{a} and {b} are both {t.cells(b)[i]!r}")
            for i in _rows(bad)]


DISTINCT = declare(
    "distinct", "Self-reference", "{detail}",
    "The two columns must name different records.",
    params={"fields": "pair"},
    describe=lambda d: f"`{d['fields'][0]}` and `{d['fields'][1]}` name different records.",
    check=_distinct)


def _spans(values: pd.Series) -> pd.DataFrame:
    return dates.derive(values.where(values != "", None))


def _within_visit(t: Typed, decl: dict, tables: dict) -> list:
    f, v = decl["field"], decl["visit"]
    target_field = decl.get("target_field", "date")
    got = _lookup(t, v, tables, target_field)
    if got is None:
        return []
    visit_dates, _ = got
    own = _spans(t.frame[f])
    theirs = _spans(visit_dates.fillna(""))
    lo_ok = own["min"].isna() | theirs["min"].isna() | (own["min"] >= theirs["min"]).fillna(True)
    hi_ok = own["max"].isna() | theirs["max"].isna() | (own["max"] <= theirs["max"]).fillna(True)
    bad = ~t.cast(v).missing & ~(lo_ok & hi_ok).to_numpy(dtype=bool)
    return [problem("within-visit", file=t.table.path, line=t.lines[i], column=f, value=t.cells(f)[i],
                    detail=f"{f} {t.cells(f)[i]!r} is not within the dates of visit "
                           f"{t.cells(v)[i]!r} ({visit_dates.iat[i]})")
            for i in _rows(bad)]


WITHIN_VISIT = declare(
    "within-visit", "Statement outside its visit", "{detail}",
    "Correct the statement's date or its visit_id.",
    params={"field": "field", "visit": "field", "?target_field": "str"},
    describe=lambda d: f"`{d['field']}` lies within the dates of the visit named in `{d['visit']}`.",
    cross=lambda t, d, tables: _lacks(fk_table(t, d["visit"], tables), d.get("target_field", "date")),
    check=_within_visit)


def _citation_target(t: Typed, decl: dict, tables: dict) -> list:
    fields = decl["fields"]
    filled = np.vstack([~t.cast(f).missing for f in fields]).sum(axis=0)
    names = ", ".join(fields)
    return [problem("citation-target", file=t.table.path, line=t.lines[i], column=fields[0],
                    detail=("the citation cites no record" if filled[i] == 0 else
                            f"the citation cites {filled[i]} records; a citation supports exactly one"),
                    expected=names)
            for i in _rows(filled != 1)]


CITATION_TARGET = declare(
    "citation-target", "Citation target", "{detail}",
    "Fill in exactly one of {expected}.",
    params={"fields": "fields"},
    describe=lambda d: "Exactly one of " + ", ".join(f"`{f}`" for f in d["fields"]) + " is filled.",
    check=_citation_target)


def _uncited(t: Typed, decl: dict, tables: dict) -> list:
    out = []
    for f in decl["fields"]:
        fk = next((fk for fk in t.table.foreign_keys if fk.fields == (f,)), None)
        if fk is None or fk.resource not in tables:
            continue
        target = tables[fk.resource]
        key = fk.reference_fields[0]
        cited = t.frame[f][~t.cast(f).missing]
        bad = ~strings.isin(target.frame[key], cited)
        out += [problem("uncited", file=target.table.path, line=target.lines[i], column=key,
                        value=target.cells(key)[i]) for i in _rows(bad)]
    return out


UNCITED = declare(
    "uncited", "Record without citation",
    "no citation supports this record", "Add a row to raw/citations.csv that cites it.",
    params={"fields": "fields"},
    describe=lambda d: "Every record of the tables cited through " + ", ".join(f"`{f}`" for f in d["fields"])
                         + " has at least one citation.",
    check=_uncited)


def _supports(t: Typed, decl: dict, tables: dict) -> list:
    f = decl["field"]
    out = []
    present = ~t.cast(f).missing
    for target_field in decl["targets"]:
        fk = next((fk for fk in t.table.foreign_keys if fk.fields == (target_field,)), None)
        if fk is None or fk.resource not in tables:
            continue
        names = set(tables[fk.resource].table.field_names)
        rows = present & ~t.cast(target_field).missing
        for i in _rows(rows):
            unknown = [w for w in t.cells(f)[i].split(" ") if w not in names]
            if unknown:
                out.append(problem("supports", file=t.table.path, line=t.lines[i], column=f,
                                   value=t.cells(f)[i],
                                   detail=f"{', '.join(map(repr, unknown))} is not a field of {fk.resource}"))
    return out


SUPPORTS = declare(
    "supports", "Unknown supported field", "{detail}",
    "List field names of the cited table, separated by spaces.",
    params={"field": "field", "targets": "fields"},
    describe=lambda d: f"`{d['field']}` names fields of the cited record's table.",
    check=_supports)


def _record_lookup(target: Typed, keys, columns: list[str]) -> dict:
    """{key: (row position, value of each column)} for the given keys only."""
    key = target.table.primary_key[0]
    rows = np.flatnonzero(strings.isin(target.frame[key], list(keys)))
    out = {}
    for i in rows:
        out.setdefault(target.cells(key)[i], (i, *[target.cells(c)[i] for c in columns]))
    return out


def _apart(a: tuple, b: tuple) -> bool:
    """Two (earliest, latest) spans with no day in common; an open end reaches every day on its side."""
    return bool((a[1] and b[0] and a[1] < b[0]) or (b[1] and a[0] and b[1] < a[0]))


def _dates_agree(t: Typed, decl: dict, tables: dict) -> list:
    """Sources that give a record different dates: the coding note must say so."""
    f = decl["field"]
    note_field = decl.get("note", "coding_note")
    out = []
    claimed = ~t.cast(f).missing
    for target_field, date_field in decl["targets"].items():
        fk = next((fk for fk in t.table.foreign_keys if fk.fields == (target_field,)), None)
        if fk is None or fk.resource not in tables:
            continue
        target = tables[fk.resource]
        if date_field not in target.frame.columns or note_field not in target.frame.columns:
            out.append(problem("descriptor", file=t.table.schema_path, column="x-rules",
                               detail=f"rule dates-agree needs fields {date_field!r} and {note_field!r} "
                                      f"in {fk.resource}"))
            continue
        rows = claimed & ~t.cast(target_field).missing
        by_record: dict = {}
        for i in _rows(rows):
            by_record.setdefault(t.cells(target_field)[i], []).append(
                (t.cells(f)[i], t.cells("source_id")[i] if "source_id" in t.frame else ""))
        if not by_record:
            continue
        found = _record_lookup(target, by_record, [date_field, note_field])
        coded = {rec: v[1] for rec, v in found.items()}
        notes = {rec: v[2] for rec, v in found.items()}
        lines = {rec: target.lines[v[0]] for rec, v in found.items()}
        for rec, claims in by_record.items():
            spans = {}
            for value, _src in claims:
                try:
                    sp = dates.parse(value)
                except dates.EDTFError:
                    continue  # the edtf rule reports it
                spans[value] = (sp.earliest, sp.latest)
            try:
                own = dates.parse(coded.get(rec, ""))
                own_span = (own.earliest, own.latest)
            except dates.EDTFError:
                own_span = None
            # A claim disagrees when it has no day in common with the coded date. A less precise claim
            # that holds it (March 2018 for 25 March 2018) does not, and neither do the start and the end
            # of one tenure or visit, each given by its own passage.
            differ = own_span is not None and any(_apart(c, own_span) for c in set(spans.values()))
            note = str(notes.get(rec, "") or "")
            if differ and "disagree" not in note.lower() and rec in lines:
                given = "; ".join(f"{v} ({src})" for v, src in claims)
                out.append(problem("dates-agree", file=target.table.path, line=lines[rec], column=note_field,
                                   value=rec, detail=f"the sources give {given} and {date_field} is "
                                                     f"{coded.get(rec)!r}"))
    return out


DATES_AGREE = declare(
    "dates-agree", "Sources disagree on a date", "{detail}",
    "Check the sources; code the better-supported date and say in the coding note that the sources disagree.",
    params={"field": "field", "targets": "map", "?note": "str"},
    describe=lambda d: f"Where a source cited for a record gives a date (`{d['field']}`) with no day in "
                             f"common with the coded date, the record's `{d.get('note', 'coding_note')}` says that "
                             f"the sources disagree.",
    cross=lambda t, d, tables: [f"{ref.name} has no primary key" for ref in (fk_table(t, own, tables)
                                                                         for own in d["targets"])
                                if ref is not None and not ref.primary_key],
    check=_dates_agree)


def _instrument_cited(t: Typed, decl: dict, tables: dict) -> list:
    """A sanction whose citations name an instrument must record it."""
    import re

    f = decl["field"]
    cites = tables.get(decl.get("citations", "citations"))
    if cites is None:
        return []
    via = decl.get("via")
    evidence = decl.get("evidence", "evidence")
    rx = re.compile(decl["pattern"])
    key = t.table.primary_key[0]
    named: dict = {}
    citing = np.flatnonzero(~cites.cast(via).missing)  # only the citations of this table's records
    for rec, text in zip(cites.frame[via].take(citing), cites.frame[evidence].take(citing)):
        for m in rx.finditer(text):
            named.setdefault(rec, set()).add(m.group(1))
    out = []
    keys = t.frame[key]
    for i in np.flatnonzero(strings.isin(keys, list(named))) if named else []:
        rec = keys.iat[i]
        numbers = named[rec]
        instrument = t.cells(f)[i]
        if not any(n in instrument for n in numbers):
            out.append(problem("instrument-cited", file=t.table.path, line=t.lines[i], column=f, value=instrument,
                               detail=f"a citation of {rec!r} names resolution {', '.join(sorted(numbers))}, "
                                      f"but {f} is {instrument!r}"))
    return out


INSTRUMENT_CITED = declare(
    "instrument-cited", "Instrument not recorded", "{detail}",
    "Write the instrument the source names, e.g. 'UNSC Resolution 2397'.",
    params={"field": "field", "pattern": "regex", "via": "str", "?citations": "str", "?evidence": "str"},
    describe=lambda d: f"Where a citation of the record names a resolution, `{d['field']}` records it.",
    cross=lambda t, d, tables: ([] if t.primary_key else [f"{t.name} has no primary key"]) + _lacks(
        tables.get(d.get("citations", "citations")), d["via"], d.get("evidence", "evidence")),
    check=_instrument_cited)


def _fk_target(t: Typed, field: str, tables: dict):
    """The table that ``field`` points to by its foreign key, if loaded."""
    fk = next((fk for fk in t.table.foreign_keys if fk.fields == (field,)), None)
    return None if fk is None else tables.get(fk.resource)


def _parsed(value: str):
    try:
        return dates.parse(value)
    except dates.EDTFError:
        return None  # the edtf rule reports it


def _office_held(t: Typed, decl: dict, tables: dict) -> list:
    """The office a record claims is its person's, and covers the whole of the record's possible dates."""
    f, person, when = decl["field"], decl["person"], decl["date"]
    offices = _fk_target(t, f, tables)
    rows = _rows(~t.cast(f).missing)
    if offices is None or not len(rows):
        return []
    found = _record_lookup(offices, set(t.frame[f].take(rows)), ["person_id", "date"])
    out = []
    for i in rows:
        office, who, value = t.cells(f)[i], t.cells(person)[i], t.cells(when)[i]
        if office not in found:
            continue  # the foreign-key check reports it
        _, holder, tenure = found[office]
        if holder != who:
            out.append(problem("office-held", file=t.table.path, line=t.lines[i], column=f, value=office,
                               detail=f"{f} {office!r} is an office of {holder!r}, not of {person} {who!r}"))
            continue
        own, span = _parsed(value), _parsed(tenure)
        if own is None or span is None:
            continue
        starts = span.earliest is None or (own.earliest is not None and own.earliest >= span.earliest)
        ends = span.latest is None or (own.latest is not None and own.latest <= span.latest)
        if not (starts and ends):
            out.append(problem("office-held", file=t.table.path, line=t.lines[i], column=f, value=office,
                               detail=f"{who!r} held {office!r} over {tenure}, which does not cover "
                                      f"the whole of {when} {value!r}"))
    return out


OFFICE_HELD = declare(
    "office-held", "Office not held at the date", "{detail}",
    "Check who held the office at the record's date (raw/offices.csv): correct the person, the office, the "
    "date, or leave the office empty if the record claims none.",
    params={"field": "field", "person": "field", "date": "field"},
    describe=lambda d: f"The office in `{d['field']}` belongs to `{d['person']}` and its tenure covers the "
                             f"whole of `{d['date']}`.",
    cross=lambda t, d, tables: [f"{d['field']!r} has no foreign key to the offices table"]
    if fk_table(t, d["field"], tables) is None else _lacks(fk_table(t, d["field"], tables), "person_id", "date"),
    check=_office_held)


def _edtf_order(t: Typed, decl: dict, tables: dict) -> list:
    a, b = decl["start"], decl["end"]
    out = []
    for i in _rows(~t.cast(a).missing & ~t.cast(b).missing):
        first, then = _parsed(t.cells(a)[i]), _parsed(t.cells(b)[i])
        if first and then and first.earliest and then.latest and then.latest < first.earliest:
            out.append(problem("edtf-order", file=t.table.path, line=t.lines[i], column=b, value=t.cells(b)[i],
                               detail=f"{b} {t.cells(b)[i]!r} comes before {a} {t.cells(a)[i]!r}"))
    return out


EDTF_ORDER = declare(
    "edtf-order", "Date before the one it follows", "{detail}",
    "Correct the dates: the later event cannot come before the earlier one.",
    params={"start": "field", "end": "field"},
    describe=lambda d: f"`{d['end']}` does not come before `{d['start']}`.",
    check=_edtf_order)


def _list_foreign_key(t: Typed, decl: dict, tables: dict) -> list:
    f, resource, key = decl["field"], decl["resource"], decl["key"]
    target = tables.get(resource)
    if target is None:
        return []
    keys = set(target.frame[key].dropna())
    out = []
    for i in _rows(~t.cast(f).missing):
        unknown = [w for w in t.cells(f)[i].split(" ") if w and w not in keys]
        if unknown:
            out.append(problem("list-foreign-key", file=t.table.path, line=t.lines[i], column=f,
                               value=t.cells(f)[i],
                               detail=f"{', '.join(map(repr, unknown))} is not a {key} of {resource}"))
    return out


LIST_FOREIGN_KEY = declare(
    "list-foreign-key", "Unknown reference in a list", "{detail}",
    "Use existing keys, separated by single spaces, or add the referenced record first.",
    params={"field": "field", "resource": "str", "key": "str"},
    describe=lambda d: f"Every id in `{d['field']}` is a `{d['key']}` of {d['resource']}.",
    cross=lambda t, d, tables: [f"there is no table {d['resource']!r}"] if d["resource"] not in tables
    else _lacks(tables[d["resource"]], d["key"]),
    check=_list_foreign_key)


def _first_visit(t: Typed, decl: dict, tables: dict) -> list:
    """A visit marked first has no coded visit of the same visitor to the same host before it."""
    f, visitor, host, when, status = decl["field"], decl["visitor"], decl["host"], decl["date"], decl["status"]
    happened = strings.isin(t.frame[status], [str(v) for v in decl["occurred"]])
    # "First" is first in a standing: as a leader in office (an office is claimed), or not (an heir, an
    # envoy); Kim Jong Il's first visit to China as leader came after his visits as heir.
    office = decl.get("office")
    standing = (~t.cast(office).missing) if office else np.zeros(len(t.frame), dtype=bool)
    pairs: dict = {}
    for i in _rows(happened):
        span = _parsed(t.cells(when)[i])
        if span is not None:
            pairs.setdefault((t.cells(visitor)[i], t.cells(host)[i], bool(standing[i])), []).append((i, span))
    out = []
    marked = (t.frame[f] == "true").to_numpy(dtype=bool, na_value=False)
    for i in _rows(marked & happened):
        pair = (t.cells(visitor)[i], t.cells(host)[i], bool(standing[i]))
        own = dict(pairs.get(pair, [])).get(i)
        if own is None:
            continue
        for j, other in pairs[pair]:
            if j == i:
                continue
            before = other.latest is not None and own.earliest is not None and other.latest < own.earliest
            if before or marked[j]:
                key = t.table.primary_key[0] if t.table.primary_key else visitor
                out.append(problem("first-visit", file=t.table.path, line=t.lines[i], column=f, value="true",
                                   detail=f"{pair[0]!r} also visited {pair[1]!r} in {t.cells(when)[j]} "
                                          f"({t.cells(key)[j]}"
                                          f"{', also marked first' if marked[j] and not before else ''})"))
                break
    return out


FIRST_VISIT = declare(
    "first-visit", "First visit contradicted", "{detail}",
    "Mark only the visitor's earliest visit to that host as the first (true), or leave first_visit empty "
    "where the sources do not say.",
    params={"field": "field", "visitor": "field", "host": "field", "date": "field", "status": "field", "occurred": "strs", "?office": "field"},
    describe=lambda d: f"A visit marked `{d['field']}` true has no other coded visit of the same "
                             f"`{d['visitor']}` to the same `{d['host']}` before it, and no other marked first"
                             + (f", among the visits with an office in `{d['office']}` and, apart, those without"
                                if d.get("office") else "") + ".",
    check=_first_visit)


def _confidence_for_date(t: Typed, decl: dict, tables: dict) -> list:
    """An uncertain or approximate date, or an interval whose start or end the sources leave unknown, was
    reached by inference: not the top confidence. An open end (``/..``) is allowed: a tenure or a measure
    still in force is a fact, not a guess; so is one day within a range that the sources state (``[A..B]``)."""
    f, conf, cap = decl["field"], decl["confidence"], decl["max"]
    levels = list(t.table.field(conf).enum or [])
    if cap not in levels:
        return []
    above = levels[levels.index(cap) + 1:]
    out = []
    for i in _rows(strings.isin(t.frame[conf], above) & ~t.cast(f).missing):
        value = t.cells(f)[i]
        span = _parsed(value)
        if span is None:
            continue
        why = [w for w, hit in (("uncertain", span.uncertain), ("approximate", span.approximate),
                                ("open at its start", span.interval and span.earliest is None),
                                ("unknown at its end", span.interval and value.endswith("/"))) if hit]
        if why:
            out.append(problem("confidence-for-date", file=t.table.path, line=t.lines[i], column=conf,
                               value=t.cells(conf)[i], expected=cap,
                               detail=f"{conf} is {t.cells(conf)[i]!r} but {f} {value!r} is {' and '.join(why)}"))
    return out


CONFIDENCE_FOR_DATE = declare(
    "confidence-for-date", "Confidence too high for the date", "{detail}",
    "A date that is uncertain, approximate, or has an open start or unknown end was inferred: lower the confidence "
    "to {expected} or less and say in the coding note how the date was reached, or code the date the sources give.",
    params={"field": "field", "confidence": "field", "max": "str"},
    describe=lambda d: f"`{d['confidence']}` is at most {d['max']} when `{d['field']}` is uncertain, "
                                     f"approximate, or an interval with an open start or an unknown end.",
    check=_confidence_for_date)


# -- declarations, checked before any rule reads one ---------------------------------

def _is_str_list(v, min_len=0) -> bool:
    return isinstance(v, list) and len(v) >= min_len and all(isinstance(x, str) and x for x in v)


SCALAR = (str, int, float, bool)


def _declaration_problems(decl: dict, fields: dict, shown: str) -> list[Problem]:
    """One x-rules declaration: the keys its rule reads, of the right kind,
    naming fields of the table (``fields``: name -> type)."""
    out = []
    rule = decl.get("rule")

    def bad(key, detail):
        out.append(problem("descriptor", file=shown, column="x-rules",
                           detail=f"rule {rule!r}: {key!r} {detail}"))

    if not isinstance(rule, str):
        bad("rule", "must be the name of a rule")
        return out
    known = declared()
    if rule not in known:
        bad("rule", f"is not a known rule (known: {', '.join(sorted(known))})")
        return out
    for key, kind in known[rule].params.items():
        optional = key.startswith("?")
        key = key.lstrip("?")
        if key not in decl:
            if not optional:
                bad(key, "is required")
            continue
        v = decl[key]
        if kind == "field":
            if not isinstance(v, str) or v not in fields:
                bad(key, "must name a field of the table")
        elif kind in ("fields", "pair"):
            if not _is_str_list(v, 1) or any(x not in fields for x in v):
                bad(key, "must be a list of fields of the table")
            elif kind == "pair" and len(v) != 2:
                bad(key, "must name exactly two fields")
        elif kind == "str":
            if not isinstance(v, str) or not v:
                bad(key, "must be a non-empty string")
        elif kind == "strs":
            if not _is_str_list(v, 1):
                bad(key, "must be a non-empty list of strings")
        elif kind == "list":
            if not isinstance(v, list) or not all(isinstance(x, SCALAR) for x in v):
                bad(key, "must be a list of values")
        elif kind == "map":
            if not isinstance(v, dict) or not v or not all(
                    isinstance(k, str) and k in fields and isinstance(x, str) and x for k, x in v.items()):
                bad(key, "must map fields of the table to field names of the tables they point to")
        elif kind == "regex":
            try:
                if not isinstance(v, str) or re.compile(v).groups < 1:
                    bad(key, "must be a regular expression with a group")
            except re.error as exc:
                bad(key, f"does not compile: {exc}")
    return out


def declaration_problems(tables) -> list[Problem]:
    """Every x-rules declaration of every table (``Table`` objects, by name): a known rule,
    the keys it reads, of the right kind, naming fields of the table; then what it reads
    in other tables. A declaration that fails here is never run."""
    out = []
    for t in tables.values():
        shown = t.schema_path or "datapackage.json"
        fields = {f.name: f.type for f in t.fields}
        for decl in t.rules:
            found = _declaration_problems(decl, fields, shown)
            rule = declared().get(decl.get("rule"))
            if not found and rule is not None and rule.cross is not None:
                found = [problem("descriptor", file=shown, column="x-rules", detail=f"rule {rule.slug!r}: {detail}")
                         for detail in rule.cross(t, decl, tables)]
            out += found
    return out


def fk_table(t, field: str, tables: dict):
    """The table a single-field foreign key of ``t`` points to (None when it has none)."""
    fk = next((fk for fk in t.foreign_keys if fk.fields == (field,)), None)
    return tables.get(fk.resource) if fk is not None else None


def _lacks(table, *columns) -> list[str]:
    return [f"{table.name} has no field {c!r}" for c in columns if table is not None and c not in table.field_names]

def declared() -> dict[str, Rule]:
    """Every rule a schema can declare, by slug (the evidence rule, which needs the
    source texts, is declared and run in :mod:`.evidence`)."""
    from dprk_relations.checks import evidence  # noqa: F401 - it declares its rule

    return {slug: r for slug, r in RULES.items() if r.params is not None}


def check(tables: dict[str, Typed]) -> list:
    out = []
    for t in tables.values():
        out += global_rules(t)
        for decl in t.table.rules:
            rule = RULES.get(decl.get("rule"))
            if rule is not None and rule.check is not None:
                out += rule.check(t, decl, tables)
    return out


def global_rules_in_words() -> list[str]:
    """The rules every table obeys, in words, for the codebook."""
    return [r.codebook for r in RULES.values() if r.codebook]


def describe(decl: dict) -> str:
    """One sentence saying what a declared rule requires."""
    return declared()[decl["rule"]].describe(decl)
