"""Rules no Table Schema can state, run column-wise on the typed tables.

Some apply to every table (formula-like text, stray whitespace, canonical
spelling, EDTF dates in fields marked ``"x-edtf": true``); the others are
declared in each schema's ``"x-rules"`` list, so the schema remains the one
place that says what the data must satisfy, and the codebook can show it.
Both engines run these same implementations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dprk_relations.model import strings
from dprk_relations.model import dates
from dprk_relations.model.types import canonical_spelling
from dprk_relations.model.problems import problem
from dprk_relations.documents.safety import PLAIN_NUMBER
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
                    value=t.frame.at[i, end],
                    detail=f"{end} {t.frame.at[i, end]} comes before {start} {t.frame.at[i, start]}")
            for i in _rows(bad)]


def _requires(t: Typed, decl: dict, tables: dict) -> list:
    f, g = decl["field"], decl["requires"]
    bad = ~t.cast(f).missing & t.cast(g).missing
    return [problem("requires", file=t.table.path, line=t.lines[i], column=g,
                    detail=f"{f} is {t.frame.at[i, f]!r} but {g} is empty", expected=g)
            for i in _rows(bad)]


def _condition(t: Typed, decl: dict, key: str) -> np.ndarray:
    return strings.isin(t.frame[decl[key]], [str(v) for v in decl["in"]])


def _required_if(t: Typed, decl: dict, tables: dict) -> list:
    f, g = decl["field"], decl["if"]
    bad = _condition(t, decl, "if") & t.cast(f).missing
    return [problem("required-if", file=t.table.path, line=t.lines[i], column=f,
                    detail=f"{f} is required when {g} is {t.frame.at[i, g]!r}", expected=f)
            for i in _rows(bad)]


def _forbidden_unless(t: Typed, decl: dict, tables: dict) -> list:
    f, g = decl["field"], decl["unless"]
    allowed = ", ".join(map(str, decl["in"]))
    bad = ~_condition(t, decl, "unless") & ~t.cast(f).missing
    return [problem("forbidden-unless", file=t.table.path, line=t.lines[i], column=f, value=t.frame.at[i, f],
                    detail=f"{f} applies only when {g} is {allowed}, and {g} is {t.frame.at[i, g]!r}")
            for i in _rows(bad)]


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
    return [problem("actor-type", file=t.table.path, line=t.lines[i], column=f, value=t.frame.at[i, f],
                    detail=f"{f} {t.frame.at[i, f]!r} is a {kinds.iat[i]}, but must be a {' or '.join(types)}",
                    expected=" or ".join(types))
            for i in _rows(bad)]


def _distinct(t: Typed, decl: dict, tables: dict) -> list:
    a, b = decl["fields"]
    bad = ~t.cast(a).missing & (t.frame[a] == t.frame[b]).to_numpy()
    return [problem("distinct", file=t.table.path, line=t.lines[i], column=b, value=t.frame.at[i, b],
                    detail=f"{a} and {b} are both {t.frame.at[i, b]!r}")
            for i in _rows(bad)]


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
    return [problem("within-visit", file=t.table.path, line=t.lines[i], column=f, value=t.frame.at[i, f],
                    detail=f"{f} {t.frame.at[i, f]!r} is not within the dates of visit "
                           f"{t.frame.at[i, v]!r} ({visit_dates.iat[i]})")
            for i in _rows(bad)]


def _citation_target(t: Typed, decl: dict, tables: dict) -> list:
    fields = decl["fields"]
    filled = np.vstack([~t.cast(f).missing for f in fields]).sum(axis=0)
    names = ", ".join(fields)
    return [problem("citation-target", file=t.table.path, line=t.lines[i], column=fields[0],
                    detail=("the citation cites no record" if filled[i] == 0 else
                            f"the citation cites {filled[i]} records; a citation supports exactly one"),
                    expected=names)
            for i in _rows(filled != 1)]


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
                        value=target.frame.at[i, key]) for i in _rows(bad)]
    return out


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
            unknown = [w for w in t.frame.at[i, f].split(" ") if w not in names]
            if unknown:
                out.append(problem("supports", file=t.table.path, line=t.lines[i], column=f,
                                   value=t.frame.at[i, f],
                                   detail=f"{', '.join(map(repr, unknown))} is not a field of {fk.resource}"))
    return out


def _record_lookup(target: Typed, keys, columns: list[str]) -> dict:
    """{key: (row position, value of each column)} for the given keys only."""
    key = target.table.primary_key[0]
    rows = np.flatnonzero(strings.isin(target.frame[key], list(keys)))
    out = {}
    for i in rows:
        out.setdefault(target.frame[key].iat[i], (i, *[target.frame[c].iat[i] for c in columns]))
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
            by_record.setdefault(t.frame.at[i, target_field], []).append(
                (t.frame.at[i, f], t.frame.at[i, "source_id"] if "source_id" in t.frame else ""))
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
        instrument = t.frame.at[i, f]
        if not any(n in instrument for n in numbers):
            out.append(problem("instrument-cited", file=t.table.path, line=t.lines[i], column=f, value=instrument,
                               detail=f"a citation of {rec!r} names resolution {', '.join(sorted(numbers))}, "
                                      f"but {f} is {instrument!r}"))
    return out


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
        office, who, value = t.frame.at[i, f], t.frame.at[i, person], t.frame.at[i, when]
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


def _edtf_order(t: Typed, decl: dict, tables: dict) -> list:
    a, b = decl["start"], decl["end"]
    out = []
    for i in _rows(~t.cast(a).missing & ~t.cast(b).missing):
        first, then = _parsed(t.frame.at[i, a]), _parsed(t.frame.at[i, b])
        if first and then and first.earliest and then.latest and then.latest < first.earliest:
            out.append(problem("edtf-order", file=t.table.path, line=t.lines[i], column=b, value=t.frame.at[i, b],
                               detail=f"{b} {t.frame.at[i, b]!r} comes before {a} {t.frame.at[i, a]!r}"))
    return out


def _list_foreign_key(t: Typed, decl: dict, tables: dict) -> list:
    f, resource, key = decl["field"], decl["resource"], decl["key"]
    target = tables.get(resource)
    if target is None:
        return []
    keys = set(target.frame[key].dropna())
    out = []
    for i in _rows(~t.cast(f).missing):
        unknown = [w for w in t.frame.at[i, f].split(" ") if w and w not in keys]
        if unknown:
            out.append(problem("list-foreign-key", file=t.table.path, line=t.lines[i], column=f,
                               value=t.frame.at[i, f],
                               detail=f"{', '.join(map(repr, unknown))} is not a {key} of {resource}"))
    return out


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
        span = _parsed(t.frame.at[i, when])
        if span is not None:
            pairs.setdefault((t.frame.at[i, visitor], t.frame.at[i, host], bool(standing[i])), []).append((i, span))
    out = []
    marked = (t.frame[f] == "true").to_numpy(dtype=bool, na_value=False)
    for i in _rows(marked & happened):
        pair = (t.frame.at[i, visitor], t.frame.at[i, host], bool(standing[i]))
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
                                   detail=f"{pair[0]!r} also visited {pair[1]!r} in {t.frame.at[j, when]} "
                                          f"({t.frame.at[j, key]}"
                                          f"{', also marked first' if marked[j] and not before else ''})"))
                break
    return out


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
        value = t.frame.at[i, f]
        span = _parsed(value)
        if span is None:
            continue
        why = [w for w, hit in (("uncertain", span.uncertain), ("approximate", span.approximate),
                                ("open at its start", span.interval and span.earliest is None),
                                ("unknown at its end", span.interval and value.endswith("/"))) if hit]
        if why:
            out.append(problem("confidence-for-date", file=t.table.path, line=t.lines[i], column=conf,
                               value=t.frame.at[i, conf], expected=cap,
                               detail=f"{conf} is {t.frame.at[i, conf]!r} but {f} {value!r} is {' and '.join(why)}"))
    return out

DECLARED = {
    "date-order": _date_order,
    "requires": _requires,
    "required-if": _required_if,
    "forbidden-unless": _forbidden_unless,
    "actor-type": _actor_type,
    "distinct": _distinct,
    "within-visit": _within_visit,
    "citation-target": _citation_target,
    "uncited": _uncited,
    "supports": _supports,
    "dates-agree": _dates_agree,
    "instrument-cited": _instrument_cited,
    "office-held": _office_held,
    "edtf-order": _edtf_order,
    "list-foreign-key": _list_foreign_key,
    "first-visit": _first_visit,
    "confidence-for-date": _confidence_for_date,
}
# Declared in schemas but run by evidence.py, which needs the source texts.
ELSEWHERE = {"evidence"}


def unknown_declarations(tables) -> list:
    """Declarations naming a rule that no code implements: a schema error."""
    return [problem("descriptor", file=t.schema_path, column="x-rules",
                    detail=f"unknown rule {decl.get('rule')!r} (known: {', '.join(sorted(DECLARED) + sorted(ELSEWHERE))})")
            for t in tables for decl in t.rules
            if decl.get("rule") not in DECLARED and decl.get("rule") not in ELSEWHERE]


def check(tables: dict[str, Typed]) -> list:
    out = []
    for t in tables.values():
        out += global_rules(t)
        for decl in t.table.rules:
            fn = DECLARED.get(decl.get("rule"))
            if fn is not None:
                out += fn(t, decl, tables)
    return out


# -- the rules in words, for the codebook ------------------------------------------

def _in(decl, key):
    return " or ".join(str(v) for v in decl["in"])


DESCRIBE = {
    "date-order": lambda d: f"`{d['start']}` is not after `{d['end']}`.",
    "requires": lambda d: f"`{d['field']}` is filled only together with `{d['requires']}`.",
    "required-if": lambda d: f"`{d['field']}` is required when `{d['if']}` is {_in(d, 'in')}.",
    "forbidden-unless": lambda d: f"`{d['field']}` stays empty unless `{d['unless']}` is {_in(d, 'in')}.",
    "actor-type": lambda d: f"`{d['field']}` refers to an actor of type {' or '.join(d['types'])}.",
    "distinct": lambda d: f"`{d['fields'][0]}` and `{d['fields'][1]}` name different records.",
    "within-visit": lambda d: f"`{d['field']}` lies within the dates of the visit named in `{d['visit']}`.",
    "citation-target": lambda d: "Exactly one of " + ", ".join(f"`{f}`" for f in d["fields"]) + " is filled.",
    "uncited": lambda d: "Every record of the tables cited through " + ", ".join(f"`{f}`" for f in d["fields"])
                         + " has at least one citation.",
    "supports": lambda d: f"`{d['field']}` names fields of the cited record's table.",
    "dates-agree": lambda d: f"Where a source cited for a record gives a date (`{d['field']}`) with no day in "
                             f"common with the coded date, the record's `{d.get('note', 'coding_note')}` says that "
                             f"the sources disagree.",
    "instrument-cited": lambda d: f"Where a citation of the record names a resolution, `{d['field']}` records it.",
    "office-held": lambda d: f"The office in `{d['field']}` belongs to `{d['person']}` and its tenure covers the "
                             f"whole of `{d['date']}`.",
    "edtf-order": lambda d: f"`{d['end']}` does not come before `{d['start']}`.",
    "list-foreign-key": lambda d: f"Every id in `{d['field']}` is a `{d['key']}` of {d['resource']}.",
    "first-visit": lambda d: f"A visit marked `{d['field']}` true has no other coded visit of the same "
                             f"`{d['visitor']}` to the same `{d['host']}` before it, and no other marked first"
                             + (f", among the visits with an office in `{d['office']}` and, apart, those without"
                                if d.get("office") else "") + ".",
    "confidence-for-date": lambda d: f"`{d['confidence']}` is at most {d['max']} when `{d['field']}` is uncertain, "
                                     f"approximate, or an interval with an open start or an unknown end.",
    "evidence": lambda d: f"`{d['field']}` is a verbatim passage of the text of the source in "
                          f"`{d.get('source', 'source_id')}`, checked against that text's sha256.",
}
GLOBAL_RULES = [
    "Text never begins with =, +, -, @, a tab or a carriage return (a spreadsheet would run it as a formula).",
    "No value has leading or trailing spaces.",
    "Numbers, dates and booleans are written in one canonical spelling (1961, not +1961; 1961-01-01, not 1961-1-1).",
    "Fields marked as EDTF hold valid EDTF dates whose intervals do not end before they start.",
    "No cell holds a line break, so each record is one line of its CSV file.",
]


def describe(decl: dict) -> str:
    """One sentence saying what a declared rule requires."""
    return DESCRIBE[decl["rule"]](decl)
