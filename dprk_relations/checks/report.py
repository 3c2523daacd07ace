"""The merged validation report: a plain model with a text and a JSON view."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from dprk_relations.model.problems import RULES, Problem


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def form_only(self) -> bool:
        """True when every error is one that `fmt` repairs."""
        errs = self.errors
        return bool(errs) and all(RULES[p.rule].form_only for p in errs)

    def add(self, problems) -> None:
        self.problems.extend(problems)

    def finish(self) -> "Report":
        """Drop duplicates (both engines may see the same fault) and sort by place."""
        seen, unique = set(), []
        for p in self.problems:
            if p.key + (p.severity,) not in seen:
                seen.add(p.key + (p.severity,))
                unique.append(p)
        unique.sort(key=lambda p: (p.file or "", p.line or 0, p.column or "", p.rule))
        self.problems = unique
        return self

    def to_dict(self) -> dict:
        return {
            "valid": self.valid,
            "errors": len(self.errors),
            "stats": self.stats,
            "notices": list(self.notices),
            "problems": [p.to_dict() for p in self.problems],
            "fmt_fixes_all": self.form_only,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"

    def to_text(self) -> str:
        out = []
        for p in self.problems:
            place = p.file or "<package>"
            if p.line:
                place += f":{p.line}"
            if p.column:
                place += f" [{p.column}]"
            out.append(f"{place}: {p.severity} [{p.rule}] {p.message}")
            out.append(f"    fix: {p.fix}")
        for note in self.notices:
            out.append(f"note: {note}")
        tables = self.stats.get("tables")
        rows = self.stats.get("rows")
        scope = f" ({tables} tables, {rows} rows)" if tables is not None else ""
        if self.valid:
            out.append(f"valid{scope}")
        else:
            files = len({p.file for p in self.errors})
            n = len(self.errors)
            out.append(f"invalid{scope}: {n} error{'s' if n != 1 else ''} in "
                       f"{files} file{'s' if files != 1 else ''}")
            if self.form_only:
                out.append("every error is one of form: run `dprk-relations fmt` to fix them all")
        return "\n".join(out) + "\n"
