"""The timeline figure of a release: ``timeline.png`` and ``timeline.svg``.

Up to ``AGGREGATE_ABOVE`` of them, every dated record (visits, aid,
sanctions, statements, events, and any future table with an EDTF ``date``
and actor foreign keys) is drawn on a time axis from its derived
``date_min`` and ``date_max``:

- a **bar** spans the earliest to the latest possible day, so an imprecise
  date (``1960?``, ``196X``, ``2011-12/2018-03``) is drawn as the range it
  allows, not as a point;
- a range too short to see at the figure's scale (a day, a few days, a month
  in a decade) is a **marker** at its middle;
- an **open** start or end (``../1960-05``) fades out towards the panel edge
  and ends in an arrowhead: the record reaches at least that far;
- a date qualified as uncertain or approximate (EDTF ``?``, ``~``, ``%``),
  or known only as one day within a range (EDTF ``[A..B]``), has a dashed
  outline (bar) or a hollow marker: a solid bar is a record that lasted.

Colour and marker shape give the record type (both, so that the figure
reads in greyscale and for colour-blind readers: the Okabe-Ito palette).

**Counts, above AGGREGATE_ABOVE records.** Drawn one by one, more than a
thousand records would be an unreadable smear, an SVG of megabytes (the release page
embeds it) and minutes of drawing. Above ``AGGREGATE_ABOVE`` dated records
the figure shows counts instead, on the same periods, panels and lanes: each
lane has one strip per record type in it (its colour, and its marker shape at
the strip's left), cut into bins of a calendar month, a quarter, a year or
several years (the shortest still ``MIN_BIN_IN`` wide at the figure's
scale), and a bin's opacity gives the number of records whose range of
possible dates overlaps it, on a log scale shared by the whole figure (an
open start or end reaches the panel edge, as its bar would). Equal
neighbouring bins are one rectangle, so the number of drawn shapes is bounded
by lanes x types x bins, whatever the number of records. A footnote says the
figure shows counts and why, and how many records have an uncertain or open
date (which the counts do not show). The records are read with column
operations (numpy, pandas), never one by one, in either figure; for the
counts this costs a fraction of a second per million rows, next to the fixed
cost of drawing.

**Lanes.** One lane per pair of *states* involved, not per pair of actors and
not per record type. A person or another non-state actor counts as the state
in ``actors.state_id`` (Kim Jong Un as North Korea, Xi Jinping as China), and
a record with one actor, or two of the same state, has a lane of that state
alone. The number of lanes is bounded by the number of states coded (five
great-power relations today), whereas actor pairs grow with every new person
and one lane per record type would hide which relation a record belongs to.
The state in more records is named first in every pair, so the focal state
(North Korea) leads. Lanes are ordered pairs first, then single states, each
by number of records. In the record-level figure, records that overlap in a
lane are stacked in sub-rows, so none hides another.

**Periods.** The records fall into periods separated by long empty spans
(the Cold War and the 2010s today). The dates are clustered: the records'
spans are merged where they overlap, and a period is split at its largest
gap, largest gap first, while that gap is longer than ``MIN_GAP_YEARS`` and
than a quarter of the period, up to ``MAX_PANELS`` periods. Each period gets
a panel of whole years; the panels share one time scale (inches per year), so
their widths compare, unless a short period must be widened to stay legible;
a broken-axis mark separates them. Nothing is hard-coded to 1960 or 2011:
records from new years extend periods or add new ones (a 1961 treaty joins
the 1960s, 2006-2017 UN sanctions stretch the 2010s back to 2006).

**Links.** In the record-level figure, each record's mark is covered in the SVG by a
transparent link to that record on the release page (``index.html#record/<table>/<key>``)
with a tooltip (an SVG ``<title>``: type, key, status, date as coded, lane), in a group of
its own (``LINKS_ID``) drawn last. Opened on its own, the SVG says what each mark is and
leads to it; the release page, which shows the figure as an image, reads the same group to
lay the links over it. The boxes come from the axes' transforms, so they cover what is
drawn. The counts figure has no records to link to, and no links.

**Determinism.** The figure is drawn on a ``matplotlib.figure.Figure`` with
the Agg canvas (no pyplot state), at a fixed size and dpi, with matplotlib's
own defaults (a user's matplotlibrc does not leak in) and the bundled DejaVu
Sans; rcParams are changed only inside ``rc_context`` and restored on exit.
PNG and SVG carry no software name, creator or date, the SVG ids are hashed
with a fixed salt, and SVG text stays text (``svg.fonttype`` "none":
searchable, accessible). The same tables give the same bytes in every run
and process.
"""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass
from urllib.parse import quote
from xml.sax.saxutils import escape

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection, PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerBase, HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import blended_transform_factory

# table, label, marker, colour (Okabe-Ito), actor columns (first, second)
RECORD_TYPES = (
    ("visits", "Visit", "o", "#0072B2", ("visitor_id", "host_id")),
    ("aid", "Aid", "s", "#009E73", ("donor_id", "recipient_id")),
    ("sanctions", "Sanction", "D", "#D55E00", ("sender_id", "target_id")),
    ("statements", "Statement", "^", "#CC79A7", ("speaker_id", "addressee_id")),
    ("events", "Event", "h", "#E69F00", ("actor_id", "counterpart_id")),
)
REFERENCE_TABLES = {"offices"}
EXTRA_STYLES = (("v", "#56B4E9"), ("P", "#000000"), ("*", "#F0E442"), ("X", "#999999"))
MIN_GAP_YEARS = 8.0  # a shorter gap never breaks the axis
SPLIT_SHARE = 0.25  # ... nor one that is less than this share of its period
MAX_PANELS = 3
PAD_YEARS = 0.25  # kept between a period's records and its whole-year panel edges

# Above this many dated records the figure shows counts, not records. Drawn one by one, about a
# thousand records already fill MAX_AXES_IN with sub-rows too thin to tell apart and lane labels
# that collide; each record adds one to three artists, about 0.4 kB of SVG (which the release page
# embeds, in base64) and a few milliseconds of drawing, so 50,000 records took six minutes and
# 17 MB. At or below it, every record keeps its own mark and SVG id.
AGGREGATE_ABOVE = 1_000

# The links over the records' marks in the SVG: the group's id, the page they lead to (beside the
# SVG in a release), and the smallest target, in points, however small the mark.
LINKS_ID = "timeline-links"
PAGE = "index.html"
HIT_PT = 7.0

