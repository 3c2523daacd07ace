"""The rules no Table Schema can state, each broken once in a copy of the sample of the real data."""

import pytest

from dprk_relations import validate


def errors(pkg, sources=None):
    return {(p.file, p.line, p.column, p.rule) for p in validate(pkg.root, sources=sources).errors}


def test_host_must_be_a_state(pkg):
    line = pkg.find("raw/visits.csv", "visit_id", "2018-03-yang-jiechi-seoul")
    pkg.set_cell("raw/visits.csv", line, "host_id", "xi-jinping")
    assert ("raw/visits.csv", line, "host_id", "actor-type") in errors(pkg)


def test_an_envoys_visit_names_its_principal_whatever_the_host_called_it(pkg):
    line = pkg.find("raw/visits.csv", "visit_id", "2018-03-yang-jiechi-seoul")
    pkg.set_cell("raw/visits.csv", line, "envoy_of_id", "")
    # A host may call an envoy's visit official or secret: the principal is then still named (2.0.0).
    other = pkg.find("raw/visits.csv", "visit_id", "2019-06-xi-jinping-dprk-state-visit")
    pkg.set_cell("raw/visits.csv", other, "envoy_of_id", "kim-jong-un")
    got = errors(pkg)
    assert ("raw/visits.csv", line, "envoy_of_id", "required-if") in got
    assert not [g for g in got if g[1] == other]


def test_amount_needs_a_currency_and_a_currency_an_amount(pkg):
    line = pkg.find("raw/aid.csv", "aid_id", "1960-soviet-debt-forgiveness-900m-rubles")
    pkg.set_cell("raw/aid.csv", line, "currency", "")
    pkg.set_cell("raw/aid.csv", line, "currency_basis", "")
    refused = pkg.find("raw/aid.csv", "aid_id", "1960-soviet-refusal-of-further-aid")
    pkg.set_cell("raw/aid.csv", refused, "currency", "USD")
    got = errors(pkg)
    assert ("raw/aid.csv", line, "currency", "requires") in got
    assert ("raw/aid.csv", refused, "amount", "requires") in got


def test_ruble_basis_is_required_for_rubles_only(pkg):
    line = pkg.find("raw/aid.csv", "aid_id", "1960-chinese-assistance-420m-rubles")
    pkg.set_cell("raw/aid.csv", line, "currency_basis", "")
    rate = pkg.find("raw/exchange_rates.csv", "rate_id", "sur-pre-1961-official")
    pkg.set_cell("raw/exchange_rates.csv", rate, "currency", "USD")
    got = errors(pkg)
    assert ("raw/aid.csv", line, "currency_basis", "required-if") in got
    assert ("raw/exchange_rates.csv", rate, "currency_basis", "forbidden-unless") in got


def test_donor_and_recipient_differ(pkg):
    line = pkg.find("raw/aid.csv", "aid_id", "1960-chinese-assistance-420m-rubles")
    pkg.set_cell("raw/aid.csv", line, "donor_id", "prk")
    assert ("raw/aid.csv", line, "recipient_id", "distinct") in errors(pkg)


def test_statement_must_lie_within_its_visit(pkg):
    line = pkg.find("raw/statements.csv", "statement_id", "2018-03-kim-jong-un-reiterates-denuclearization")
    pkg.set_cell("raw/statements.csv", line, "date", "2018-04-02")
    assert ("raw/statements.csv", line, "date", "within-visit") in errors(pkg)


def test_statement_within_visit_accepts_the_visit_days(pkg):
    line = pkg.find("raw/statements.csv", "statement_id", "2018-03-kim-jong-un-reiterates-denuclearization")
    pkg.set_cell("raw/statements.csv", line, "date", "2018-03-26")
    assert not any(r == "within-visit" for *_, r in errors(pkg))


def test_citation_cites_exactly_one_record(pkg):
    line = pkg.find("raw/citations.csv", "citation_id", "2018-03-yang-jiechi-seoul-1")
    pkg.set_cell("raw/citations.csv", line, "event_id", "1960-china-famine")
    none = pkg.find("raw/citations.csv", "citation_id", "1960-china-famine-1")
    pkg.set_cell("raw/citations.csv", none, "event_id", "")
    got = errors(pkg)
    assert ("raw/citations.csv", line, "visit_id", "citation-target") in got
    assert ("raw/citations.csv", none, "visit_id", "citation-target") in got


def test_supports_names_fields_of_the_cited_table(pkg):
    line = pkg.find("raw/citations.csv", "citation_id", "2018-03-yang-jiechi-seoul-2")
    pkg.set_cell("raw/citations.csv", line, "supports", "date amount")
    assert ("raw/citations.csv", line, "supports", "supports") in errors(pkg)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t"])
def test_formula_like_text_is_refused_in_any_text_field(pkg, start):
    line = pkg.find("raw/actors.csv", "actor_id", "kim-il-sung")
    pkg.set_cell("raw/actors.csv", line, "role", start + "1+1")
    assert ("raw/actors.csv", line, "role", "formula") in errors(pkg)


def test_stray_spaces_in_a_key(pkg):
    line = pkg.find("raw/actors.csv", "actor_id", "usa")
    pkg.set_cell("raw/actors.csv", line, "cow_code", " 2")
    got = errors(pkg)
    assert ("raw/actors.csv", line, "cow_code", "whitespace") in got


def test_non_canonical_spellings_of_valid_values(pkg):
    line = pkg.find("raw/aid.csv", "aid_id", "1960-chinese-assistance-420m-rubles")
    pkg.set_cell("raw/aid.csv", line, "year_start", "+1961")
    rate = pkg.find("raw/exchange_rates.csv", "rate_id", "sur-post-1961-official")
    pkg.set_cell("raw/exchange_rates.csv", rate, "valid_from", "1961-1-1")
    got = errors(pkg)
    assert ("raw/aid.csv", line, "year_start", "canonical-value") in got
    assert ("raw/exchange_rates.csv", rate, "valid_from", "canonical-value") in got


def test_person_belongs_to_a_state_not_to_a_person(pkg):
    line = pkg.find("raw/actors.csv", "actor_id", "yang-jiechi")
    pkg.set_cell("raw/actors.csv", line, "state_id", "xi-jinping")
    state = pkg.find("raw/actors.csv", "actor_id", "chn")
    pkg.set_cell("raw/actors.csv", state, "state_id", "chn")
    got = errors(pkg)
    assert ("raw/actors.csv", line, "state_id", "actor-type") in got
    assert ("raw/actors.csv", state, "state_id", "distinct") in got


def test_codes_only_for_states(pkg):
    line = pkg.find("raw/actors.csv", "actor_id", "kim-jong-un")
    pkg.set_cell("raw/actors.csv", line, "cow_code", "731")
    assert ("raw/actors.csv", line, "cow_code", "forbidden-unless") in errors(pkg)


def test_unknown_rule_in_a_schema_is_a_descriptor_error(pkg):
    import json

    path = pkg.path("schemas/events.json")
    schema = json.loads(path.read_text())
    schema["x-rules"].append({"rule": "no-such-rule"})
    path.write_text(json.dumps(schema))
    report = validate(pkg.root)
    assert any(p.rule == "descriptor" and "no-such-rule" in p.message for p in report.errors)
