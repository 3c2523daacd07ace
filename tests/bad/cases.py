"""The bad-input corpus: broken copies of the real package, each with the
problem the validator must report.

Every case is data: a name, a category, one or more *mutations* applied to a
fresh copy of the package (bytes, cells, rows, header or JSON), and the
problem expected at an exact place, ``(rule, file, line, column)``. ``line``
is a spreadsheet row number; ``At(column, value)``, the row of the unmutated
file whose ``column`` holds ``value``; or ``AfterLast()``, the row after its
last (so the corpus survives new records, and runs on the tests' sample of the
package). ``column`` ``None`` means "no column" (a whole-file problem).

tests/test_broken_input.py runs every case through the real command line and
checks exit code 1, the expected problem, a message and a fix for every
problem, no traceback, and that validation wrote nothing.

How borderline inputs are classified (the choice is the validator's; the
corpus pins it down):

- keys are slugs (``^[a-z0-9]+(-[a-z0-9]+)*$``), so a case-only duplicate
  (``CHN`` beside ``chn``), smart quotes or inner spaces in a key break the
  *pattern*; a leading or trailing space is reported as *whitespace*;
- a date that is not ISO in a Table Schema ``date`` field (25/03/2018, an
  Excel serial such as 22282) is a *type* error; the same in an EDTF text
  field is an *edtf* error; 1961-1964 for the EDTF interval 1961/1964 is *edtf*;
- 420,000,000 and $900000000 in a number field are *type* errors;
- a merged title row above the header makes the header wrong (*header*);
- "source text missing" is an error only with ``--strict``; without it a
  notice says that evidence was not checked.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

VISITS, AID, ACTORS, EVENTS = "raw/visits.csv", "raw/aid.csv", "raw/actors.csv", "raw/events.csv"
SANCTIONS, STATEMENTS, CITATIONS = "raw/sanctions.csv", "raw/statements.csv", "raw/citations.csv"
SOURCES, RATES = "raw/sources.csv", "raw/exchange_rates.csv"
OFFICES, AGREEMENTS = "raw/offices.csv", "raw/agreements.csv"
DESC = "datapackage.json"

KEYS = {VISITS: "visit_id", AID: "aid_id", ACTORS: "actor_id", EVENTS: "event_id", SANCTIONS: "sanction_id",
        STATEMENTS: "statement_id", CITATIONS: "citation_id", SOURCES: "source_id", RATES: "rate_id",
        OFFICES: "office_id", AGREEMENTS: "agreement_id"}


@dataclass(frozen=True)
class At:
    """The spreadsheet row of the unmutated file whose ``column`` holds ``value``
    (plus ``offset``, for a row inserted next to it)."""

    column: str
    value: str
    offset: int = 0


@dataclass(frozen=True)
class AfterLast:
    """The spreadsheet row after the last row of the unmutated file (where rows are appended)."""


@dataclass(frozen=True)
class Line:
    """The line of the mutated ``file`` that holds ``text`` (where a JSON parser stops)."""

    text: str


@dataclass(frozen=True)
class LastLine:
    """The last line of the mutated file (where a truncated JSON file ends)."""


@dataclass
class Context:
    """What a mutation may change besides the package: the command's options."""

    scratch: Path  # a directory outside the package, for altered source texts
    sources: list  # --sources directories
    args: list = field(default_factory=list)  # extra options (--strict)


