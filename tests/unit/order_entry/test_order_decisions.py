"""The order desk's decisions that need account or link state, given that state: holding limits, the link a
cross-registry order crosses, the quota and reservation an amend adds. No servers."""

from __future__ import annotations

from fractions import Fraction

import pytest

from services.order_entry import order_decisions as decide
from services.order_entry.errors import ApiError
from shared.ledger.entries.quota import quota_reservation, record_fields
from shared.messages.vocabulary import Phase, Side
from shared.quota import QuotaTerms
from shared.reference import Instrument, LinkageTerms

BJEA = Instrument(id="BJEA", registry="CN-BJ", currency="CNY",
                  unit={"origin": "CN-BJ", "type": "ALLOWANCE", "vintage": 2025}, tick=1, lot=1, min_quantity=1,
                  reference_price=5000, phase=Phase.CONTINUOUS)


def link(**overrides) -> LinkageTerms:
    return LinkageTerms(**({"id": "L", "kind": "UNILATERAL", "from_registry": "CN-BJ", "to_registry": "KR"}
                           | overrides))


def refused_code(call) -> str:
    with pytest.raises(ApiError) as refused:
        call()
    return refused.value.code


def test_a_buy_may_reach_the_holding_limit_but_not_pass_it() -> None:
    decide.check_holding_limit(40, held=60, limit=100)
    assert refused_code(lambda: decide.check_holding_limit(41, held=60, limit=100)) == "HOLDING_LIMIT_EXCEEDED"


def test_a_foreign_buyer_crosses_the_first_link_that_admits_the_units() -> None:
    links = [link(id="closed", status="SUSPENDED"), link(id="open")]
    assert decide.crossing_link("KR/buyer", BJEA, Side.BUY, links, now=0).id == "open"


def test_a_cross_registry_order_no_link_admits_is_refused_with_each_links_reason() -> None:
    links = [link(id="closed", status="SUSPENDED"), link(id="other", from_registry="KR", to_registry="JP")]
    with pytest.raises(ApiError) as refused:
        decide.crossing_link("KR/buyer", BJEA, Side.BUY, links, now=0)
    assert refused.value.code == "CROSS_REGISTRY_NOT_ELIGIBLE"
    assert refused.value.details["links"] == {"closed": "LINK_SUSPENDED"}
    assert refused_code(lambda: decide.crossing_link("KR/seller", BJEA, Side.SELL, [link()], now=0)) == (
        "CROSS_REGISTRY_NOT_ELIGIBLE")


def quota(quantity: int, period: int = 2025, terms: QuotaTerms = QuotaTerms(Fraction(1), period_cap=1000)):
    return quota_reservation(terms=terms, link_id="L", from_registry="CN-BJ", to_registry="KR", account="KR/buyer",
                             period=period, quantity=quantity, obligation=0)


def test_an_amend_to_more_tonnes_takes_the_quota_they_add_on_the_counters_it_holds() -> None:
    record = record_fields(quota(10))
    assert decide.quota_increase(record, quota(25), order_id="o", old_leaves=10, new_leaves=25) == 15


def test_an_amend_after_the_links_quota_terms_changed_is_refused() -> None:
    record = record_fields(quota(10))
    for changed in (quota(25, period=2026), quota(25, terms=QuotaTerms(Fraction(1), account_cap=5))):
        assert refused_code(lambda: decide.quota_increase(record, changed, order_id="o", old_leaves=10,
                                                          new_leaves=25)) == "QUOTA_TERMS_CHANGED"


def test_a_reservation_increase_moves_available_to_reserved_and_adds_to_the_record() -> None:
    entry = decide.reservation_increase("o", "CN-BJ/a", "CNY", 500, now=7, entry_id="amend:o:1",
                                        quota=(quota(5), 5))
    assert entry.entry_id == "amend:o:1" and entry.time == 7
    assert sum(posting.delta for posting in entry.postings) == 0
    assert {record.field for record in entry.records} == {"remaining", "reserved", "counter_held"}
    assert entry.counters