FONT = "DejaVu Sans"  # bundled with matplotlib, so the bytes do not depend on the system's fonts
DPI = 150
WIDTH_IN = 10.0
ROW_IN = 0.17  # height of one sub-row
LANE_PAD = 0.35  # rows of space above and below the sub-rows of a lane
BAR_H = 0.62  # bar height, in rows
MARKER_PT = 6.0
MARKER_IN = MARKER_PT / 72
SPACING_IN = 0.04  # smallest horizontal space between two records in one sub-row
MIN_PANEL_IN = 1.3
MIN_BAR_IN = 0.07  # ranges narrower than this are drawn as markers
MAX_AXES_IN = 11.0  # taller than this, the rows get thinner instead
FADE_STEPS = 14
INK, GREY, LIGHT = "#222222", "#666666", "#E4E4E4"

# counts (above AGGREGATE_ABOVE records)
BIN_MONTHS = (1, 3, 12, 24, 60, 120, 240, 600, 1200)  # bin lengths, shortest first
MIN_BIN_IN = 0.05  # the shortest bin that is at least this wide is used
COUNT_ROW_IN = 0.22  # height of one strip's row
STRIP_H = 0.8  # strip height, in rows
MIN_ALPHA = 0.12  # opacity of a bin with one record; the fullest bin is opaque
TYPE_MARK_IN = 0.16  # room for the record-type markers between the lane labels and the first panel
NOTE_CHARS = 165  # the footnote is wrapped at this many characters (about 9 inches at 7.5 pt)

RC = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "font.size": 8.5,
    "axes.linewidth": 0.7,
    "xtick.major.width": 0.7,
    "xtick.minor.width": 0.5,
    "xtick.labelsize": 8.5,
    "xtick.color": INK,
    "text.color": INK,
    "legend.fontsize": 8.5,
    "svg.fonttype": "none",
    "svg.hashsalt": "dprk-relations",
    "path.simplify": False,
    "savefig.dpi": DPI,
}


@dataclass
class Record:
    kind: int  # index into the record types
    key: str
    gid: str  # the id of its drawing in the SVG: "record-<table>-<primary key>"
    lane: tuple  # (state,) or (state, state), by actor id
    lo: float | None  # decimal years; None for an open start
    hi: float | None  # decimal years (end of the last possible day); None for an open end
    qualified: bool  # EDTF ?, ~ or %
    date: str = ""  # the date as coded (EDTF), for the mark's tooltip
    status: str = ""  # the record's status, where its table has one
    panel: int = 0
    row: int = 0

    @property
    def start(self) -> float:
        return self.lo if self.lo is not None else self.hi

    @property
    def end(self) -> float:
        return self.hi if self.hi is not None else self.lo


@dataclass
class Mark:
    """Where one record is drawn, as a box in the SVG's units (points from its top left), and what it is."""
    table: str
    key: str
    label: str  # the tooltip: record type, key, status, date as coded, lane
    x: float
    y: float
    width: float
    height: float


@dataclass
class Dated:
    """The dated records as columns (one entry per record, in table order), and the lanes."""
    kind: np.ndarray  # int: index into the record types
    pos: np.ndarray  # int: row position in its table
    first: np.ndarray  # datetime64[D]: earliest possible day, NaT for an open start
    last: np.ndarray  # datetime64[D]: latest possible day, NaT for an open end
    lo: np.ndarray  # decimal years of first's start, NaN for an open start
    hi: np.ndarray  # decimal years of last's end, NaN for an open end
    qualified: np.ndarray  # bool: EDTF ?, ~ or %
    lane: np.ndarray  # int: index into lanes
    lanes: list  # lane tuples, in drawing order
    undated: int  # records without any date

    def __len__(self) -> int:
        return len(self.kind)

    @property
    def start(self) -> np.ndarray:
        return np.where(np.isnan(self.lo), self.hi, self.lo)

    @property
    def end(self) -> np.ndarray:
        return np.where(np.isnan(self.hi), self.lo, self.hi)


def _years(days: np.ndarray) -> np.ndarray:
    """Decimal years of the starts of datetime64[D] days (NaN for NaT): the year, plus the days
    since 1 January over the days in that year."""
    years = days.astype("datetime64[Y]")
    y = years.astype(np.int64) + 1970
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    with np.errstate(invalid="ignore"):
        out = y + (days - years.astype("datetime64[D]")).astype(np.int64) / np.where(leap, 366, 365)
    return np.where(np.isnat(days), np.nan, out)


def _days(column) -> np.ndarray:
    """A date column as datetime64[D] (NaT where empty)."""
    values = column.to_numpy()
    if not np.issubdtype(values.dtype, np.datetime64):
        values = pd.to_datetime(column).to_numpy()
    return values.astype("datetime64[D]")


def _texts(column) -> list[str]:
    return [str(v) for v in column.tolist()]


def _states(tables: dict) -> tuple[dict, dict]:
    """(actor id -> state id, state id -> display name) from the actors table."""
    to_state, names = {}, {}
    actors = tables.get("actors")
    if actors is None:
        return to_state, names
    s = actors.strings
    blank = [""] * len(s)
    aids, nms, states, kinds = (_texts(s[c]) if c in s.columns else blank
                                for c in ("actor_id", "name", "state_id", "actor_type"))
    for aid, name, state, kind in zip(aids, nms, states, kinds):
        if not aid:
            continue
        to_state[aid] = aid if kind == "state" or not state else state
        names[aid] = name or aid
    return to_state, names


def _record_types(tables: dict) -> list[tuple]:
    """The record types present: the known five in their order, then any other
    table with an EDTF date and foreign keys to actors, by name (reference tables
    such as the offices' tenures are context, not relations, and stay out)."""
    out = [t for t in RECORD_TYPES if t[0] in tables]
    known, extra = {t[0] for t in RECORD_TYPES} | REFERENCE_TABLES, 0
    for name in sorted(set(tables) - known):
        rt = tables[name]
        actor_cols = tuple(fk.fields[0] for fk in getattr(rt.table, "foreign_keys", ())
                           if fk.resource == "actors" and len(fk.fields) == 1)
        if actor_cols and {"date_min", "date_max"} <= set(rt.typed.columns):
            marker, colour = EXTRA_STYLES[extra % len(EXTRA_STYLES)]
            extra += 1
            out.append((name, getattr(rt.table, "title", "") or name, marker, colour, actor_cols[:2]))
    return out