@dataclass(frozen=True)
class Case:
    name: str
    category: str  # spreadsheet | value | key | evidence | descriptor | structure
    mutations: tuple  # functions (Copy, Context) -> None, applied in order
    rule: str
    file: str
    line: object  # int, At(...) or None
    column: str | None
    note: str = ""

    def locate(self, pkg):
        """Resolve an At() line on the unmutated copy (call before mutating)."""
        if isinstance(self.line, At):
            return pkg.find(self.file, self.line.column, self.line.value) + self.line.offset
        if isinstance(self.line, AfterLast):
            return len(pkg.rows(self.file)) + 1
        return self.line

    def expected(self, pkg, located) -> tuple:
        """(rule, file, line, column), with Line() and LastLine() resolved on the mutated copy."""
        line = located
        if isinstance(line, (Line, LastLine)):
            text = pkg.path(self.file).read_text(encoding="utf-8", errors="replace")
            if isinstance(line, Line):
                line = text[: text.index(line.text)].count("\n") + 1
            else:
                line = text.count("\n") + 1
        return (self.rule, self.file, line, self.column)


# -- mutations ------------------------------------------------------------------


def cell(file: str, key: str, column: str, value: str) -> Callable:
    """Set ``column`` in the row whose primary key is ``key``."""

    def run(p, ctx):
        p.set_cell(file, p.find(file, KEYS[file], key), column, value)
    return run


def cell_bytes(file: str, key: str, column: str, raw: bytes) -> Callable:
    """Put raw bytes (not UTF-8) into a cell: write a marker, then swap its bytes."""
    marker = "\u2603MARK\u2603"

    def run(p, ctx):
        p.set_cell(file, p.find(file, KEYS[file], key), column, marker)
        path = p.path(file)
        path.write_bytes(path.read_bytes().replace(marker.encode("utf-8"), raw))
    return run


def bytes_of(file: str, fn: Callable[[bytes], bytes]) -> Callable:
    def run(p, ctx):
        path = p.path(file)
        path.write_bytes(fn(path.read_bytes()))
    return run


def rows_of(file: str, fn: Callable[[list], list]) -> Callable:
    def run(p, ctx):
        p.write_rows(file, fn(p.rows(file)))
    return run


def header_of(file: str, fn: Callable[[list], list]) -> Callable:
    def run(p, ctx):
        rows = p.rows(file)
        rows[0] = fn(list(rows[0]))
        p.write_rows(file, rows)
    return run


def columns_of(file: str, fn: Callable[[list], list]) -> Callable:
    """Apply ``fn`` to every row (header included): reorder, drop or repeat columns."""
    return rows_of(file, lambda rows: [fn(list(r)) for r in rows])


def json_of(file: str, fn: Callable) -> Callable:
    def run(p, ctx):
        path = p.path(file)
        obj = json.loads(path.read_text(encoding="utf-8"))
        obj = fn(obj) or obj
        path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return run


def resource(name: str, key: str, value) -> Callable:
    """Set ``key`` of resource ``name`` in datapackage.json."""

    def fn(desc):
        next(r for r in desc["resources"] if r["name"] == name)[key] = value
    return json_of(DESC, fn)


def schema_field(table: str, name: str, key: str, value) -> Callable:
    def fn(schema):
        next(f for f in schema["fields"] if f["name"] == name)[key] = value
    return json_of(f"schemas/{table}.json", fn)


def swap(a: str, b: str) -> Callable[[list], list]:
    def fn(row):
        i, j = COLUMN_INDEX[a], COLUMN_INDEX[b]
        row[i], row[j] = row[j], row[i]
        return row
    return fn


def drop_rows_with(file: str, column: str, value: str) -> Callable:
    def fn(rows):
        i = rows[0].index(column)
        return [rows[0]] + [r for r in rows[1:] if r[i] != value]
    return rows_of(file, fn)


def insert_copy(file: str, key: str, after: int | None, new_key: str | None = None) -> Callable:
    """Insert a copy of row ``key`` at data position ``after`` (1 = first data row;
    None: right after the row copied)."""

    def run(p, ctx):
        rows = p.rows(file)
        i = rows[0].index(KEYS[file])
        at, src = next((n, list(r)) for n, r in enumerate(rows) if n and r[i] == key)
        if new_key is not None:
            src[i] = new_key
        rows.insert(at + 1 if after is None else after, src)
        p.write_rows(file, rows)
    return run


