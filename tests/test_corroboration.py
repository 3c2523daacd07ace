"""The derived source_count and source_ids of each record equal what a plain
Python reading of the citations gives: distinct sources, in code point order."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dprk_relations.stages.derive import _corroboration

KEYS = ["", "v-1", "v-2", "v-10", "v-é", "v-平壤"]
SOURCES = ["", "s-a", "s-b", "s-B", "s-ü", "s-10", "s-9"]


def _reference(citations: pd.DataFrame, keys: pd.Series):
    counts, ids = [], []
    for key in keys:
        found = sorted({s for k, s in zip(citations["visit_id"], citations["source_id"]) if k == key and k != ""})
        counts.append(len(found))
        ids.append(" ".join(found) if found else None)
    return counts, ids


@settings(max_examples=150, deadline=None)
@given(pairs=st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(SOURCES)), max_size=40),
       keys=st.lists(st.sampled_from(KEYS[1:]), unique=True, max_size=5))
def test_sources_per_record_are_distinct_and_sorted(pairs, keys):
    citations = pd.DataFrame({"visit_id": pd.array([k for k, _ in pairs], dtype="string[pyarrow]"),
                              "source_id": pd.array([s for _, s in pairs], dtype="string[pyarrow]")})
    key_series = pd.Series(pd.array(keys, dtype="string[pyarrow]"))
    count, ids = _corroboration(citations, "visit_id", key_series)
    want_counts, want_ids = _reference(citations, keys)
    assert count.tolist() == want_counts
    assert [None if pd.isna(v) else v for v in ids.tolist()] == want_ids
    assert str(count.dtype) == "Int64"
