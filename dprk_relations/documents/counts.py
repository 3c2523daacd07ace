"""Visits counted per dyad, direction and decade: the table the codebook and the release page show.

Generated from the release's own tables, so it can never disagree with the data:

- only visits that took place (``status`` occurred) count; invitations, plans, refusals,
  postponements and cancellations are in the data but not in the table;
- a visit is *leader-level* when it claims the visitor's top office (``visitor_office_id``), an
  *envoy's* when it names whom the envoy represents (``envoy_of_id``); other visits (an heir, a
  minister) are counted in a third table only;
- the dyad is North Korea and the partner state: the host, when a North Korean travels; the
  visitor's state (``actors.state_id``), when someone comes to North Korea. A North Korean leader's
  summit in a third country (Singapore, Hanoi) counts for the state of the leader met there
  (``met_ids``), and the Soviet Union and Russia share a row;
- the decade is that of the visit's earliest possible day (``date_min``); a visit whose date has no
  known start is counted under "date unknown".
"""

from __future__ import annotations

import pandas as pd

FOCAL = "prk"
PARTNERS = {"chn": "China", "sun": "Soviet Union / Russia", "rus": "Soviet Union / Russia",
            "kor": "South Korea", "usa": "United States"}
ORDER = ["China", "Soviet Union / Russia", "South Korea", "United States"]
KINDS = (("leader-level visits (the visitor's top office is claimed)", "leader"),
         ("envoys' missions (`envoy_of_id` filled)", "envoy"),
         ("other visits (heirs, ministers, delegations with no office or envoy claimed)", "other"))


def visit_counts(tables: dict) -> pd.DataFrame:
    """One row per occurred visit between North Korea and a partner: kind, partner, direction, decade."""
    visits, actors = tables.get("visits"), tables.get("actors")
    if visits is None or actors is None:
        return pd.DataFrame(columns=["kind", "partner", "direction", "decade"])
    v = visits.typed
    state_of = dict(zip(actors.strings["actor_id"], actors.strings["state_id"]))
    rows = []
    for i in range(len(v)):
        if str(v["status"].iat[i]) != "occurred":
            continue
        visitor_state = state_of.get(str(v["visitor_id"].iat[i]), "")
        host = str(v["host_id"].iat[i])
        if visitor_state == FOCAL and host != FOCAL:
            direction = "from North Korea"
            partner = PARTNERS.get(host)
            if partner is None:  # a summit in a third country: the partner is whom the leader met
                met = str(v["met_ids"].iat[i]) if "met_ids" in v and pd.notna(v["met_ids"].iat[i]) else ""
                partner = next((PARTNERS[state_of.get(m, "")] for m in met.split()
                                if state_of.get(m, "") in PARTNERS), None)
        elif host == FOCAL and visitor_state != FOCAL:
            direction, partner = "to North Korea", PARTNERS.get(visitor_state)
        else:
            continue
        if partner is None:
            continue
        office = v["visitor_office_id"].iat[i] if "visitor_office_id" in v else None
        envoy = v["envoy_of_id"].iat[i]
        kind = "leader" if pd.notna(office) and str(office) else "envoy" if pd.notna(envoy) and str(envoy) else "other"
        start = v["date_min"].iat[i]
        decade = f"{start.year // 10 * 10}s" if pd.notna(start) else "date unknown"
        rows.append((kind, partner, direction, decade))
    return pd.DataFrame(rows, columns=["kind", "partner", "direction", "decade"])


def counts_markdown(tables: dict) -> list[str]:
    """The codebook section: one table per kind of visit, rows dyad and direction, columns decades."""
    data = visit_counts(tables)
    lines = ["## Visits by dyad, direction and decade", "",
             "Generated from the visits table. Only visits that took place are counted; each visit is counted "
             "once, in the decade of its earliest possible day. The dyad is North Korea and the partner: the "
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
