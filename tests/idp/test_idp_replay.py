"""The transcript matcher itself: a replay that cannot fail would prove nothing."""

from __future__ import annotations

from tests.idp.idp_replay import MISSING, lookup, mismatch, substitute


def test_fragment_with_a_wrong_value_mismatches() -> None:
    assert mismatch({"name": {"givenName": "A"}}, {"name": {"givenName": "B"}})


def test_fragment_with_a_missing_key_mismatches() -> None:
    assert mismatch({"active": False}, {"userName": "x"}) == "$.active: missing"


def test_fragment_matches_a_superset_with_keys_in_any_case() -> None:
    assert mismatch({"username": "x", "name": {}}, {"userName": "x", "name": {"a": 1}}) is None


def test_each_listed_element_must_match_some_element() -> None:
    members = [{"value": "1", "display": "a"}, {"value": "2"}]
    assert mismatch([{"value": "2"}, {"value": "1"}], members) is None
    assert mismatch([{"value": "3"}], members)


def test_lookup_walks_list_indexes_and_reports_missing_paths() -> None:
    document = {"Resources": [{"id": "u1"}]}
    assert lookup(document, "Resources.0.id") == "u1"
    assert lookup(document, "Resources.1.id") is MISSING
    assert lookup(document, "Resources.0.name") is MISSING


def test_placeholders_are_replaced_in_keys_and_nested_values() -> None:
    value = {"path": 'members[value eq "${id}"]', "value": [{"value": "${id}"}], "n": 1}
    assert substitute(value, {"id": "42"}) == {
        "path": 'members[value eq "42"]',
        "value": [{"value": "42"}],
        "n": 1,
    }


def test_lookup_reads_keys_that_hold_dots() -> None:
    urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    document = {urn: {"department": "x"}}
    assert lookup(document, f"{urn}.department") == "x"
    assert lookup(document, f"{urn}.manager") is MISSING
