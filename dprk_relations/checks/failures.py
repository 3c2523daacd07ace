"""Failed column checks -> Problems: the one place that turns (rule, table,
column, row) into a located, worded error for the pandera engine."""

from __future__ import annotations

import pandas as pd

from dprk_relations.model.package import Table
from dprk_relations.checks.columns import first_lines
from dprk_relations.checks.common import schema_problem


class Failures:
    """Collects the failing rows of one table's checks as Problems."""

    def __init__(self, table: Table, frame: pd.DataFrame, lines):
        self.table, self.frame, self.lines = table, frame, lines
        self.problems: list = []
        self._firsts: dict = {}

    def _first(self, name: str, keys: pd.Series) -> dict:
        if name not in self._firsts:
            self._firsts[name] = first_lines(keys, self.lines)
        return self._firsts[name]

    def add(self, rule: str, column: str | None, rows, fk=None) -> None:
        table, frame, lines = self.table, self.frame, self.lines
        for idx in rows:
            idx = int(idx)
            line = lines[idx]
            if rule == "foreign-key":
                value = ",".join(str(frame.at[idx, k]) for k in fk.fields)
                self.problems.append(schema_problem("foreign-key", table, None, line, value, fk=fk))
            elif rule == "primary-key":
                pk = list(table.primary_key)
                keys = frame[pk].astype(str).agg(",".join, axis=1) if len(pk) > 1 else frame[pk[0]]
                first = self._first("primary key", keys)
                self.problems.append(schema_problem("primary-key", table, None, line, keys.iat[idx],
                                                    first_line=first[keys.iat[idx]]))
            elif rule == "unique":
                value = frame.at[idx, column]
                first = self._first(column, frame[column].dropna())
                self.problems.append(schema_problem("unique", table, table.field(column), line, value,
                                                    first_line=first[value]))
            else:
                value = None if rule == "required" else frame.at[idx, column]
                self.problems.append(schema_problem(rule, table, table.field(column), line, value))