def _dated(tables: dict, types: list[tuple], to_state: dict) -> Dated:
    """The dated records of every record type, as columns, with their lanes."""
    state_id: dict[str, int] = {"": 0}  # "" is the lane of a record with no actor coded
    parts, undated = [], 0
    for kind, (name, _label, _m, _c, actor_cols) in enumerate(types):
        rt = tables[name]
        typed, strings = rt.typed, rt.strings
        if not len(typed) or not {"date_min", "date_max"} <= set(typed.columns):
            continue
        first, last = _days(typed["date_min"]), _days(typed["date_max"])
        keep = ~(np.isnat(first) & np.isnat(last))
        undated += int(len(keep) - keep.sum())
        pos = np.flatnonzero(keep)
        if "date" in strings.columns:
            # A one-of-a-set range ([A..B]) happened on one day within it: drawn like an uncertain date,
            # never like a record that lasted the whole range.
            qualified = strings["date"].str.contains(r"[?~%]|^\[", regex=True, na=False).to_numpy(dtype=bool)[pos]
        else:
            qualified = np.zeros(len(pos), dtype=bool)
        ends = []  # per actor column: the state id of each record's actor, -1 for none
        for col in actor_cols:
            if col not in strings.columns:
                continue
            codes, uniques = pd.factorize(strings[col])  # a missing value has code -1
            lookup = [-1] * (len(uniques) + 1)  # ... and so the last entry
            for j, actor in enumerate(_texts(uniques)):
                if actor:
                    lookup[j] = state_id.setdefault(to_state.get(actor, actor), len(state_id))
            ends.append(np.asarray(lookup, dtype=np.int64)[codes[pos]])
        a = ends[0] if ends else np.full(len(pos), -1, dtype=np.int64)
        b = ends[1] if len(ends) > 1 else np.full(len(pos), -1, dtype=np.int64)
        one = np.where(a < 0, b, np.where(b < 0, a, np.minimum(a, b)))
        two = np.where((a >= 0) & (b >= 0) & (a != b), np.maximum(a, b), -1)
        one = np.where(one < 0, 0, one)  # no actor: the lane ("",)
        parts.append((np.full(len(pos), kind, dtype=np.int64), pos, first[pos], last[pos], qualified, one, two))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        none = np.zeros(0, dtype="datetime64[D]")
        return Dated(empty, empty, none, none, np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool), empty, [], undated)
    kind, pos, first, last, qualified, one, two = (np.concatenate(c) for c in zip(*parts))
    lane, lanes = _lanes(one, two, state_id)
    last_end = last + np.timedelta64(1, "D")
    return Dated(kind, pos, first, last, _years(first), _years(last_end), qualified, lane, lanes, undated)


