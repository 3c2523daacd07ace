"""A raw table together with its columns parsed by type, each parsed once."""

from __future__ import annotations

import pandas as pd

from dprk_relations.model.types import Cast, cast_field
from dprk_relations.model.csvfile import RawTable
from dprk_relations.model.package import Table


class Typed:
    def __init__(self, raw: RawTable):
        self.raw = raw
        self.table: Table = raw.table
        self.frame: pd.DataFrame = raw.frame
        self.lines = raw.lines
        self._casts: dict[str, Cast] = {}
        self._cells: dict[str, list] = {}

    def cells(self, name: str) -> list:
        """The column's raw strings as a list: rules that walk rows read cells
        from it, as a pandas lookup per cell costs a hundred times more."""
        got = self._cells.get(name)
        if got is None:
            got = self._cells[name] = self.frame[name].tolist()
        return got

    def cast(self, name: str) -> Cast:
        got = self._casts.get(name)
        if got is None:
            got = cast_field(self.table.field(name), self.frame[name], self.table.missing_values)
            self._casts[name] = got
        return got

    def typed_frame(self) -> pd.DataFrame:
        return pd.DataFrame({f.name: self.cast(f.name).typed for f in self.table.fields})