def altered_source_text(name: str) -> Callable:
    """Give the run a copy of the source texts in which ``name`` has one byte more."""

    def run(p, ctx):
        new = ctx.scratch / "altered"
        dirs = []
        for i, d in enumerate(ctx.sources):
            shutil.copytree(d, new / str(i))
            dirs.append(new / str(i))
        for d in dirs:
            if (d / name).is_file():
                (d / name).write_bytes((d / name).read_bytes() + b"\n")
        ctx.sources[:] = dirs
    return run


def only_sources(*keep: str) -> Callable:
    """Run with the source directories whose names end with one of ``keep``."""

    def run(p, ctx):
        ctx.sources[:] = [d for d in ctx.sources if Path(d).name in keep]
    return run


def option(*args: str) -> Callable:
    def run(p, ctx):
        ctx.args.extend(args)
    return run


def remove(rel: str) -> Callable:
    def run(p, ctx):
        os.remove(p.path(rel))
    return run


def symlink_resource(name: str, target_outside: bool = True) -> Callable:
    """Make raw/<name>.csv a link (to a copy outside the package)."""

    def run(p, ctx):
        path = p.path(f"raw/{name}.csv")
        outside = ctx.scratch / f"{name}.csv"
        shutil.copy(path, outside)
        os.remove(path)
        os.symlink(outside, path)
    return run


REPO = Path(__file__).resolve().parents[2]
VISIT_COLUMNS = [f["name"] for f in json.loads((REPO / "schemas/visits.json").read_text(encoding="utf-8"))["fields"]]
AID_COLUMNS = [f["name"] for f in json.loads((REPO / "schemas/aid.json").read_text(encoding="utf-8"))["fields"]]
FIRST_VISIT = (REPO / VISITS).read_text(encoding="utf-8").splitlines()[1].split(",")[0]
COLUMN_INDEX = {c: i for i, c in enumerate(VISIT_COLUMNS)}

SEOUL = "2018-03-yang-jiechi-seoul"
SINO_TREATY = "1961-07-11-chn-prk-treaty-friendship-cooperation-mutual-assistance"
SECRET = "1960-05-kim-il-sung-china-secret"
KJU_CHINA = "2018-03-kim-jong-un-china"
RUBLES_420 = "1960-chinese-assistance-420m-rubles"
RUBLES_900 = "1960-soviet-debt-forgiveness-900m-rubles"
POST_1961 = "sur-post-1961-official"
COAL = "2017-02-18-china-suspends-dprk-coal-imports"
TERM_LIMITS = "2018-03-11-china-removes-presidential-term-limits"
SUN = "sun-2018-kim-jong-un-goes-to-china"
SUN_TEXT = "sun-2018-kim-jong-un-goes-to-china.txt"


def _c(name, category, mutations, rule, file, line, column, note=""):
    if callable(mutations):
        mutations = (mutations,)
    return Case(name, category, tuple(mutations), rule, file, line, column, note)