def _lanes(one: np.ndarray, two: np.ndarray, state_id: dict) -> tuple[np.ndarray, list[tuple]]:
    """Each record's lane (an index), and the lanes in order: the state in more records first in
    a pair; pairs before single states, each by number of records, then by name."""
    name = {i: s for s, i in state_id.items()}
    width = len(state_id) + 1
    codes, inverse, counts = np.unique(one * width + (two + 1), return_inverse=True, return_counts=True)
    sets = [tuple(name[int(i)] for i in (c // width, c % width - 1) if i >= 0) for c in codes.tolist()]
    weight: dict = {}
    for states, n in zip(sets, counts.tolist()):
        for s in states:
            weight[s] = weight.get(s, 0) + n
    lanes = [tuple(sorted(states, key=lambda s: (-weight[s], s))) for states in sets]
    count = dict(zip(lanes, counts.tolist()))
    order = sorted(lanes, key=lambda lane: (len(lane) == 1, -count[lane], lane))
    rank = np.asarray([order.index(lane) for lane in lanes], dtype=np.int64)
    return rank[inverse.reshape(-1)], order


def _records(tables: dict, types: list[tuple], dated: Dated) -> list[Record]:
    """The dated records one by one (for the record-level figure only, so at most
    AGGREGATE_ABOVE of them), sorted by start, end, type and key."""
    keys = np.empty(len(dated), dtype=object)
    notes = np.empty(len(dated), dtype=object)  # (date as coded, status) of each record
    for kind, (name, *_rest) in enumerate(types):
        mine = np.flatnonzero(dated.kind == kind)
        if not len(mine):
            continue
        rt = tables[name]
        strings, pos = rt.strings, dated.pos[mine]
        pk = [c for c in (getattr(rt.table, "primary_key", ()) or []) if c in strings.columns]
        columns = [_texts(strings[c].iloc[pos]) for c in pk]
        extra = [_texts(strings[c].iloc[pos]) if c in strings.columns else [""] * len(pos) for c in ("date", "status")]
        for j, i in enumerate(mine.tolist()):
            keys[i] = "-".join(col[j] for col in columns) or str(int(pos[j]))
            notes[i] = (extra[0][j], extra[1][j])
    records = []
    for i, (kind, lo, hi, qualified, lane) in enumerate(zip(dated.kind.tolist(), dated.lo.tolist(),
                                                            dated.hi.tolist(), dated.qualified.tolist(),
                                                            dated.lane.tolist())):
        key = keys[i]
        records.append(Record(kind, key, _svg_id(f"record-{types[kind][0]}-{key}"), dated.lanes[lane],
                              None if math.isnan(lo) else lo, None if math.isnan(hi) else hi, qualified,
                              *notes[i]))
    records.sort(key=lambda r: (r.start, r.end, r.kind, r.key))
    return records


def _svg_id(text: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in text)


def _periods(start: np.ndarray, end: np.ndarray) -> list[tuple[float, float]]:
    """Clusters of dates separated by long gaps, as (first, last) decimal years.

    The records' spans are merged where they overlap; then, largest gap first,
    a period is split at its largest gap while that gap is longer than
    MIN_GAP_YEARS and than SPLIT_SHARE of the period, up to MAX_PANELS periods.
    """
    order = np.lexsort((end, start))
    s, e = start[order], end[order]
    new = np.ones(len(s), dtype=bool)
    new[1:] = s[1:] > np.maximum.accumulate(e)[:-1]  # starts after every span before it ends
    heads = np.flatnonzero(new)
    first, last = s[heads], np.maximum.reduceat(e, heads)  # the merged spans
    gaps = first[1:] - last[:-1]
    groups = [(0, len(first) - 1)]  # periods, as index ranges into the merged spans
    while len(groups) < MAX_PANELS:
        best = None  # (gap, group, split after)
        for g, (i, j) in enumerate(groups):
            span = last[j] - first[i]
            inside = gaps[i:j]
            ok = (inside > MIN_GAP_YEARS) & (inside > SPLIT_SHARE * span)
            if ok.any():
                k = i + int(np.argmax(np.where(ok, inside, -np.inf)))  # the first of the largest
                if best is None or gaps[k] > best[0]:
                    best = (gaps[k], g, k)
        if best is None:
            break
        _gap, g, k = best
        i, j = groups[g]
        groups[g:g + 1] = [(i, k), (k + 1, j)]
    return [(float(first[i]), float(last[j])) for i, j in groups]


def _panels(start: np.ndarray, periods: list[tuple[float, float]]) -> np.ndarray:
    """The period (panel) of each record's start."""
    return np.searchsorted(np.asarray([a for a, _b in periods]), start, side="right") - 1


def _panel_limits(first: float, last: float) -> tuple[int, int]:
    return math.floor(first - PAD_YEARS), math.ceil(last + PAD_YEARS)


def _lane_label(lane: tuple, names: dict) -> str:
    words = [names.get(s, s) for s in lane]
    if lane == ("",):
        return "No actor coded"
    if len(words) == 1:
        return f"{words[0]} (no other state)"
    return " – ".join(words)


def _widths(years: list[int], usable: float) -> list[float]:
    """Panel widths in inches: proportional to their years (one shared time scale), except that no
    panel is narrower than MIN_PANEL_IN; the others then share what is left."""
    narrow: set = set()
    while True:
        rest = usable - MIN_PANEL_IN * len(narrow)
        wide_years = sum(y for i, y in enumerate(years) if i not in narrow)
        widths = [MIN_PANEL_IN if i in narrow else rest * y / wide_years for i, y in enumerate(years)]
        more = {i for i, w in enumerate(widths) if w < MIN_PANEL_IN - 1e-9} - narrow
        if not more or len(narrow | more) == len(years):
            return widths
        narrow |= more


def _tick_step(in_per_year: float) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000):
        if step * in_per_year >= 0.45:
            return step
    return 1000


class _FadeHandler(HandlerBase):
    """Legend key of an open-ended record: a bar fading out into an arrowhead."""

    def create_artists(self, legend, orig_handle, xdescent, ydescent, width, height, fontsize, trans):
        artists = []
        h = height * 0.7
        y = (height - h) / 2 - ydescent
        for k in range(FADE_STEPS):
            x = -xdescent + width * k / FADE_STEPS
            artists.append(Rectangle((x, y), width / FADE_STEPS, h, transform=trans, linewidth=0,
                                     facecolor=GREY, alpha=_fade_alpha(FADE_STEPS - 1 - k)))
        artists.append(Line2D([-xdescent + width] * 2, [y, y + h], color=GREY, linewidth=1.2, transform=trans))
        artists.append(Line2D([-xdescent + 1.5], [height / 2 - ydescent], marker="<", markersize=4.5,
                              color=GREY, linestyle="none", transform=trans))
        return artists


def _fade_alpha(k: int) -> float:
    """Fill opacity of fade step ``k``, 0 at the known end, FADE_STEPS-1 at the open end."""
    return 0.38 * (1 - k / FADE_STEPS) ** 1.3 + 0.02


def _draw_record(ax, r: Record, y: float, style: tuple, xlim: tuple, in_per_year: float) -> None:
    """Draw ``r`` at height ``y``; its artists have SVG ids starting with ``r.gid``."""
    _name, _label, marker, colour, _cols = style
    lo = xlim[0] if r.lo is None else r.lo
    hi = xlim[1] if r.hi is None else r.hi
    open_ = r.lo is None or r.hi is None
    if not open_ and (hi - lo) * in_per_year < MIN_BAR_IN:
        ax.plot([(lo + hi) / 2], [y], marker=marker, markersize=MARKER_PT, linestyle="none",
                markerfacecolor="white" if r.qualified else colour, markeredgecolor=colour,
                markeredgewidth=1.1 if r.qualified else 0.6, zorder=4, clip_on=False, gid=f"{r.gid}-day")
        return
    h = BAR_H
    if not open_:
        ax.add_patch(Rectangle((lo, y - h / 2), hi - lo, h, facecolor=colour, alpha=0.33, linewidth=0, zorder=3,
                               gid=f"{r.gid}-range"))
        ax.add_patch(Rectangle((lo, y - h / 2), hi - lo, h, facecolor="none", edgecolor=colour, linewidth=0.9,
                               linestyle=(0, (2.5, 1.5)) if r.qualified else "solid", zorder=3.1,
                               gid=f"{r.gid}-outline"))
        return
    # open-ended: fade out from the known end towards the open one, and end in an arrowhead
    known, far = (hi, lo) if r.lo is None else (lo, hi)
    steps = []
    for k in range(FADE_STEPS):
        a = known + (far - known) * k / FADE_STEPS
        b = known + (far - known) * (k + 1) / FADE_STEPS
        steps.append(Rectangle((min(a, b), y - h / 2), abs(b - a), h))
    rgb = to_rgb(colour)
    ax.add_collection(PatchCollection(steps, facecolors=[(*rgb, _fade_alpha(k)) for k in range(FADE_STEPS)],
                                      linewidths=0, zorder=3, gid=f"{r.gid}-fade"))
    ax.plot([known, known], [y - h / 2, y + h / 2], color=colour, linewidth=1.4, zorder=3.2,
            linestyle=(0, (1.5, 1)) if r.qualified else "solid", solid_capstyle="butt", gid=f"{r.gid}-known-end")
    nudge = 0.6 * MARKER_IN / in_per_year * (1 if far < known else -1)
    side = "start" if r.lo is None else "end"
    ax.plot([far + nudge], [y], marker="<" if far < known else ">", markersize=4.5, linestyle="none",
            color=colour, alpha=0.75, zorder=3.2, gid=f"{r.gid}-open-{side}")


def _mark(fig: Figure, ax, r: Record, y: float, style: tuple, xlim: tuple, in_per_year: float,
          lane_label: str) -> Mark:
    """The box that ``_draw_record`` fills for ``r``, from the axes' own transform, so that a link
    laid over the picture (in the SVG, and on the release page) covers exactly the drawn mark."""
    name, label, _marker, _colour, _cols = style
    lo = xlim[0] if r.lo is None else r.lo
    hi = xlim[1] if r.hi is None else r.hi
    open_ = r.lo is None or r.hi is None
    marker = not open_ and (hi - lo) * in_per_year < MIN_BAR_IN
    if marker:
        lo = hi = (lo + hi) / 2
    half = 0 if marker else BAR_H / 2
    w_pt, h_pt = (v * 72 for v in fig.get_size_inches())  # the SVG's user unit is the point
    to_fig = ax.transData + fig.transFigure.inverted()
    (fx0, fy0), (fx1, fy1) = to_fig.transform([(lo, y - half), (hi, y + half)]).tolist()
    x0, x1 = sorted((fx0 * w_pt, fx1 * w_pt))
    y0, y1 = sorted(((1 - fy0) * h_pt, (1 - fy1) * h_pt))
    pad = MARKER_PT / 2 if marker else 1.0
    if open_:  # the arrowhead beyond the open end
        x0, x1 = x0 - 4.0, x1 + 4.0
    x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad
    grow_x, grow_y = max(0.0, HIT_PT - (x1 - x0)) / 2, max(0.0, HIT_PT - (y1 - y0)) / 2
    status = f" ({r.status})" if r.status else ""
    date = f": {r.date}" if r.date else ""
    return Mark(name, r.key, f"{label} {r.key}{status}{date} · {lane_label}",
                x0 - grow_x, y0 - grow_y, x1 - x0 + 2 * grow_x, y1 - y0 + 2 * grow_y)


def _with_links(svg: bytes, marks: list[Mark]) -> bytes:
    """The SVG with a link over each record's mark, to that record on the release page, and its
    tooltip (an SVG ``<title>``).

    The links are a group of their own (``LINKS_ID``), drawn last and transparent, rather than
    matplotlib's ``set_url`` on each artist: a bar is up to three artists and a tiny marker is a
    hard target, while one rectangle per record is easy to hit, and the release page reads the
    same group to lay the links over the picture it embeds.
    """
    if not marks:
        return svg
    # transparent, yet painted: a fill of opacity 0 still takes the pointer (a fill of none would not)
    lines = [f' <g id="{LINKS_ID}" fill="#ffffff" fill-opacity="0">']
    for m in marks:
        href = f"{PAGE}#record/{quote(m.table, safe='')}/{quote(m.key, safe='')}"
        lines.append(f'  <a xlink:href="{_xml(href)}"><title>{_xml(m.label)}</title>'
                     f'<rect x="{m.x:.1f}" y="{m.y:.1f}" width="{m.width:.1f}" height="{m.height:.1f}"/></a>')
    lines.append(" </g>\n")
    end = svg.rindex(b"</svg>")
    return svg[:end] + "\n".join(lines).encode("utf-8") + svg[end:]


def _xml(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _count(n: int, noun: str, words: bool = False) -> str:
    number = ("no", "one", "two", "three")[n] if words and n < 4 else str(n)
    return f"{number} {noun}{'' if n == 1 else 's'}"


def _empty_figure(title: str, subtitle: str, message: str) -> Figure:
    fig = Figure(figsize=(WIDTH_IN, 1.8), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    fig.text(0.3 / WIDTH_IN, 1 - 0.3 / 1.8, title, fontsize=12, fontweight="bold", va="top")
    fig.text(0.3 / WIDTH_IN, 1 - 0.62 / 1.8, subtitle, fontsize=9.5, color=GREY, va="top")
    fig.text(0.5, 0.3, message, fontsize=10, color=GREY, ha="center", va="center")
    return fig


# -- the parts both figures share ---------------------------------------------------------------

def _horizontal(fig: Figure, labels: list[str], limits: list[tuple[int, int]], extra: float = 0.0):
    """Horizontal layout, in inches: lane labels | (extra) | panel | gap | panel ...
    Returns (left, widths, scale in inches per year per panel, shared scale?, panel starts)."""
    renderer = fig.canvas.get_renderer()
    label_in = 0.0
    for label in labels:
        probe = fig.text(0, 0, label, fontsize=8.5)
        label_in = max(label_in, probe.get_window_extent(renderer).width / DPI)
        probe.remove()
    left, right, gap = 0.3 + label_in + 0.12 + extra, 0.3, 0.22
    usable = WIDTH_IN - left - right - gap * (len(limits) - 1)
    widths = _widths([b - a for a, b in limits], usable)
    scale = [w / (b - a) for w, (a, b) in zip(widths, limits)]  # inches per year, per panel
    shared = max(scale) - min(scale) < 1e-9
    starts = [left + sum(widths[:i]) + gap * i for i in range(len(widths))]
    return left, widths, scale, shared, starts


def _lane_tops(rows_of: list[int]) -> tuple[list[float], float]:
    lane_top, y = [], 0.0
    for rows in rows_of:
        lane_top.append(y)
        y += rows + 2 * LANE_PAD
    return lane_top, y


def _axes(fig: Figure, periods, limits, widths, scale, starts, lane_top, rows_of, total_rows, axes_in,
          bottom_in, titles: list[str]) -> list:
    """One axes per period, with its years, grid, lane shading and title."""
    top_in = 1.05
    height = top_in + axes_in + bottom_in
    fig.set_size_inches(WIDTH_IN, height)
    axes = []
    for i, (lo_lim, hi_lim) in enumerate(limits):
        ax = fig.add_axes((starts[i] / WIDTH_IN, bottom_in / height, widths[i] / WIDTH_IN, axes_in / height))
        ax.set_xlim(lo_lim, hi_lim)
        ax.set_ylim(total_rows, 0)
        ax.set_yticks([])
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        step = _tick_step(scale[i])
        ticks = [t for t in range(lo_lim, hi_lim + 1) if t % step == 0]
        inner = {lo_lim if i > 0 else None, hi_lim if i < len(limits) - 1 else None}
        ticks = [t for t in ticks if t not in inner] or ticks  # no label crowding a break
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.set_xticks([t for t in range(lo_lim, hi_lim + 1) if t % step], minor=True)
        ax.tick_params(axis="x", which="major", length=4, pad=3)
        ax.tick_params(axis="x", which="minor", length=2)
        for t in ticks:
            ax.axvline(t, color=LIGHT, linewidth=0.6, zorder=1)
        for k, top in enumerate(lane_top):
            if k % 2 == 0:
                ax.axhspan(top, top + rows_of[k] + 2 * LANE_PAD, facecolor="#F4F4F4", linewidth=0, zorder=0)
        a, b = periods[i]
        first, last = math.floor(a), math.floor(b - 1e-9)
        span = f"{first}–{last}" if last > first else f"{first}"
        ax.set_title(f"{span}  ·  {titles[i]}", loc="left", fontsize=9, fontweight="bold", color=INK, pad=5)
        axes.append(ax)
    return axes


def _lane_labels(fig: Figure, axes: list, labels: list[str], x: float, lane_top, rows_of) -> None:
    """The lane labels, right-aligned at ``x`` inches, to the left of the first panel."""
    trans = blended_transform_factory(fig.transFigure, axes[0].transData)
    for k, label in enumerate(labels):
        axes[0].text(x / WIDTH_IN, lane_top[k] + LANE_PAD + rows_of[k] / 2, label, transform=trans,
                     ha="right", va="center", fontsize=8.5, color=INK, clip_on=False)


def _breaks(axes: list, widths: list[float], axes_in: float) -> None:
    """Broken-axis marks between panels."""
    d = 0.06  # inches
    for i in range(len(axes) - 1):
        for ax, x in ((axes[i], 1.0), (axes[i + 1], 0.0)):
            w, h = d / (widths[axes.index(ax)]), 2 * d / axes_in
            ax.plot([x - w, x + w], [-h, h], transform=ax.transAxes, color=INK, linewidth=0.7, clip_on=False)


def _titles(fig: Figure, title: str, subtitle: str, height: float) -> None:
    x0 = 0.3 / WIDTH_IN
    fig.text(x0, 1 - 0.22 / height, title, fontsize=12, fontweight="bold", va="top")
    fig.text(x0, 1 - 0.5 / height, subtitle, fontsize=9.5, color=GREY, va="top")


def _note(to_state: dict, periods: list, shared: bool) -> str:
    note = "A person or other actor counts as the state it belongs to." if to_state else ""
    if len(periods) > 1:
        note += (" The axis is broken between periods; the panels share one time scale." if shared else
                 " The axis is broken between periods; a short period is widened to stay legible.")
    return note.strip()


# -- the figure ---------------------------------------------------------------------------------

def _figure(descriptor: dict, tables: dict) -> tuple[Figure, list[Mark]]:
    """The figure, and the marks of its records (none when it shows counts or nothing)."""
    title = str(descriptor.get("title") or descriptor.get("name") or "Timeline")
    version = str(descriptor.get("version") or "")
    types = _record_types(tables)
    to_state, names = _states(tables)
    dated = _dated(tables, types, to_state)
    n, undated = len(dated), dated.undated
    vtext = f"Version {version}: " if version else ""
    if not n:
        message = "No dated records in this release."
        if undated:
            message = f"No dated records in this release ({_count(undated, 'record')} without a date)."
        return _empty_figure(title, f"{vtext}timeline of the dated records", message), []

    periods = _periods(dated.start, dated.end)
    panel = _panels(dated.start, periods)
    lanes = dated.lanes
    labels = [_lane_label(lane, names) for lane in lanes]
    if n > AGGREGATE_ABOVE:
        return _counts_figure(title, vtext, types, to_state, dated, periods, panel, labels), []

    records = _records(tables, types, dated)
    for r in records:
        r.panel = next(i for i, (a, b) in enumerate(periods) if a <= r.start <= b)
    limits = [_panel_limits(a, b) for a, b in periods]

    fig = Figure(figsize=(WIDTH_IN, 4), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    left, widths, scale, shared, starts = _horizontal(fig, labels, limits)

    # sub-rows: pack each lane's records left to right, in inches along the figure
    def extent(r: Record) -> tuple[float, float]:
        lo_lim, hi_lim = limits[r.panel]
        lo = lo_lim if r.lo is None else r.lo
        hi = hi_lim if r.hi is None else r.hi
        x0, x1 = (starts[r.panel] + (v - lo_lim) * scale[r.panel] for v in (lo, hi))
        if r.lo is not None and r.hi is not None and x1 - x0 < MIN_BAR_IN:
            mid = (x0 + x1) / 2
            x0, x1 = mid - MARKER_IN / 2, mid + MARKER_IN / 2
        return x0, x1 + SPACING_IN

    rows_of = []
    for lane in lanes:
        ends: list[float] = []
        for r in sorted((r for r in records if r.lane == lane), key=lambda r: (extent(r), r.kind, r.key)):
            x0, x1 = extent(r)
            r.row = next((i for i, e in enumerate(ends) if e <= x0), len(ends))
            if r.row == len(ends):
                ends.append(x1)
            else:
                ends[r.row] = x1
        rows_of.append(len(ends))
    lane_top, total_rows = _lane_tops(rows_of)

    # vertical layout
    row_in = min(ROW_IN, MAX_AXES_IN / total_rows)
    axes_in = total_rows * row_in
    bottom_in = 1.6
    per_panel = np.bincount([r.panel for r in records], minlength=len(periods)).tolist()
    axes = _axes(fig, periods, limits, widths, scale, starts, lane_top, rows_of, total_rows, axes_in, bottom_in,
                 [_count(c, "record") for c in per_panel])
    height = fig.get_size_inches()[1]

    marks = []
    for r in records:
        y = lane_top[lanes.index(r.lane)] + LANE_PAD + r.row + 0.5
        _draw_record(axes[r.panel], r, y, types[r.kind], limits[r.panel], scale[r.panel])
        marks.append(_mark(fig, axes[r.panel], r, y, types[r.kind], limits[r.panel], scale[r.panel],
                           labels[lanes.index(r.lane)]))

    _lane_labels(fig, axes, labels, left - 0.12, lane_top, rows_of)
    _breaks(axes, widths, axes_in)
    x0 = 0.3 / WIDTH_IN
    _titles(fig, title, f"{vtext}timeline of {_count(n, 'dated record')} in "
            f"{_count(len(periods), 'period', words=True)}, by pair of states", height)

    # legends
    kinds = sorted({r.kind for r in records})
    handles = [(Patch(facecolor=types[k][3], alpha=0.33, edgecolor="none"),
                Line2D([], [], marker=types[k][2], color=types[k][3], markersize=MARKER_PT, linestyle="none",
                       markeredgewidth=0.6)) for k in kinds]
    type_labels = [f"{types[k][1]} ({sum(1 for r in records if r.kind == k)})" for k in kinds]
    leg_y = (bottom_in - 0.42) / height
    fig.legend(handles, type_labels, loc="upper left", bbox_to_anchor=(x0, leg_y), ncols=min(len(kinds), 6),
                     frameon=False, title="Record type", title_fontproperties={"weight": "bold", "size": 8.5},
                     alignment="left", handler_map={tuple: HandlerTuple(ndivide=1)}, handlelength=2.2,
                     columnspacing=1.4, borderaxespad=0, borderpad=0)
    fade = object()
    enc = [(Patch(facecolor=GREY, alpha=0.33, edgecolor="none"),
            Patch(facecolor="none", edgecolor=GREY, linewidth=0.9)),
           Line2D([], [], marker="o", color=GREY, markersize=MARKER_PT, linestyle="none", markeredgewidth=0.6),
           fade,
           (Patch(facecolor="none", edgecolor=GREY, linestyle=(0, (2.5, 1.5)), linewidth=0.9),
            Line2D([], [], marker="o", markerfacecolor="white", markeredgecolor=GREY, markersize=MARKER_PT,
                   markeredgewidth=1.1, linestyle="none"))]
    enc_labels = ["range: earliest to latest possible date", "a day or a short range", "open start or end",
                  "uncertain (?, ~), or once within [..]"]
    fig.legend(enc, enc_labels, loc="upper left", bbox_to_anchor=(x0, leg_y - 0.47 / height), ncols=4,
               frameon=False, title="Date drawn as", title_fontproperties={"weight": "bold", "size": 8.5},
               alignment="left", handlelength=2.2, columnspacing=1.4, borderaxespad=0, borderpad=0,
               handler_map={fade: _FadeHandler(), tuple: HandlerTuple(ndivide=None, pad=0.6),
                            enc[0]: HandlerTuple(ndivide=1)})
    note = _note(to_state, periods, shared)
    if undated:
        note += f" Not shown: {_count(undated, 'record')} without a date."
    fig.text(x0, 0.12 / height, note, fontsize=7.5, color=GREY, va="bottom")
    return fig, marks


# -- counts, above AGGREGATE_ABOVE records ------------------------------------------------------

def _bin_months(limits: list[tuple[int, int]], scale: list[float]) -> int:
    """The bin length, in months: the shortest in BIN_MONTHS at least MIN_BIN_IN wide in every panel."""
    narrowest = min(scale)
    return next((m for m in BIN_MONTHS if m / 12 * narrowest >= MIN_BIN_IN), BIN_MONTHS[-1])


def _bin_word(months: int) -> str:
    return {1: "month", 3: "quarter", 12: "year"}.get(months, f"{months // 12} years")


def _months(days: np.ndarray) -> np.ndarray:
    """Months since January of year 0, of datetime64[D] days."""
    return days.astype("datetime64[M]").astype(np.int64) + 1970 * 12


def _month_years(months: np.ndarray) -> np.ndarray:
    """Decimal years of the first days of months counted from January of year 0."""
    return _years((months - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]"))


def _alpha(count: np.ndarray, most: int) -> np.ndarray:
    """Opacity of a bin of ``count`` records (>= 1), on a log scale up to ``most``."""
    if most <= 1:
        return np.ones(len(count))
    return MIN_ALPHA + (1 - MIN_ALPHA) * np.log(count) / math.log(most)


def _counts_figure(title: str, vtext: str, types: list[tuple], to_state: dict, dated: Dated,
                   periods: list, panel: np.ndarray, labels: list[str]) -> Figure:
    """The counts: per lane, record type and bin, the records whose possible dates overlap the bin."""
    n, lanes, nkinds = len(dated), dated.lanes, len(types)
    limits = [_panel_limits(a, b) for a, b in periods]
    fig = Figure(figsize=(WIDTH_IN, 4), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    left, widths, scale, shared, starts = _horizontal(fig, labels, limits, extra=TYPE_MARK_IN)
    step = _bin_months(limits, scale)

    # bins: absolute months // step; each panel holds a run of them, the panels one after another
    lo_bin = np.asarray([(a * 12) // step for a, _b in limits], dtype=np.int64)
    hi_bin = np.asarray([(b * 12 - 1) // step for _a, b in limits], dtype=np.int64)
    offset = np.concatenate([[0], np.cumsum(hi_bin - lo_bin + 1)])
    nbins = int(offset[-1])
    lo_p, hi_p = lo_bin[panel], hi_bin[panel]  # an open start or end reaches the panel's edge
    first_bin = np.clip(np.where(np.isnat(dated.first), lo_p, _months(dated.first) // step), lo_p, hi_p)
    last_bin = np.where(np.isnat(dated.last), hi_p, _months(dated.last) // step)
    last_bin = np.clip(np.maximum(last_bin, first_bin), lo_p, hi_p)
    first_bin += offset[panel] - lo_p  # as indices into all the panels' bins
    last_bin += offset[panel] - lo_p
    # one strip per (lane, record type) with records; +1 at a record's first bin and -1 after its
    # last: a running sum along the strip gives the records overlapping each bin
    pair = dated.lane * nkinds + dated.kind
    per_type = np.bincount(pair, minlength=len(lanes) * nkinds).reshape(len(lanes), nkinds)
    strip_of = np.full(len(lanes) * nkinds, -1, dtype=np.int64)
    strip_of[per_type.ravel() > 0] = np.arange(int((per_type > 0).sum()))
    at = strip_of[pair] * (nbins + 1)
    size = int((per_type > 0).sum()) * (nbins + 1)
    delta = np.bincount(at + first_bin, minlength=size) - np.bincount(at + last_bin + 1, minlength=size)
    counts = np.cumsum(delta.reshape(-1, nbins + 1), axis=1)[:, :nbins]
    most = int(counts.max())

    strips = [[k for k in range(nkinds) if per_type[lane, k]] for lane in range(len(lanes))]
    rows_of = [len(s) for s in strips]
    lane_top, total_rows = _lane_tops(rows_of)
    row_in = min(COUNT_ROW_IN, MAX_AXES_IN / total_rows)
    axes_in = total_rows * row_in
    bottom_in = 2.0  # legends, and a footnote of up to four lines
    per_panel = np.bincount(panel, minlength=len(periods)).tolist()
    axes = _axes(fig, periods, limits, widths, scale, starts, lane_top, rows_of, total_rows, axes_in, bottom_in,
                 [f"{c:,} record{'' if c == 1 else 's'}" for c in per_panel])
    height = fig.get_size_inches()[1]

    # the strips: equal neighbouring bins are one rectangle
    trans = blended_transform_factory(fig.transFigure, axes[0].transData)
    for lane, kinds in enumerate(strips):
        for j, k in enumerate(kinds):
            y = lane_top[lane] + LANE_PAD + j + 0.5
            name, _label, marker, colour, _cols = types[k]
            axes[0].plot([(left - 0.08) / WIDTH_IN], [y], marker=marker, markersize=MARKER_PT * 0.8,
                         color=colour, markeredgewidth=0.5, linestyle="none", transform=trans, clip_on=False,
                         gid=f"counts-{_svg_id(name)}-lane{lane + 1}-key")
            for p, ax in enumerate(axes):
                c = counts[strip_of[lane * nkinds + k], offset[p]:offset[p + 1]]
                change = np.flatnonzero(c[1:] != c[:-1]) + 1
                run_lo = np.concatenate([[0], change])
                run_hi = np.concatenate([change, [len(c)]])
                full = c[run_lo] > 0
                if not full.any():
                    continue
                run_lo, run_hi, value = run_lo[full], run_hi[full], c[run_lo[full]]
                a, b = limits[p]
                x0 = np.clip(_month_years((run_lo + lo_bin[p]) * step), a, b)
                x1 = np.clip(_month_years((run_hi + lo_bin[p]) * step), a, b)
                y0, y1 = y - STRIP_H / 2, y + STRIP_H / 2
                verts = [[(u, y0), (u, y1), (v, y1), (v, y0)] for u, v in zip(x0.tolist(), x1.tolist())]
                rgb = to_rgb(colour)
                ax.add_collection(PolyCollection(verts, facecolors=[(*rgb, float(al)) for al in _alpha(value, most)],
                                                 linewidths=0, zorder=3,
                                                 gid=f"counts-{_svg_id(name)}-lane{lane + 1}-panel{p + 1}"))

    _lane_labels(fig, axes, labels, left - 0.12 - TYPE_MARK_IN, lane_top, rows_of)
    _breaks(axes, widths, axes_in)
    x0 = 0.3 / WIDTH_IN
    word = _bin_word(step)
    _titles(fig, title, f"{vtext}number of dated records per {word}, {n:,} in "
            f"{_count(len(periods), 'period', words=True)}, by pair of states and record type", height)

    # legends: record types with their totals, and the opacity scale
    kinds = [k for k in range(nkinds) if per_type[:, k].any()]
    handles = [(Patch(facecolor=types[k][3], edgecolor="none"),
                Line2D([], [], marker=types[k][2], color=types[k][3], markersize=MARKER_PT * 0.8, linestyle="none",
                       markeredgewidth=0.5)) for k in kinds]
    type_labels = [f"{types[k][1]} ({int(per_type[:, k].sum()):,})" for k in kinds]
    leg_y = (bottom_in - 0.42) / height
    fig.legend(handles, type_labels, loc="upper left", bbox_to_anchor=(x0, leg_y), ncols=min(len(kinds), 6),
               frameon=False, title="Record type (strip colour and marker)",
               title_fontproperties={"weight": "bold", "size": 8.5}, alignment="left",
               handler_map={tuple: HandlerTuple(ndivide=None, pad=0.6)}, handlelength=2.2, columnspacing=1.4,
               borderaxespad=0, borderpad=0)
    levels = [10 ** e for e in range(int(math.log10(most)) + 1) if 10 ** e * 2 <= most] + [most]
    ramp = [Patch(facecolor=INK, alpha=float(al), edgecolor="none") for al in _alpha(np.asarray(levels), most)]
    fig.legend(ramp, [f"{v:,}" for v in levels], loc="upper left", bbox_to_anchor=(x0, leg_y - 0.47 / height),
               ncols=len(levels), frameon=False, title=f"Records per {word} (opacity, log scale)",
               title_fontproperties={"weight": "bold", "size": 8.5}, alignment="left", handlelength=2.2,
               columnspacing=1.4, borderaxespad=0, borderpad=0)

    qualified = int(dated.qualified.sum())
    open_ = int((np.isnat(dated.first) | np.isnat(dated.last)).sum())
    unseen = []  # what the counts do not show
    if qualified:
        unseen.append(f"{qualified:,} {'has' if qualified == 1 else 'have'} an uncertain or approximate date")
    if open_:
        unseen.append(f"{open_:,} {'' if qualified else 'has ' if open_ == 1 else 'have '}an open start or end")
    note = (f"Counts, not single records: {n:,} dated records are more than the {AGGREGATE_ABOVE:,} that are drawn "
            f"one by one. A record counts in every {word} that its range of possible dates overlaps (an open start "
            f"or end reaches the panel edge)" + (f"; {' and '.join(unseen)}. " if unseen else ". ")
            + _note(to_state, periods, shared))
    if dated.undated:
        note += f" Not shown: {_count(dated.undated, 'record')} without a date."
    fig.text(x0, 0.12 / height, "\n".join(textwrap.wrap(note.strip(), NOTE_CHARS)), fontsize=7.5, color=GREY,
             va="bottom", linespacing=1.35, gid="counts-note")
    return fig


def timeline(descriptor: dict, tables: dict) -> dict[str, bytes]:
    """{"timeline.png": bytes, "timeline.svg": bytes}, deterministic."""
    title = f"{descriptor.get('title') or 'Timeline'}: timeline, version {descriptor.get('version', '')}"
    out = {}
    with matplotlib.rc_context():
        matplotlib.rcdefaults()  # matplotlib's own defaults, whatever the user's matplotlibrc says
        matplotlib.rcParams.update(RC)
        fig, marks = _figure(descriptor, tables)
        for fmt, meta in (("png", {"Software": None, "Title": title}),
                          ("svg", {"Date": None, "Creator": None, "Title": title})):
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=DPI, metadata=meta, facecolor="white")
            out[f"timeline.{fmt}"] = buf.getvalue()
    out["timeline.svg"] = _with_links(out["timeline.svg"], marks)
    return out
