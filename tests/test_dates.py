from datetime import date

import pandas as pd
import pytest

from dprk_relations.model import dates


@pytest.mark.parametrize("text,lo,hi,precision", [
    ("2018-03-25", date(2018, 3, 25), date(2018, 3, 25), "day"),
    ("1960-05", date(1960, 5, 1), date(1960, 5, 31), "month"),
    ("1960-02", date(1960, 2, 1), date(1960, 2, 29), "month"),
    ("1960", date(1960, 1, 1), date(1960, 12, 31), "year"),
    ("1961/1964", date(1961, 1, 1), date(1964, 12, 31), "year"),
    ("2018-03-25/2018-03-28", date(2018, 3, 25), date(2018, 3, 28), "day"),
    ("2011-12/2018-03", date(2011, 12, 1), date(2018, 3, 31), "month"),
    ("1960?", date(1960, 1, 1), date(1960, 12, 31), "year"),
    ("2011-12~", date(2011, 12, 1), date(2011, 12, 31), "month"),
    ("196X", date(1960, 1, 1), date(1969, 12, 31), "decade"),
    ("19XX", date(1900, 1, 1), date(1999, 12, 31), "century"),
    ("../1960-05", None, date(1960, 5, 31), "month"),
    ("/1960-05", None, date(1960, 5, 31), "month"),
    ("2018-03-25/..", date(2018, 3, 25), None, "day"),
    ("1960-05/1961", date(1960, 5, 1), date(1961, 12, 31), "year"),
])
def test_parse(text, lo, hi, precision):
    span = dates.parse(text)
    assert (span.earliest, span.latest, span.precision) == (lo, hi, precision)


def test_qualifiers():
    assert dates.parse("1960?").uncertain and not dates.parse("1960?").approximate
    assert dates.parse("1960~").approximate and not dates.parse("1960~").uncertain
    assert dates.parse("1960%").uncertain and dates.parse("1960%").approximate
    assert dates.parse("1961/1964").interval and not dates.parse("1961").interval


@pytest.mark.parametrize("text", ["", "1961-1964", "25/03/2018", "2018-13", "2018-02-30", "2018-3-25", " 2018",
                                  "2018/2019/2020", "../..", "/", "2018-21", "196X-05", "0000", "43184", "18"])
def test_invalid(text):
    with pytest.raises(dates.EDTFError):
        dates.parse(text)


def test_end_before_start_is_an_order_error():
    with pytest.raises(dates.OrderError):
        dates.parse("2018-03-28/2018-03-25")
    dates.parse("2018-03/2018-03-31")  # same month, contained: fine


def test_derive_works_on_columns_with_missing_and_invalid_values():
    got = dates.derive(pd.Series(["1960", None, "bad", "1960", "2018-03-25/2018-03-28"]))
    assert got["min"].isna().tolist() == [False, True, True, False, False]
    assert got["min"].dropna().dt.date.tolist() == [date(1960, 1, 1), date(1960, 1, 1), date(2018, 3, 25)]
    assert got["max"].dropna().dt.date.tolist() == [date(1960, 12, 31), date(1960, 12, 31), date(2018, 3, 28)]
    assert got["precision"].dropna().tolist() == ["year", "year", "day"]


@pytest.mark.parametrize("text,lo,hi,precision", [
    # once, on one day the sources do not give: the precision is what is known of that day
    ("[2018-03-08..2018-03-25]", date(2018, 3, 8), date(2018, 3, 25), "month"),
    ("[2012-11..2018-03]", date(2012, 11, 1), date(2018, 3, 31), "decade"),
    ("[1980-12..1981-12]", date(1980, 12, 1), date(1981, 12, 31), "decade"),
    ("[1969-12..1970-01]", date(1969, 12, 1), date(1970, 1, 31), "century"),
    ("[1960-05..1960-06-07]", date(1960, 5, 1), date(1960, 6, 7), "year"),
    ("[2018-03-25..2018-03-25]", date(2018, 3, 25), date(2018, 3, 25), "day"),
    ("[..1957-11-13]", None, date(1957, 11, 13), "day"),
])
def test_one_of_a_set_is_once_within_not_lasting(text, lo, hi, precision):
    span = dates.parse(text)
    assert (span.earliest, span.latest, span.precision) == (lo, hi, precision)
    assert span.one_of and not span.interval and span.form == "one-of"


def test_the_three_forms_are_kept_apart():
    assert [dates.parse(t).form for t in ("2018-03-25", "2018-03-08/2018-03-25", "[2018-03-08..2018-03-25]")] == \
        ["single", "interval", "one-of"]
    got = dates.derive(pd.Series(["2018-03-08/2018-03-25", "[2018-03-08..2018-03-25]", None]))
    assert got["min"].iloc[0] == got["min"].iloc[1] and got["max"].iloc[0] == got["max"].iloc[1]
    assert got["form"].tolist()[:2] == ["interval", "one-of"] and pd.isna(got["form"].iloc[2])
    assert got["precision"].tolist()[:2] == ["day", "month"]


@pytest.mark.parametrize("text", ["[2018-03-08..2018-03-25", "2018-03-08..2018-03-25]", "[..]", "[2018,2019]",
                                  "[2018-03..2018..2019]", "[2018-13..2019]"])
def test_invalid_one_of_a_set(text):
    with pytest.raises(dates.EDTFError):
        dates.parse(text)


def test_a_one_of_range_that_ends_before_it_starts_is_an_order_error():
    with pytest.raises(dates.OrderError):
        dates.parse("[2018-03..2018-02]")
