"""Property: on any broken copy of the sample of the real tables (sample.py), the two engines (frictionless,
the reference, and the pandera translation, each on its own) report the same
set of (file, line, column, rule) errors."""

import os

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import Copy, copy_package
from dprk_relations import validate

TABLES = ["actors", "sources", "events", "visits", "aid", "sanctions", "statements", "citations", "exchange_rates"]
TRICKY = ["", " ", "x", "X", "1", "-1", "0", "1.5", "1,000", "$5", "1e3", "NaN", "sNaN", "Infinity", "١٢", "+7",
          "2018-03-25", "2018-3-5", "25/03/2018", "2018-02-30", "43184", "1961-1964", "1961/1964", "../1960-05",
          "true", "false", "True", "N", "chn", "prk", "CHN", "kim-jong-un", "kim jong un", "zz-unknown",
          "state", "State", "secret", "high", "SUR", "unspecified", "=1+1", "@x", "a\"b", "é", "\u2019", "99999999999999"]
EXAMPLES = int(os.environ.get("DPRK_EQUIVALENCE_EXAMPLES", "25"))


def _key(report):
    return {(p.file, p.line, p.column, p.rule) for p in report.problems if p.severity == "error"}


# No shrinking: an example costs seconds, and the drawn values are printed anyway.
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_both_engines_report_the_same_errors(tmp_path_factory, sample, data):
    root = copy_package(sample, tmp_path_factory.mktemp("equiv"))
    pkg = Copy(root)
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        table = data.draw(st.sampled_from(TABLES), label="table")
        rows = pkg.rows(f"raw/{table}.csv")
        line = data.draw(st.integers(2, len(rows)), label="line")
        column = data.draw(st.sampled_from(rows[0]), label="column")
        value = data.draw(st.one_of(st.sampled_from(TRICKY), st.text(max_size=12),
                                    st.sampled_from([r[rows[0].index(column)] for r in rows[1:]])), label="value")
        pkg.set_cell(f"raw/{table}.csv", line, column, value)
    reference = _key(validate(root, engine="frictionless"))
    assert _key(validate(root, engine="pandera")) == reference
