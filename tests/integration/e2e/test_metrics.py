"""What operators watch: every service's Prometheus metrics, scraped from its metrics port while one
cross-border order crosses and settles, and `carbonlink stack status` saying where each service serves them."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from carbonlink.cli import app
from tests.integration.e2e.market import LinkedMarket
from tests.polling import eventually

pytestmark = pytest.mark.integration

SERVICES = ("order_entry", "matching-0", "settlement", "bridge", "oversight")


def scrape(url: str) -> Counter:
    """Every sample of the endpoint, by name and labels (``Counter``: a sample not there yet reads 0)."""
    text = httpx.get(url, timeout=5).text
    return Counter({(sample.name, frozenset(sample.labels.items())): sample.value
                    for family in text_string_to_metric_families(text) for sample in family.samples})


def moved(before: Counter, after: Counter, name: str, **labels: str) -> float:
    """How much the samples called ``name`` that carry ``labels`` grew, summed over their other labels."""
    def total(samples: Counter) -> float:
        return sum(value for (n, ls), value in samples.items() if n == name and set(labels.items()) <= ls)

    return total(after) - total(before)


def lag_partitions(samples: Counter) -> set[str]:
    return {dict(ls)["topic"] for n, ls in samples if n == "carbonlink_consumer_lag_records"}


async def test_one_crossing_cross_border_order_moves_every_services_counters(market: LinkedMarket,
                                                                             running_stack) -> None:
    settings = running_stack.settings
    urls = {component: settings.metrics_url(component) for component in SERVICES}
    before = {component: scrape(url) for component, url in urls.items()}
    await market.open(exchange_rate="1")
    seller, buyer = f"{market.bj}/metrics-seller", f"{market.kr}/metrics-buyer"
    sells = await market.trader(seller, units=100)
    buys = await market.trader(buyer, cny="10000.00")

    rest = await market.order(sells, account=seller, side="SELL", quantity=100)
    await market.until_status(rest["order_id"], "NEW")
    await market.order(buys, account=buyer, side="BUY", quantity=100)
    unknown = await market.client.post("/v1/orders", headers=buys, json={
        "instrument": "NO-SUCH-MARKET", "account": buyer, "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "price": "50.00", "quantity": 10, "client_order_id": "metrics-unknown"})
    assert unknown.json()["code"] == "INSTRUMENT_NOT_FOUND"
    [settled] = await market.until_settlements(buyer, 1)
    assert settled["type"] == "TradeSettled"

    async def scraped_after_oversight_judged_the_settlement() -> dict[str, Counter] | None:
        after = {component: scrape(url) for component, url in urls.items()}
        oversight = moved(before["oversight"], after["oversight"], "carbonlink_oversight_events_total",
                          topic="settlement.events")
        return after if oversight >= 1 else None

    after = await eventually(scraped_after_oversight_judged_the_settlement, what="oversight to judge the settlement")

    def grew(component: str, name: str, **labels: str) -> float:
        return moved(before[component], after[component], name, **labels)

    assert grew("order_entry", "carbonlink_orders_total", outcome="accepted") == 2
    assert grew("order_entry", "carbonlink_orders_total", outcome="rejected", code="INSTRUMENT_NOT_FOUND") == 1
    assert grew("order_entry", "carbonlink_order_accept_seconds_count") == 2
    assert grew("matching-0", "carbonlink_matching_orders_total", outcome="accepted") == 2
    assert grew("matching-0", "carbonlink_matching_trades_total") == 1
    assert grew("matching-0", "carbonlink_matching_in_out_seconds_count") >= 2
    assert grew("settlement", "carbonlink_settlement_trades_total", outcome="held_for_bridge") == 1
    assert grew("settlement", "carbonlink_settlement_trades_total", outcome="settled") == 1
    assert grew("settlement", "carbonlink_settlement_cross_registry_trade_to_settled_seconds_count") == 1
    assert grew("bridge", "carbonlink_bridge_decisions_total", outcome="approved") == 1
    assert grew("oversight", "carbonlink_oversight_events_total", topic="orders.events") >= 3

    assert lag_partitions(after["matching-0"]) == {"orders.commands"}
    assert lag_partitions(after["settlement"]) == {"orders.events", "bridge.results"}
    assert lag_partitions(after["bridge"]) == {"bridge.requests", "bridge.commands"}
    assert lag_partitions(after["oversight"]) == {"orders.events", "market.data", "settlement.events", "bridge.audit"}


def test_stack_status_says_where_each_service_serves_its_metrics(running_stack) -> None:
    settings = running_stack.settings
    rows = {row.name: row for row in running_stack.status()}
    assert {name: row.metrics for name, row in rows.items()} == {
        "redis": "", "broker": "", **{component: settings.metrics_url(component) for component in SERVICES}}

    env = {f"CARBONLINK_{name.upper()}": str(value) for name, value in settings.model_dump(mode="json").items()}
    printed = CliRunner().invoke(app, ["stack", "status"], env={**env, "COLUMNS": "300"})
    assert printed.exit_code == 0, printed.output
    for component in SERVICES:
        assert settings.metrics_url(component) in printed.output
