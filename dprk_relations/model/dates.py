"""EDTF (ISO 8601-2) dates: parse, and derive earliest day, latest day, precision.

Precision describes the whole span from the earliest to the latest possible
day, whatever the form: the finest calendar unit (day, month, year, decade,
century) that holds both, so that a record can be counted in one unit of that
size without being split. ``1961/1964`` is decade (all in the 1960s), a visit
of 25-28 March 2018 is month, ``2012-11/2018-03`` is decade and
``[1969-12..1970-01]`` century (a calendar unit, not a length: the length is
``days``). A date with an open or unknown end has no such unit: ``open``.

Supported: level 0 (``2018``, ``2018-03``, ``2018-03-25``, ``1961/1964``),
and from level 1 the qualifiers ``?`` ``~`` ``%`` on a whole date, unspecified
year digits (``196X``, ``19XX``), and open or unknown interval ends
(``../1960-05``, ``1960/..``, ``/1960``); from level 2 the one-of-a-set
form with a range, ``[2018-03-08..2018-03-25]`` (or one open end, ``[..1957-11-13]``): a thing that happened once,
on one day between those two, which an interval (it *lasted* from one to the
other) does not say. Work is done once per distinct value.

Why not the ``edtf`` library: it parses a plain date in 7 ms and a one-of-a-set
in 25 ms here (pyparsing), which would add over ten seconds to every validate
and build of the real data. It is the oracle instead: tests/test_dates.py holds
this parser to the library's earliest and latest day on generated dates and on
every date of the real data. One form is coded beyond what the library reads:
a one-of-a-set range whose ends differ in precision (``[1960-05..1960-06-07]``:
an invitation made on some day from May 1960 to 7 June), which the library
refuses although each end is a valid date; read here as the days from the first
of the start to the last of the end.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import pandas as pd

PRECISIONS = ("day", "month", "year", "decade", "century", "open")
_DATE = re.compile(r"^(?P<year>\d{2}(?:\d\d|\dX|XX))(?:-(?P<month>\d\d)(?:-(?P<day>\d\d))?)?(?P<q>[?~%])?$")


class EDTFError(ValueError):
    """Not a supported EDTF string; the message says why in a coder's words."""


class OrderError(EDTFError):
    """A valid-looking interval whose end comes before its start."""


@dataclass(frozen=True)
class Span:
    earliest: date | None  # None: open or unknown start
    latest: date | None
    precision: str
    uncertain: bool = False
    approximate: bool = False
    interval: bool = False
    one_of: bool = False  # once, on a day between earliest and latest; not lasting

    @property
    def form(self) -> str:
        """single (one date at its precision), interval (lasted from .. to), or one-of (once, within)."""
        return "one-of" if self.one_of else "interval" if self.interval else "single"

    @property
    def days(self) -> int | None:
        """Days from the earliest to the latest possible day, both included; None when an end is open."""
        if self.earliest is None or self.latest is None:
            return None
        return (self.latest - self.earliest).days + 1

    @property
    def sort_day(self) -> date:
        """The day to order by: the earliest possible one, else (open start) the latest.

        Never None, since a date has at least one known end, so sorting or grouping by it keeps every row."""
        return self.earliest if self.earliest is not None else self.latest


