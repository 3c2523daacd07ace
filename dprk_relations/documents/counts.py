"""Visits counted per dyad, direction and decade: the table the codebook and the release page show.

Generated from the release's own tables, so it can never disagree with the data:

- only visits that took place (``status`` occurred) count; invitations, plans, refusals,
  postponements and cancellations are in the data but not in the table;
- a visit is *leader-level* when it claims the visitor's top office (``visitor_office_id``), an
  *envoy's* when it names whom the envoy represents (``envoy_of_id``); other visits (an heir, a
  minister) are counted in a third table only;
- the dyad is North Korea and the partner state: the visit's ``dyad`` (from ``visitor_state_id`` and
  ``host_state_id``), except that a North Korean leader's summit in a third country (Singapore, Hanoi)
  counts for the state of the leader met there (``met_ids``), and the Soviet Union and Russia share a
  row; the direction is the visit's ``direction``;
- the decade is that of the visit's sort date (``date_sort``: its earliest possible day, or for an open
  start its latest), so no visit falls out of the table.
"""

from __future__ import annotations

import pandas as pd

FOCAL = "prk"
PARTNERS = {"chn": "China", "sun": "Soviet Union / Russia", "rus": "Soviet Union / Russia",
            "kor": "South Korea", "usa": "United States"}
ORDER = ["China", "Soviet Union / Russia", "South Korea", "United States"]
DIRECTIONS = {"from-prk": "from North Korea", "to-prk": "to North Korea"}
KINDS = (("leader-level visits (the visitor's top office is claimed)", "leader"),
         ("envoys' missions (`envoy_of_id` filled)", "envoy"),
         ("other visits (heirs, ministers, delegations with no office or envoy claimed)", "other"))
COLUMNS = ["visit_id", "kind", "partner", "direction", "decade", "dyad", "partner_state"]


def _filled(col: pd.Series) -> pd.Series:
    return col.notna() & (col.astype("string").fillna("") != "")


def visit_counts(tables: dict) -> pd.DataFrame:
    """One row per occurred visit between North Korea and a partner: kind, partner, direction, decade,
    with the visit's dyad and the partner state it is counted for (which differ for a third-country summit)."""
    visits, actors = tables.get("visits"), tables.get("actors")
    if visits is None or actors is None or "dyad" not in visits.typed:
        return pd.DataFrame(columns=COLUMNS)
    v = visits.typed
    v = v[(v["status"].astype("string") == "occurred") & v["direction"].isin(list(DIRECTIONS))]
    host, visitor = v["host_state_id"].astype("string"), v["visitor_state_id"].astype("string")
    partner_state = host.where(v["direction"] == "from-prk", visitor)
    # A summit in a third country: the partner is the first leader met there whose state is a partner.
    state_of = dict(zip(actors.strings["actor_id"], actors.strings["state_id"]))
    elsewhere = ~partner_state.isin(list(PARTNERS)) & (v["direction"] == "from-prk")
    if "met_ids" in v and elsewhere.any():
        met = v.loc[elsewhere, "met_ids"].astype("string").fillna("")
        partner_state[elsewhere] = [next((state_of.get(m, "") for m in ids.split() if state_of.get(m, "") in PARTNERS),
                                         pd.NA) for ids in met]
    office = _filled(v["visitor_office_id"]) if "visitor_office_id" in v else pd.Series(False, index=v.index)
    kind = pd.Series("other", index=v.index).mask(_filled(v["envoy_of_id"]), "envoy").mask(office, "leader")
    out = pd.DataFrame({
        "visit_id": v["visit_id"].astype(str), "kind": kind, "partner": partner_state.map(PARTNERS),
        "direction": v["direction"].astype(str).map(DIRECTIONS),
        "decade": pd.to_datetime(v["date_sort"]).dt.year.map(
            lambda y: "date unknown" if pd.isna(y) else f"{int(y) // 10 * 10}s"),
        "dyad": v["dyad"].astype(str), "partner_state": partner_state})
    return out[out["partner"].notna()].reset_index(drop=True)


def third_country_summits(tables: dict) -> pd.DataFrame:
    """The counted visits whose dyad is not North Korea and the state they are counted for."""
    data = visit_counts(tables)
    if data.empty:
        return data
    return data[data["dyad"] != data["partner_state"].map(lambda p: "_".join(sorted((FOCAL, p))))]


def counts_markdown(tables: dict) -> list[str]:
    """The codebook section: one table per kind of visit, rows dyad and direction, columns decades."""
    data = visit_counts(tables)
    lines = ["## Visits by dyad, direction and decade", "",
             "Generated from the visits table. Only visits that took place are counted; each visit is counted "
             "once, in the decade of its sort date (`date_sort`). The dyad is North Korea and the partner: the "
             "host when a North Korean travels, the visitor's state when someone comes to North Korea; a "
             "summit in a third country counts for the state of the leader met there. The Soviet Union and "
             "Russia share a row. How complete each dyad and period is: see Coverage.", ""]
    if data.empty:
        return lines + ["No visits.", ""]
    decades = sorted(d for d in data["decade"].unique() if d != "date unknown")
    if (data["decade"] == "date unknown").any():
        decades.append("date unknown")
    for title, kind in KINDS:
        part = data[data["kind"] == kind]
        lines += [f"Occurred {title}:", "",
                  "| partner | direction | " + " | ".join(decades) + " | total |",
                  "| --- | --- | " + " | ".join("---:" for _ in decades) + " | ---: |"]
        for partner in ORDER:
            for direction in ("from North Korea", "to North Korea"):
                cell = part[(part["partner"] == partner) & (part["direction"] == direction)]
                by = cell["decade"].value_counts()
                lines.append(f"| {partner} | {direction} | " + " | ".join(str(int(by.get(d, 0))) for d in decades)
                             + f" | {len(cell)} |")
        lines += ["| all | both | " + " | ".join(str(int((part['decade'] == d).sum())) for d in decades)
                  + f" | {len(part)} |", ""]
    return lines
