"""The net-flow ledger per registry pair, and adjustments that balance across registries."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from services.bridge.rules import (
    Approved,
    Conversion,
    Levies,
    UnitClass,
    UnitType,
    bilateral,
    evaluate,
    net_flows,
    pair_balance,
)

from .builders import JAN_1_2025, request, usage

SEOUL_BEIJING = {
    (rule.from_registry, rule.to_registry): rule
    for rule in bilateral(
        link_id="BJ-KR",
        registries=("CN-BJ", "KR"),
        effective_from=JAN_1_2025,
        conversion=Conversion(exchange_rate=Fraction(2)),
        levies=Levies(share_of_proceeds=Fraction(5, 100), cancellation_share=Fraction(2, 100)),
        corresponding_adjustment=True,
    )
}


def transfer(direction: tuple[str, str], quantity: int, trade_id: str) -> Approved:
    seller, buyer = direction
    decision = evaluate(
        request(
            trade_id=trade_id,
            seller_account=f"{seller}/s",
            buyer_account=f"{buyer}/b",
            unit_class=UnitClass(seller, UnitType.ALLOWANCE, 2025),
            quantity=quantity,
        ),
        SEOUL_BEIJING[direction],
        usage(),
    )
    assert isinstance(decision, Approved)
    return decision


def test_net_flows_sum_each_direction_and_give_each_bridge_accounts_balance() -> None:
    approvals = [
        transfer(("CN-BJ", "KR"), 1_000, "T1"),
        transfer(("CN-BJ", "KR"), 500, "T2"),
        transfer(("KR", "CN-BJ"), 300, "T3"),
    ]
    flows = net_flows(approvals)
    to_seoul = flows[("CN-BJ", "KR")]
    assert (to_seoul.transfers, to_seoul.consumed, to_seoul.gross, to_seoul.delivered) == (2, 1_500, 3_000, 2_790)
    assert (to_seoul.levy, to_seoul.cancelled) == (150, 60)
    balance = pair_balance(flows, "CN-BJ", "KR")
    # Beijing units out, minus those arriving back from Seoul: 300 Korean units count as 150 at the reverse 1/2
    assert balance.net_out_of_a == 1_500 - 150
    assert balance.net_out_of_b == 300 - 3_000


def test_a_pair_without_flows_balances_at_zero() -> None:
    balance = pair_balance({}, "JP-TYO", "JP-STM")
    assert (balance.net_out_of_a, balance.net_out_of_b) == (0, 0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([("CN-BJ", "KR"), ("KR", "CN-BJ")]), st.integers(min_value=10, max_value=100_000)),
        max_size=20,
    )
)
def test_corresponding_adjustments_sum_to_zero_in_every_period(transfers: list) -> None:
    approvals = [transfer(direction, quantity, f"T{i}") for i, (direction, quantity) in enumerate(transfers)]
    totals: Counter[int] = Counter()
    for approved in approvals:
        for adjustment in approved.adjustments:
            totals[adjustment.period] += adjustment.quantity
    assert all(total == 0 for total in totals.values())
    flows = net_flows(approvals)
    assert sum(flow.delivered + flow.levy + flow.cancelled for flow in flows.values()) == sum(
        flow.gross for flow in flows.values()
    )