def _single(text: str) -> Span:
    m = _DATE.match(text)
    if not m:
        raise EDTFError(f"{text!r} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day, q = m["year"], m["month"], m["day"], m["q"]
    if "X" in year:
        if month:
            raise EDTFError("a year with unspecified digits (X) cannot have a month")
        lo, hi = int(year.replace("X", "0")), int(year.replace("X", "9"))
        precision = "decade" if year.count("X") == 1 else "century"
        start, end = date(lo, 1, 1), date(hi, 12, 31)
    else:
        y = int(year)
        if y == 0:
            raise EDTFError("year 0000 is not supported")
        if month is None:
            start, end, precision = date(y, 1, 1), date(y, 12, 31), "year"
        else:
            mo = int(month)
            if not 1 <= mo <= 12:
                raise EDTFError(f"month {month} does not exist (seasons 21-41 are not supported)")
            last = calendar.monthrange(y, mo)[1]
            if day is None:
                start, end, precision = date(y, mo, 1), date(y, mo, last), "month"
            else:
                d = int(day)
                if not 1 <= d <= last:
                    raise EDTFError(f"day {day} does not exist in {calendar.month_name[mo]} {y}")
                start = end = date(y, mo, d)
                precision = "day"
    return Span(start, end, precision, uncertain=q in ("?", "%"), approximate=q in ("~", "%"))


@lru_cache(maxsize=65536)
def parse(text: str) -> Span:
    """Parse one EDTF string; raise EDTFError with a readable reason."""
    if not isinstance(text, str) or text == "":
        raise EDTFError("the date is empty")
    if text != text.strip():
        raise EDTFError("it has spaces around it")
    if text.startswith("[") or text.endswith("]"):
        return _one_of(text)
    if "/" not in text:
        return _single(text)
    if text.count("/") > 1:
        raise EDTFError("an interval has exactly one '/'")
    left, right = text.split("/")
    if left in ("", "..") and right in ("", ".."):
        raise EDTFError("an interval needs at least one known end")
    a = None if left in ("", "..") else _single(left)
    b = None if right in ("", "..") else _single(right)
    if a and b and b.latest < a.earliest:
        raise OrderError(f"the interval ends ({right}) before it starts ({left})")
    ends = [s for s in (a, b) if s]
    return Span(
        earliest=a.earliest if a else None,
        latest=b.latest if b else None,
        precision=_span_precision(a.earliest if a else None, b.latest if b else None),
        uncertain=any(s.uncertain for s in ends),
        approximate=any(s.approximate for s in ends),
        interval=True,
    )


def _span_precision(a: date | None, b: date | None) -> str:
    """The finest calendar unit that holds every day from ``a`` to ``b``; open when an end is unknown."""
    if a is None or b is None:
        return "open"
    if a == b:
        return "day"
    if (a.year, a.month) == (b.year, b.month):
        return "month"
    if a.year == b.year:
        return "year"
    if a.year // 10 == b.year // 10:
        return "decade"
    return "century"  # or wider: the coarsest unit there is; days gives the length


def _one_of(text: str) -> Span:
    if not (text.startswith("[") and text.endswith("]")) or text.count("..") != 1 or "," in text:
        raise EDTFError("a one-of-a-set date is written [START..END], e.g. [2018-03-08..2018-03-25]")
    left, right = text[1:-1].split("..")
    if not left and not right:
        raise EDTFError("a one-of-a-set range needs at least one end, e.g. [2018-03-08..2018-03-25] or [..1957-11-13]")
    a = _single(left) if left else None  # [..B]: one day on or before B
    b = _single(right) if right else None
    if a and b and b.latest < a.earliest:
        raise OrderError(f"the range ends ({right}) before it starts ({left})")
    ends = [s for s in (a, b) if s]
    precision = _span_precision(a.earliest if a else None, b.latest if b else None)
    return Span(a.earliest if a else None, b.latest if b else None, precision,
                uncertain=any(s.uncertain for s in ends), approximate=any(s.approximate for s in ends),
                one_of=True)


def check(text: str) -> str | None:
    """None when ``text`` is valid EDTF, else the reason."""
    try:
        parse(text)
        return None
    except EDTFError as exc:
        return str(exc)


def derive(values: pd.Series) -> pd.DataFrame:
    """Per value of a column of EDTF strings: earliest and latest day, the sort day (datetime64),
    the days between (Int64), precision, form, and the uncertain and approximate flags (boolean).

    Each distinct value is parsed once and the results are joined back by
    position; invalid, empty or missing values give missing results
    (validation reports them).
    """
    import numpy as np
    import pyarrow.compute as pc

    from dprk_relations.model import strings

    arr = strings.arrow(values)
    uniques = pc.unique(arr).drop_null()
    listed = uniques.to_pylist()
    lo = np.full(len(listed) + 1, np.datetime64("NaT"), dtype="datetime64[D]")
    hi = lo.copy()
    pr = np.full(len(listed) + 1, None, dtype=object)
    form, uncertain, approximate = pr.copy(), pr.copy(), pr.copy()
    for j, v in enumerate(listed):
        try:
            s = parse(v)
        except EDTFError:
            continue
        if s.earliest:
            lo[j] = np.datetime64(s.earliest, "D")
        if s.latest:
            hi[j] = np.datetime64(s.latest, "D")
        pr[j], form[j], uncertain[j], approximate[j] = s.precision, s.form, s.uncertain, s.approximate
    idx = pc.fill_null(pc.index_in(arr, value_set=uniques), len(listed)).to_numpy(zero_copy_only=False)
    lo, hi = lo[idx], hi[idx]
    both = ~(np.isnat(lo) | np.isnat(hi))
    days = np.where(both, (hi - lo).astype("int64") + 1, 0)
    # Span.sort_day, by column: the earliest day, else the latest.
    sort = np.where(np.isnat(lo), hi, lo)
    return pd.DataFrame({"min": lo.astype("datetime64[s]"), "max": hi.astype("datetime64[s]"),
                         "sort": sort.astype("datetime64[s]"),
                         "days": pd.array(np.where(both, days, None), dtype="Int64"),
                         "precision": pd.array(pr[idx], dtype=strings.STRING),
                         "form": pd.array(form[idx], dtype=strings.STRING),
                         "uncertain": pd.array(uncertain[idx], dtype="boolean"),
                         "approximate": pd.array(approximate[idx], dtype="boolean")}, index=values.index)