CASES: list[Case] = [
    # -- spreadsheet damage ---------------------------------------------------------
    _c("bom", "spreadsheet", bytes_of(ACTORS, lambda b: b"\xef\xbb\xbf" + b), "bom", ACTORS, 1, None,
       "Excel's 'CSV UTF-8' writes a byte-order mark"),
    _c("crlf", "spreadsheet", bytes_of(SOURCES, lambda b: b.replace(b"\n", b"\r\n")), "line-ending", SOURCES, 1, None),
    _c("bare-cr", "spreadsheet", bytes_of(EVENTS, lambda b: b.replace(b"\n", b"\r")), "line-ending", EVENTS, 1, None,
       "classic Mac line ends"),
    _c("semicolon-delimiter", "spreadsheet",
       bytes_of(RATES, lambda b: b.replace(b",", b";")), "delimiter", RATES, 1, None,
       "a European-locale spreadsheet saves with ';'; the file has no other commas quoted, so all become ';'"),
    _c("latin1-bytes", "spreadsheet", cell_bytes(ACTORS, "sun", "name", "Sovi\u00e9t Union".encode("latin-1")),
       "encoding", ACTORS, At("actor_id", "sun"), None),
    _c("cp1252-smart-quote-bytes", "spreadsheet",
       cell_bytes(VISITS, SEOUL, "location", b"\x93Seoul\x94"), "encoding", VISITS, At("visit_id", SEOUL), None,
       "Windows-1252 curly quotes 0x93/0x94"),
    _c("smart-quotes-in-key", "spreadsheet", cell(VISITS, SEOUL, "host_id", "\u201ckor\u201d"),
       "pattern", VISITS, At("visit_id", SEOUL), "host_id", "autocorrect turned \"kor\" into “kor”"),
    _c("trailing-space-in-cell", "spreadsheet", cell(VISITS, SEOUL, "location", "Seoul "),
       "whitespace", VISITS, At("visit_id", SEOUL), "location"),
    _c("trailing-space-in-header", "spreadsheet", header_of(AID, lambda h: [c + " " if c == "status" else c for c in h]),
       "header", AID, 1, "status ", "the message says to write 'status'"),
    _c("empty-trailing-rows", "spreadsheet",
       bytes_of(AID, lambda b: b + (b"," * (len(AID_COLUMNS) - 1) + b"\n") * 2), "blank-row", AID, AfterLast(), None,
       "a spreadsheet exports formatted but empty rows below the data"),
    _c("column-reordered", "spreadsheet", columns_of(VISITS, swap("location", "date")),
       "column-order", VISITS, 1, "date"),
    _c("column-renamed", "spreadsheet", header_of(AID, lambda h: ["amount_rubles" if c == "amount" else c for c in h]),
       "header", AID, 1, "amount_rubles"),
    _c("column-missing", "spreadsheet",
       columns_of(VISITS, lambda r: r[:COLUMN_INDEX["location"]] + r[COLUMN_INDEX["location"] + 1:]),
       "header", VISITS, 1, "location"),
    _c("column-duplicated", "spreadsheet", columns_of(EVENTS, lambda r: r + [r[4]]),
       "header", EVENTS, 1, "date"),
    _c("merged-title-row", "spreadsheet",
       rows_of(STATEMENTS, lambda rows: [["Statements (coded 2018)"] + [""] * (len(rows[0]) - 1)] + rows),
       "header", STATEMENTS, 1, "Statements (coded 2018)",
       "a merged title cell above the header becomes the first row"),
    _c("extra-column", "spreadsheet", columns_of(EVENTS, lambda r: r + ["x"]), "header", EVENTS, 1, "x",
       "a helper column left in the sheet"),
    _c("extra-cell", "structure", rows_of(SANCTIONS, lambda rows: rows[:2] + [rows[2] + ["stray"]] + rows[3:]),
       "extra-cell", SANCTIONS, 3, "column 13"),
    _c("missing-cells", "structure", rows_of(SANCTIONS, lambda rows: rows[:2] + [rows[2][:5]] + rows[3:]),
       "missing-cell", SANCTIONS, 3, "measure_type"),
    _c("unbalanced-quote", "structure", cell_bytes(VISITS, SEOUL, "confidence", b'"high'),
       "csv-syntax", VISITS, At("visit_id", SEOUL), None,
       "a quote opens the last cell and is never closed: the reader fails lines later, the report names the row"),
    _c("line-break-in-cell", "structure", cell(VISITS, SEOUL, "location", "Seoul\nSouth Korea"),
       "line-break", VISITS, At("visit_id", SEOUL), "location"),
    _c("formula", "spreadsheet", cell(VISITS, SEOUL, "summary", '=HYPERLINK("http://example.com","Yang")'),
       "formula", VISITS, At("visit_id", SEOUL), "summary"),
    _c("formula-at-sign", "spreadsheet", cell(EVENTS, TERM_LIMITS, "coding_note", "@SUM(1+1)*cmd|' /C calc'!A0"),
       "formula", EVENTS, At("event_id", TERM_LIMITS), "coding_note"),
    # -- values --------------------------------------------------------------------------
    _c("thousand-separators", "value", cell(AID, RUBLES_420, "amount", "420,000,000"),
       "type", AID, At("aid_id", RUBLES_420), "amount"),
    _c("currency-sign", "value", cell(AID, RUBLES_900, "amount", "$900000000"),
       "type", AID, At("aid_id", RUBLES_900), "amount"),
    _c("date-dd-mm-yyyy", "value", cell(RATES, POST_1961, "valid_from", "01/01/1961"),
       "type", RATES, At("rate_id", POST_1961), "valid_from", "valid_from is a Table Schema date"),
    _c("edtf-dd-mm-yyyy", "value", cell(EVENTS, TERM_LIMITS, "date", "11/03/2018"),
       "edtf", EVENTS, At("event_id", TERM_LIMITS), "date", "date is an EDTF text field"),
    _c("excel-serial-date", "value", cell(RATES, POST_1961, "valid_from", "22282"),
       "type", RATES, At("rate_id", POST_1961), "valid_from", "22282 is 1961-01-01 as an Excel serial"),
    _c("excel-serial-edtf", "value", cell(EVENTS, TERM_LIMITS, "date", "43170"),
       "edtf", EVENTS, At("event_id", TERM_LIMITS), "date"),
    _c("edtf-hyphen-range", "value", cell(AID, RUBLES_420, "date", "1961-1964"),
       "edtf", AID, At("aid_id", RUBLES_420), "date", "1961/1964 was meant"),
    _c("negative-amount", "value", cell(AID, RUBLES_900, "amount", "-900000000"),
       "exclusive-minimum", AID, At("aid_id", RUBLES_900), "amount"),
    _c("astronomical-amount", "value", cell(AID, RUBLES_900, "amount", "9e99"),
       "maximum", AID, At("aid_id", RUBLES_900), "amount"),
    _c("impossible-date", "value", cell(RATES, POST_1961, "valid_from", "1961-02-30"),
       "type", RATES, At("rate_id", POST_1961), "valid_from"),
    _c("impossible-edtf-day", "value", cell(EVENTS, TERM_LIMITS, "date", "2018-02-29"),
       "edtf", EVENTS, At("event_id", TERM_LIMITS), "date"),
    _c("impossible-edtf-month", "value", cell(VISITS, SECRET, "date", "1960-13"),
       "edtf", VISITS, At("visit_id", SECRET), "date"),
    _c("interval-reversed", "value", cell(VISITS, KJU_CHINA, "date", "2018-03-28/2018-03-25"),
       "date-order", VISITS, At("visit_id", KJU_CHINA), "date"),
    _c("years-reversed", "value", cell(AID, RUBLES_420, "year_start", "1965"),
       "date-order", AID, At("aid_id", RUBLES_420), "year_end"),
    _c("year-out-of-range", "value", cell(AID, RUBLES_420, "year_end", "19640"),
       "maximum", AID, At("aid_id", RUBLES_420), "year_end", "a digit typed twice"),
    _c("unknown-category", "value", cell(VISITS, SECRET, "visit_type", "clandestine"),
       "enum", VISITS, At("visit_id", SECRET), "visit_type"),
    _c("category-case-variant", "value", cell(VISITS, SECRET, "visit_type", "Secret"),
       "enum", VISITS, At("visit_id", SECRET), "visit_type", "categories are case-sensitive"),
    _c("boolean-yes", "value", cell(VISITS, KJU_CHINA, "first_visit", "yes"),
       "type", VISITS, At("visit_id", KJU_CHINA), "first_visit"),
    _c("non-canonical-number", "value", cell(AID, RUBLES_420, "year_start", "+1961"),
       "canonical-value", AID, At("aid_id", RUBLES_420), "year_start"),
    _c("missing-required", "value", cell(STATEMENTS, "china-rejects-visit-first-on-protocol", "speaker_id", ""),
       "required", STATEMENTS, At("statement_id", "china-rejects-visit-first-on-protocol"), "speaker_id"),
    _c("amount-without-currency", "value", cell(AID, RUBLES_900, "currency", ""),
       "requires", AID, At("aid_id", RUBLES_900), "currency"),
    _c("statement-outside-visit", "value",
       cell(STATEMENTS, "2018-03-kim-jong-un-emphasizes-solidarity", "date", "2018-04-02"),
       "within-visit", STATEMENTS, At("statement_id", "2018-03-kim-jong-un-emphasizes-solidarity"), "date"),
    # The audit's first finding, put back: Xi Jinping claimed as president over a range that starts while
    # Hu Jintao held the office.
    _c("office-not-held-at-the-date", "value",
       (cell(VISITS, "xi-jinping-to-dprk-first-declined", "date", "2011-12/2018-03"),
        cell(VISITS, "xi-jinping-to-dprk-first-declined", "visitor_office_id", "xi-jinping-head-of-state-1")),
       "office-held", VISITS, At("visit_id", "xi-jinping-to-dprk-first-declined"), "visitor_office_id",
       "Xi became president in March 2013"),
    _c("office-of-another-person", "value", cell(VISITS, KJU_CHINA, "visitor_office_id", "xi-jinping-party-leader-1"),
       "office-held", VISITS, At("visit_id", KJU_CHINA), "visitor_office_id"),
    _c("in-force-before-signed", "value", cell(AGREEMENTS, SINO_TREATY, "in_force", "1961-07-01"),
       "edtf-order", AGREEMENTS, At("agreement_id", SINO_TREATY), "in_force"),
    _c("one-of-reversed", "value", cell(VISITS, SECRET, "date", "[1960-06..1960-05]"),
       "date-order", VISITS, At("visit_id", SECRET), "date"),
    _c("one-of-unclosed", "value", cell(VISITS, SECRET, "date", "[1960-05..1960-06"),
       "edtf", VISITS, At("visit_id", SECRET), "date"),
    _c("second-first-visit", "value", cell(VISITS, "2018-05-kim-jong-un-china-dalian", "first_visit", "true"),
       "first-visit", VISITS, At("visit_id", "2018-05-kim-jong-un-china-dalian"), "first_visit",
       "Kim Jong Un had visited China in March 2018"),
    _c("high-confidence-uncertain-date", "value", cell(AID, RUBLES_900, "confidence", "high"),
       "confidence-for-date", AID, At("aid_id", RUBLES_900), "confidence", "the year 1960? is inferred"),
    _c("high-confidence-open-start", "value", cell(STATEMENTS, "shen-zhihua-on-border-concessions", "confidence", "high"),
       "confidence-for-date", STATEMENTS, At("statement_id", "shen-zhihua-on-border-concessions"), "confidence"),
    # -- keys ----------------------------------------------------------------------------
    _c("duplicate-key", "key", insert_copy(VISITS, FIRST_VISIT, 3),
       "primary-key", VISITS, 4, "visit_id", "row 4 repeats row 2"),
    _c("duplicate-source-key", "key", insert_copy(SOURCES, SUN, None),
       "primary-key", SOURCES, At("source_id", SUN, offset=1), "source_id",
       "the evidence check looks sources up by key: a duplicate once crashed it (found by fuzzing)"),
    _c("case-only-duplicate-key", "key", insert_copy(ACTORS, "chn", 3, new_key="CHN"),
       "pattern", ACTORS, 4, "actor_id", "keys are lower-case slugs, so 'CHN' beside 'chn' breaks the pattern"),
    _c("dangling-foreign-key", "key", cell(VISITS, SEOUL, "host_id", "korea"),
       "foreign-key", VISITS, At("visit_id", SEOUL), "host_id"),
    _c("dangling-key-in-citation", "key",
       cell(CITATIONS, "1960-china-famine-1", "event_id", "1960-china-famines"),
       "foreign-key", CITATIONS, At("citation_id", "1960-china-famine-1"), "event_id"),
    _c("self-reference-aid", "key", cell(AID, RUBLES_420, "recipient_id", "chn"),
       "distinct", AID, At("aid_id", RUBLES_420), "recipient_id", "China gives aid to China"),
    _c("self-reference-sanction", "key", cell(SANCTIONS, COAL, "implements_id", COAL),
       "distinct", SANCTIONS, At("sanction_id", COAL), "implements_id"),
    _c("leading-space-in-key", "key", cell(VISITS, SEOUL, "host_id", " kor"),
       "whitespace", VISITS, At("visit_id", SEOUL), "host_id"),
    _c("inner-space-in-key", "key", cell(ACTORS, "xi-jinping", "state_id", "c hn"),
       "pattern", ACTORS, At("actor_id", "xi-jinping"), "state_id"),
    _c("host-is-a-person", "key", cell(VISITS, SEOUL, "host_id", "moon-jae-in"),
       "actor-type", VISITS, At("visit_id", SEOUL), "host_id"),
    _c("met-unknown-actor", "key", cell(VISITS, SECRET, "met_ids", "mao-zedong mao-zedung"),
       "list-foreign-key", VISITS, At("visit_id", SECRET), "met_ids", "one id of the list misspelt"),
    _c("uncited-record", "key", drop_rows_with(CITATIONS, "sanction_id", "china-us-trade-sanctions-cooperation"),
       "uncited", SANCTIONS, At("sanction_id", "china-us-trade-sanctions-cooperation"), "sanction_id"),
    # -- evidence -------------------------------------------------------------------------
    _c("evidence-not-in-source", "evidence",
       cell(CITATIONS, "1960-soviet-debt-forgiveness-900m-rubles-1", "evidence",
            "forgave North Korean debt of 9,000 million rubles"),
       "evidence", CITATIONS, At("citation_id", "1960-soviet-debt-forgiveness-900m-rubles-1"), "evidence"),
    _c("evidence-straight-quotes", "evidence",
       cell(CITATIONS, "1960-05-kim-il-sung-china-secret-1", "evidence",
            "disappointed with the Soviet Union's refusal to provide additional economic assistance"),
       "evidence", CITATIONS, At("citation_id", "1960-05-kim-il-sung-china-secret-1"), "evidence",
       "the source has a typographic apostrophe; the message says so"),
    _c("source-text-missing", "evidence", (only_sources("reference"), option("--strict")),
       "source-text-missing", SOURCES, At("source_id", SUN), "sha256", "only with --strict"),
    _c("source-text-changed", "evidence", altered_source_text(SUN_TEXT),
       "source-text-changed", SOURCES, At("source_id", SUN), "sha256", "the text gained one byte after coding"),
    _c("sha256-typo", "evidence", cell(SOURCES, SUN, "sha256", "0" * 64),
       "source-text-changed", SOURCES, At("source_id", SUN), "sha256",
       "the file named in text_file is there, with another hash"),
    # -- descriptor -------------------------------------------------------------------------
    _c("descriptor-invalid-json", "descriptor", bytes_of(DESC, lambda b: b.replace(b'",\n  "keywords"', b'"\n  "keywords"', 1)),
       "json", DESC, Line('"keywords"'), None, "a missing comma"),
    _c("descriptor-truncated", "descriptor", bytes_of(DESC, lambda b: b[: len(b) // 2]), "json", DESC, LastLine(), None,
       "a download cut short"),
    _c("descriptor-not-utf8", "descriptor", bytes_of(DESC, lambda b: b.replace(b"DPRK Relations", b"DPRK Relations \xe9", 1)),
       "encoding", DESC, Line("DPRK Relations \ufffd"), None),
    _c("schema-invalid-json", "descriptor", bytes_of("schemas/visits.json", lambda b: b.rstrip()[:-1]),
       "json", "schemas/visits.json", LastLine(), None, "the closing brace lost"),
    _c("unknown-field-type", "descriptor", schema_field("aid", "amount", "type", "money"),
       "field-type", "schemas/aid.json", None, "amount"),
    _c("schema-path-outside", "descriptor", resource("visits", "schema", "../schemas/visits.json"),
       "unsafe-path", DESC, None, "visits.schema"),
    _c("schema-path-absolute", "descriptor", resource("visits", "schema", "/etc/passwd"),
       "unsafe-path", DESC, None, "visits.schema"),
    _c("resource-path-dotdot", "descriptor", resource("aid", "path", "raw/../../aid.csv"),
       "unsafe-path", DESC, None, "aid.path"),
    _c("resource-path-url", "descriptor", resource("aid", "path", "https://example.com/aid.csv"),
       "unsafe-path", DESC, None, "aid.path"),
    _c("resource-path-symlink", "descriptor", symlink_resource("events"),
       "unsafe-path", DESC, None, "events.path", "a link could point anywhere"),
    _c("resource-file-missing", "descriptor", remove("raw/statements.csv"),
       "missing-file", DESC, None, "statements.path"),
    _c("schema-file-missing", "descriptor", remove("schemas/actors.json"),
       "missing-file", "schemas/actors.json", None, None),
    _c("resources-not-a-list", "descriptor", json_of(DESC, lambda d: {**d, "resources": {"a": 1}}),
       "descriptor", DESC, None, None),
    _c("profile-not-a-string", "descriptor", json_of(DESC, lambda d: {**d, "$schema": [1]}),
       "descriptor", DESC, None, "$schema", "frictionless itself raised AttributeError on it (found by fuzzing)"),
    _c("version-is-a-path", "descriptor", json_of(DESC, lambda d: {**d, "version": "../../outside"}),
       "descriptor", DESC, None, "version", "build would use it as a directory name"),
    _c("missing-values-not-a-list", "descriptor", json_of("schemas/actors.json", lambda s: {**s, "missingValues": "''"}),
       "descriptor", "schemas/actors.json", None, "missingValues"),
    _c("enum-of-the-wrong-type", "descriptor",
       json_of("schemas/aid.json", lambda s: s["fields"][8]["constraints"].update(enum=["1961", "1962"])),
       "descriptor", "schemas/aid.json", None, "year_start", "an integer field whose categories are text"),
    _c("bound-not-a-number", "descriptor",
       json_of("schemas/aid.json", lambda s: s["fields"][5]["constraints"].update(maximum="ten trillion")),
       "descriptor", "schemas/aid.json", None, "amount"),
    _c("rule-without-its-keys", "descriptor",
       json_of("schemas/aid.json", lambda s: s["x-rules"].append({"rule": "date-order", "start": "year_start"})),
       "descriptor", "schemas/aid.json", None, "x-rules"),
    _c("date-order-on-text", "descriptor",
       json_of("schemas/aid.json", lambda s: s["x-rules"].append({"rule": "date-order", "start": "summary",
                                                                  "end": "coding_note"})),
       "descriptor", "schemas/aid.json", None, "x-rules"),
    _c("primary-key-not-a-field", "descriptor", json_of("schemas/events.json", lambda s: {**s, "primaryKey": ["id"]}),
       "descriptor", "schemas/events.json", None, "id"),
]

BY_NAME = {c.name: c for c in CASES}
assert len(BY_NAME) == len(CASES), "case names must be unique"


def checksum_tree(root: Path) -> dict:
    """Every file and link below ``root`` (hidden ones too) with its sha256 or target."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = "link:" + os.readlink(path)
            elif path.is_file():
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                out[rel] = "dir"
    return out
