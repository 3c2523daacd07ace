"""The timeline figure of a release: ``timeline.png`` and ``timeline.svg``.

Every dated record (visits, aid, sanctions, statements, events, and any
future table with an EDTF ``date`` and actor foreign keys) is drawn on a
time axis from its derived ``date_min`` and ``date_max``:

- a **bar** spans the earliest to the latest possible day, so an imprecise
  date (``1960?``, ``196X``, ``2011-12/2018-03``) is drawn as the range it
  allows, not as a point;
- a range too short to see at the figure's scale (a day, a few days, a month
  in a decade) is a **marker** at its middle;
- an **open** start or end (``../1960-05``) fades out towards the panel edge
  and ends in an arrowhead: the record reaches at least that far;
- a date qualified as uncertain or approximate (EDTF ``?``, ``~``, ``%``)
  has a dashed outline (bar) or a hollow marker.

Colour and marker shape give the record type (both, so that the figure
reads in greyscale and for colour-blind readers: the Okabe-Ito palette).

**Lanes.** One lane per pair of *states* involved, not per pair of actors and
not per record type. A person or another non-state actor counts as the state
in ``actors.state_id`` (Kim Jong Un as North Korea, Xi Jinping as China), and
a record with one actor, or two of the same state, has a lane of that state
alone. The number of lanes is bounded by the number of states coded (five
great-power relations today), whereas actor pairs grow with every new person
and one lane per record type would hide which relation a record belongs to.
The state in more records is named first in every pair, so the focal state
(North Korea) leads. Lanes are ordered pairs first, then single states, each
by number of records. Records that overlap in a lane are stacked in sub-rows,
so none hides another.

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
from dataclasses import dataclass

import matplotlib
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
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
EXTRA_STYLES = (("v", "#56B4E9"), ("P", "#000000"), ("*", "#F0E442"), ("X", "#999999"))
MIN_GAP_YEARS = 8.0  # a shorter gap never breaks the axis
SPLIT_SHARE = 0.25  # ... nor one that is less than this share of its period
MAX_PANELS = 3
PAD_YEARS = 0.25  # kept between a period's records and its whole-year panel edges

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
    panel: int = 0
    row: int = 0

    @property
    def start(self) -> float:
        return self.lo if self.lo is not None else self.hi

    @property
    def end(self) -> float:
        return self.hi if self.hi is not None else self.lo


def _year(ts, end: bool = False) -> float | None:
    """Decimal year of a day's start (or, with ``end``, of its end)."""
    if ts is None or pd.isna(ts):
        return None
    ts = pd.Timestamp(ts)
    if end:
        ts = ts + pd.Timedelta(days=1)
    first = pd.Timestamp(year=ts.year, month=1, day=1)
    days = 366 if ts.is_leap_year else 365
    return ts.year + (ts - first).days / days


def _states(tables: dict) -> tuple[dict, dict]:
    """(actor id -> state id, state id -> display name) from the actors table."""
    to_state, names = {}, {}
    actors = tables.get("actors")
    if actors is None:
        return to_state, names
    s = actors.strings
    cols = set(s.columns)
    for i in range(len(s)):
        aid = str(s["actor_id"].iat[i]) if "actor_id" in cols else ""
        if not aid:
            continue
        name = str(s["name"].iat[i]) if "name" in cols else ""
        state = str(s["state_id"].iat[i]) if "state_id" in cols else ""
        kind = str(s["actor_type"].iat[i]) if "actor_type" in cols else ""
        to_state[aid] = aid if kind == "state" or not state else state
        names[aid] = name or aid
    return to_state, names


def _record_types(tables: dict) -> list[tuple]:
    """The record types present: the known five in their order, then any other
    table with an EDTF date and foreign keys to actors, by name."""
    out = [t for t in RECORD_TYPES if t[0] in tables]
    known, extra = {t[0] for t in RECORD_TYPES}, 0
    for name in sorted(set(tables) - known):
        rt = tables[name]
        actor_cols = tuple(fk.fields[0] for fk in getattr(rt.table, "foreign_keys", ())
                           if fk.resource == "actors" and len(fk.fields) == 1)
        if actor_cols and {"date_min", "date_max"} <= set(rt.typed.columns):
            marker, colour = EXTRA_STYLES[extra % len(EXTRA_STYLES)]
            extra += 1
            out.append((name, getattr(rt.table, "title", "") or name, marker, colour, actor_cols[:2]))
    return out


