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

    def cast(self, name: str) -> Cast:
        got = self._casts.get(name)
        if got is None:
            got = cast_field(self.table.field(name), self.frame[name], self.table.missing_values)
            self._casts[name] = got
        return got

    def typed_frame(self) -> pd.DataFrame:
        return pd.DataFrame({f.name: self.cast(f.name).typed for f in self.table.fields})
