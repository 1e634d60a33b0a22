"""The purchase limit per account and period: a buy may not take the period's purchases past it."""

from services.order_entry.purchase_limits import check_purchase


def test_a_buy_within_the_limit_passes_and_one_past_it_is_refused():
    assert check_purchase(limit=1000, purchased=600, quantity=400) is None
    assert check_purchase(limit=1000, purchased=600, quantity=401) == "PURCHASE_LIMIT_EXCEEDED"


def test_an_account_without_a_limit_may_buy_any_quantity():
    assert check_purchase(limit=None, purchased=10**9, quantity=10**9) is None