def _records(tables: dict, types: list[tuple], to_state: dict) -> tuple[list[Record], int]:
    """The dated records, and the number of records without any date."""
    records, undated = [], 0
    for kind, (name, _label, _m, _c, actor_cols) in enumerate(types):
        rt = tables[name]
        typed, strings = rt.typed, rt.strings
        if not len(typed) or not {"date_min", "date_max"} <= set(typed.columns):
            continue
        pk = list(getattr(rt.table, "primary_key", ()) or [])
        for i in range(len(typed)):
            lo = _year(typed["date_min"].iat[i])
            hi = _year(typed["date_max"].iat[i], end=True)
            if lo is None and hi is None:
                undated += 1
                continue
            raw = str(strings["date"].iat[i]) if "date" in strings.columns else ""
            states = []
            for col in actor_cols:
                actor = str(strings[col].iat[i]) if col in strings.columns else ""
                if actor:
                    states.append(to_state.get(actor, actor))
            states = sorted(set(states)) or [""]  # no actor coded
            key = "-".join(str(strings[c].iat[i]) for c in pk if c in strings.columns) or str(i)
            gid = _svg_id(f"record-{name}-{key}")
            records.append(Record(kind, key, gid, tuple(states), lo, hi, any(q in raw for q in "?~%")))
    records.sort(key=lambda r: (r.start, r.end, r.kind, r.key))
    return records, undated


def _svg_id(text: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in text)


def _periods(records: list[Record]) -> list[tuple[float, float]]:
    """Clusters of dates separated by long gaps, as (first, last) decimal years.

    The records' spans are merged where they overlap; then, largest gap first,
    a period is split at its largest gap while that gap is longer than
    MIN_GAP_YEARS and than SPLIT_SHARE of the period, up to MAX_PANELS periods.
    """
    merged: list[list[float]] = []
    for s, e in sorted((r.start, r.end) for r in records):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    groups = [(0, len(merged) - 1)]  # periods, as index ranges into merged
    while len(groups) < MAX_PANELS:
        best = None  # (gap, group, split after)
        for g, (i, j) in enumerate(groups):
            span = merged[j][1] - merged[i][0]
            for k in range(i, j):
                gap = merged[k + 1][0] - merged[k][1]
                if gap > MIN_GAP_YEARS and gap > SPLIT_SHARE * span and (best is None or gap > best[0]):
                    best = (gap, g, k)
        if best is None:
            break
        _gap, g, k = best
        i, j = groups[g]
        groups[g:g + 1] = [(i, k), (k + 1, j)]
    return [(merged[i][0], merged[j][1]) for i, j in groups]


def _panel_limits(first: float, last: float) -> tuple[int, int]:
    return math.floor(first - PAD_YEARS), math.ceil(last + PAD_YEARS)


def _lanes(records: list[Record]) -> list[tuple]:
    weight: dict = {}
    for r in records:
        for s in r.lane:
            weight[s] = weight.get(s, 0) + 1
    counts: dict = {}
    for r in records:
        r.lane = tuple(sorted(r.lane, key=lambda s: (-weight[s], s)))
        counts[r.lane] = counts.get(r.lane, 0) + 1
    return sorted(counts, key=lambda lane: (len(lane) == 1, -counts[lane], lane))


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


def _figure(descriptor: dict, tables: dict) -> Figure:
    title = str(descriptor.get("title") or descriptor.get("name") or "Timeline")
    version = str(descriptor.get("version") or "")
    types = _record_types(tables)
    to_state, names = _states(tables)
    records, undated = _records(tables, types, to_state)
    n = len(records)
    vtext = f"Version {version}: " if version else ""
    if not records:
        message = "No dated records in this release."
        if undated:
            message = f"No dated records in this release ({_count(undated, 'record')} without a date)."
        return _empty_figure(title, f"{vtext}timeline of the dated records", message)

    periods = _periods(records)
    limits = [_panel_limits(a, b) for a, b in periods]
    for r in records:
        r.panel = next(i for i, (a, b) in enumerate(periods) if a <= r.start <= b)
    lanes = _lanes(records)
    labels = [_lane_label(lane, names) for lane in lanes]

    # horizontal layout, in inches: lane labels | panel | gap | panel ...
    fig = Figure(figsize=(WIDTH_IN, 4), dpi=DPI, facecolor="white")
    canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    label_in = 0.0
    for label in labels:
        probe = fig.text(0, 0, label, fontsize=8.5)
        label_in = max(label_in, probe.get_window_extent(renderer).width / DPI)
        probe.remove()
    left, right, gap = 0.3 + label_in + 0.12, 0.3, 0.22
    usable = WIDTH_IN - left - right - gap * (len(periods) - 1)
    widths = _widths([b - a for a, b in limits], usable)
    scale = [w / (b - a) for w, (a, b) in zip(widths, limits)]  # inches per year, per panel
    shared = max(scale) - min(scale) < 1e-9
    starts = [left + sum(widths[:i]) + gap * i for i in range(len(widths))]

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
    lane_top, y = [], 0.0
    for rows in rows_of:
        lane_top.append(y)
        y += rows + 2 * LANE_PAD
    total_rows = y

    # vertical layout
    row_in = min(ROW_IN, MAX_AXES_IN / total_rows)
    axes_in = total_rows * row_in
    top_in, bottom_in = 1.05, 1.6
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
        count = sum(1 for r in records if r.panel == i)
        first, last = math.floor(a), math.floor(b - 1e-9)
        span = f"{first}–{last}" if last > first else f"{first}"
        ax.set_title(f"{span}  ·  {_count(count, 'record')}", loc="left", fontsize=9,
                     fontweight="bold", color=INK, pad=5)
        axes.append(ax)

    for r in records:
        y = lane_top[lanes.index(r.lane)] + LANE_PAD + r.row + 0.5
        _draw_record(axes[r.panel], r, y, types[r.kind], limits[r.panel], scale[r.panel])

    # lane labels, to the left of the first panel
    trans = blended_transform_factory(fig.transFigure, axes[0].transData)
    for k, label in enumerate(labels):
        axes[0].text((left - 0.12) / WIDTH_IN, lane_top[k] + LANE_PAD + rows_of[k] / 2, label, transform=trans,
                     ha="right", va="center", fontsize=8.5, color=INK, clip_on=False)

    # broken-axis marks between panels
    d = 0.06  # inches
    for i in range(len(axes) - 1):
        for ax, x in ((axes[i], 1.0), (axes[i + 1], 0.0)):
            w, h = d / (widths[axes.index(ax)]), 2 * d / axes_in
            ax.plot([x - w, x + w], [-h, h], transform=ax.transAxes, color=INK, linewidth=0.7, clip_on=False)

    # title and subtitle
    x0 = 0.3 / WIDTH_IN
    fig.text(x0, 1 - 0.22 / height, title, fontsize=12, fontweight="bold", va="top")
    fig.text(x0, 1 - 0.5 / height, f"{vtext}timeline of {_count(n, 'dated record')} in "
             f"{_count(len(periods), 'period', words=True)}, by pair of states", fontsize=9.5, color=GREY, va="top")

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
                  "uncertain or approximate (?, ~)"]
    fig.legend(enc, enc_labels, loc="upper left", bbox_to_anchor=(x0, leg_y - 0.47 / height), ncols=4,
               frameon=False, title="Date drawn as", title_fontproperties={"weight": "bold", "size": 8.5},
               alignment="left", handlelength=2.2, columnspacing=1.4, borderaxespad=0, borderpad=0,
               handler_map={fade: _FadeHandler(), tuple: HandlerTuple(ndivide=None, pad=0.6),
                            enc[0]: HandlerTuple(ndivide=1)})
    note = "A person or other actor counts as the state it belongs to." if to_state else ""
    if len(periods) > 1:
        note += (" The axis is broken between periods; the panels share one time scale." if shared else
                 " The axis is broken between periods; a short period is widened to stay legible.")
    note = note.strip()
    if undated:
        note += f" Not shown: {_count(undated, 'record')} without a date."
    fig.text(x0, 0.12 / height, note, fontsize=7.5, color=GREY, va="bottom")
    return fig


def timeline(descriptor: dict, tables: dict) -> dict[str, bytes]:
    """{"timeline.png": bytes, "timeline.svg": bytes}, deterministic."""
    title = f"{descriptor.get('title') or 'Timeline'}: timeline, version {descriptor.get('version', '')}"
    out = {}
    with matplotlib.rc_context():
        matplotlib.rcdefaults()  # matplotlib's own defaults, whatever the user's matplotlibrc says
        matplotlib.rcParams.update(RC)
        fig = _figure(descriptor, tables)
        for fmt, meta in (("png", {"Software": None, "Title": title}),
                          ("svg", {"Date": None, "Creator": None, "Title": title})):
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=DPI, metadata=meta, facecolor="white")
            out[f"timeline.{fmt}"] = buf.getvalue()
    return out
