"""Issue 8 in a real browser: the public pages update live and paint fast; the console acts on the exchange only
with an operator key, and what it does shows on the public pages."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from services.order_entry.web.fx import FX_KEY
from tests.integration.e2e.market import LinkedMarket, eventually

pytestmark = pytest.mark.integration

#: page → (path, what shows once its data is rendered)
PAGES = {"overview": ("/ui/", "#markets tbody tr"), "linkages": ("/ui/links", "#links tbody tr"),
         "reports": ("/ui/reports", "#reports tbody tr"), "console": ("/ui/console", "#health tbody tr")}


async def first_paint_ms(tab) -> float:
    return await tab.evaluate("""() => {
        const paint = performance.getEntriesByName('first-contentful-paint')[0]
                   || performance.getEntriesByName('first-paint')[0];
        return paint ? paint.startTime : Infinity;
    }""")


async def no_stack_trace(tab) -> None:
    text = await tab.inner_text("body")
    assert "Traceback" not in text and 'File "' not in text


async def with_fx(redis_url: str, rates: dict[str, str]):
    client = aioredis.Redis.from_url(redis_url)
    previous = await client.hgetall(FX_KEY)
    await client.delete(FX_KEY)
    await client.hset(FX_KEY, mapping=rates)
    return client, previous


async def restore_fx(client, previous: dict) -> None:
    await client.delete(FX_KEY)
    if previous:
        await client.hset(FX_KEY, mapping=previous)
    await client.aclose()


async def test_the_overview_shows_a_new_trade_price_without_a_reload(tab, market: LinkedMarket, base_url: str) -> None:
    await market.open()
    fx_client, previous = await with_fx(market.redis_url, {"reporting_currency": "KRW", "CNY": "190"})
    try:
        seller, buyer = f"{market.bj}/acme-steel", f"{market.kr}/seoul-power"
        sells = await market.trader(seller, units=1_000)
        buys = await market.trader(buyer, cny="100000.00")
        await tab.goto(base_url + "/ui/")
        row = tab.locator(f'#markets tr[data-instrument="{market.instrument}"]')
        await row.wait_for()
        assert await row.get_attribute("data-last") == ""
        await tab.wait_for_function("document.getElementById('live').dataset.state === 'live'")
        await tab.evaluate("window.__sameDocument = true")

        ask = await market.order(sells, account=seller, side="SELL", quantity=100, price="50.40")
        await market.until_status(ask["order_id"], "NEW")
        await market.order(buys, account=buyer, side="BUY", quantity=100, price="50.60")

        await tab.wait_for_selector(f'#markets tr[data-instrument="{market.instrument}"][data-last="50.40"]')
        assert await tab.evaluate("window.__sameDocument") is True
        assert int(await row.get_attribute("data-updates")) >= 1
        cells = await row.locator("td").all_inner_texts()
        assert cells[5] == "9576 KRW"  # 50.40 CNY at 190 KRW per CNY
        assert cells[6] == "+0.40" and cells[7] == "+0.80%"
        assert cells[8] == "100"
        await no_stack_trace(tab)
    finally:
        await restore_fx(fx_client, previous)


async def test_a_link_suspended_from_the_console_shows_suspended_on_the_public_page(
        tab, browser_context, market: LinkedMarket, base_url: str) -> None:
    await market.open(suspension={"in_flight": "SETTLE", "mass_cancel_resting": False})
    public = await browser_context.new_page()
    try:
        await public.goto(base_url + "/ui/links")
        await public.wait_for_selector(f'#links tr[data-link="{market.link_id}"][data-status="ACTIVE"]')

        await tab.goto(base_url + "/ui/console")
        await tab.fill("#key", market.operator["X-API-Key"])
        await tab.click("#key-form button[type=submit]")
        row = tab.locator(f'#console-links tr[data-link="{market.link_id}"]')
        await row.locator("button.suspend").click()
        detail = await tab.locator("#confirm-detail").inner_text()
        assert "still settle" in detail and "left in the book" in detail
        await tab.click("#confirm-ok")

        await public.wait_for_selector(f'#links tr[data-link="{market.link_id}"][data-status="SUSPENDED"]')
        await tab.wait_for_selector(f'#console-links tr[data-link="{market.link_id}"][data-status="SUSPENDED"]')
        assert '"status": "SUSPENDED"' in await tab.locator("#result").inner_text()
        await no_stack_trace(public)
    finally:
        await public.close()


async def test_the_console_refuses_operator_actions_without_an_operator_key(
        tab, market: LinkedMarket, base_url: str) -> None:
    await market.open()
    await tab.goto(base_url + "/ui/console")
    row = tab.locator(f'#instruments tr[data-instrument="{market.instrument}"]')
    await row.locator("button", has_text="Halt").click()
    await tab.click("#confirm-ok")
    await tab.wait_for_selector("#banner.show")
    assert "operator key" in await tab.inner_text("#banner")
    assert await tab.inner_text("#audit-state") == "needs an operator key"

    phase = f"/v1/admin/instruments/{market.instrument}/phase"
    unauthenticated = await market.client.post(phase, json={"phase": "HALTED"})
    trader = await market.trader(f"{market.bj}/acme-steel")
    forbidden = await market.client.post(phase, json={"phase": "HALTED"}, headers=trader)
    audit = await market.client.get("/v1/admin/audit", headers=trader)
    assert (unauthenticated.status_code, unauthenticated.json()["code"]) == (401, "UNAUTHENTICATED")
    assert (forbidden.status_code, audit.status_code) == (403, 403)
    summary = (await market.client.get("/v1/markets/summary")).json()
    assert next(line for line in summary if line["id"] == market.instrument)["phase"] == "CONTINUOUS"


async def test_the_console_halts_an_instrument_and_shows_health_and_the_latest_audit(
        tab, market: LinkedMarket, base_url: str) -> None:
    await market.open()
    await asyncio.to_thread(market.audit, pending_timeout_s=30.0, record=True)
    await tab.goto(base_url + "/ui/console")
    await tab.fill("#key", market.operator["X-API-Key"])
    await tab.click("#key-form button[type=submit]")
    await tab.wait_for_selector("#audit-ok")
    await tab.wait_for_selector('#health tr[data-component="matching"]')
    row = tab.locator(f'#instruments tr[data-instrument="{market.instrument}"]')
    await row.locator("button", has_text="Halt").click()
    assert "HALTED" in await tab.inner_text("#confirm-title")
    await tab.click("#confirm-ok")
    await tab.wait_for_selector(f'#instruments tr[data-instrument="{market.instrument}"] .badge.HALTED')


async def test_every_page_paints_and_is_saved_as_a_screenshot_with_its_first_paint_time(
        tab, market: LinkedMarket, running_stack, base_url: str, artifacts: Path) -> None:
    await market.open()
    seller, buyer = f"{market.bj}/acme-steel", f"{market.kr}/seoul-power"
    sells, buys = await market.trader(seller, units=1_000), await market.trader(buyer, cny="100000.00")
    for price, quantity in (("50.20", 50), ("50.80", 30), ("51.50", 60)):
        await market.order(sells, account=seller, side="SELL", quantity=quantity, price=price)
    for price, quantity in (("49.50", 40), ("48.90", 80)):
        await market.order(buys, account=buyer, side="BUY", quantity=quantity, price=price)
    last = await market.order(buys, account=buyer, side="BUY", quantity=20, price="50.20")
    await market.until_status(last["order_id"], "FILLED")
    run = running_stack.settings.var_dir / "reports" / "pilot-cities-test"
    run.mkdir(parents=True, exist_ok=True)
    (run / "report.html").write_text("<!doctype html><title>Drill</title><h1>Drill report: pilot-cities</h1>")
    (run / "summary.json").write_text(json.dumps({"audit_ok": True, "trades": 12}))

    pages = {**PAGES, "market": (f"/ui/markets/{market.instrument}", "#trades tbody tr")}
    paints = {}
    for name, (path, rendered) in pages.items():
        await tab.goto(base_url + path)
        await tab.wait_for_selector(rendered)
        paints[name] = await first_paint_ms(tab)
        await tab.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
        await no_stack_trace(tab)
    # The 1 s first-paint target is a speed target: recorded here as an artifact, not asserted by a timed test.
    (artifacts / "first_paint_ms.json").write_text(json.dumps({name: round(ms) for name, ms in paints.items()}))
    assert all(ms < float("inf") for ms in paints.values()), paints
    assert all((artifacts / f"{name}.png").stat().st_size > 0 for name in pages)

    await tab.goto(base_url + "/ui/reports")
    await tab.click("text=pilot-cities-test")
    assert await tab.inner_text("h1") == "Drill report: pilot-cities"


async def test_pages_show_api_errors_as_messages_and_never_serve_outside_the_reports(
        tab, market: LinkedMarket, base_url: str) -> None:
    await tab.goto(base_url + "/ui/markets/NO-SUCH-MARKET")
    await tab.wait_for_selector("#banner.show")
    assert "no instrument NO-SUCH-MARKET" in await tab.inner_text("#banner")
    await no_stack_trace(tab)
    for path in ("/reports/var/../../pids/redis.pid", "/reports/var/%2e%2e/%2e%2e/etc/passwd", "/reports/nowhere/x"):
        response = await market.client.get(path)
        assert response.status_code == 404 and response.json()["code"] in ("REPORT_NOT_FOUND", "NOT_FOUND")


async def test_a_band_corridor_breach_shows_on_the_linkages_page_and_in_the_console(
        tab, market: LinkedMarket, base_url: str) -> None:
    await market.open(corridor={"currency": "CNY", "floor": 2000, "ceiling": 5200, "action": "BAND"})
    await market.cross("53.00")

    async def overridden() -> bool:
        listed = await market.client.get("/v1/admin/band-overrides", headers=market.operator)
        return any(o["instrument"] == market.instrument for o in listed.json())

    await eventually(overridden, what="the corridor's band override")
    await tab.goto(base_url + "/ui/links")
    reading = tab.locator(f'#corridors tr[data-link="{market.link_id}"][data-instrument="{market.instrument}"]')
    await reading.wait_for()
    assert "BAND" in await reading.inner_text()

    await tab.goto(base_url + "/ui/console")
    await tab.fill("#key", market.operator["X-API-Key"])
    await tab.click("#key-form button[type=submit]")
    await tab.wait_for_selector('#alerts tr[data-code="CORRIDOR_BREACH"]')
    override = tab.locator(f'#band-overrides tr[data-instrument="{market.instrument}"]')
    await override.wait_for()
    assert "20.00" in await override.inner_text() and "52.00" in await override.inner_text()
    await no_stack_trace(tab)


async def test_an_account_whose_holding_crosses_its_registrys_threshold_shows_in_the_published_positions(
        tab, market: LinkedMarket, base_url: str, artifacts: Path) -> None:
    await market.open()
    threshold = await market.client.put(f"/v1/admin/position-thresholds/{market.bj}", json={"tonnes": 150},
                                        headers=market.operator)
    assert threshold.status_code == 200, threshold.text
    await tab.goto(base_url + "/ui/links")
    await tab.wait_for_selector(f'#links tr[data-link="{market.link_id}"]')
    positions = tab.locator("#positions")
    await tab.evaluate("window.__sameDocument = true")

    seller, buyer, sells, buys = await market.cross("50.00", quantity=100)  # the buyer holds 100 t: below 150
    held_by = f'#positions tr[data-asset="{market.unit}"][data-account="{{}}"]'
    await tab.wait_for_selector(held_by.format(seller) + '[data-holding="900"]')  # published by the same settlement
    assert await tab.locator(held_by.format(buyer)).count() == 0

    ask = await market.order(sells, account=seller, side="SELL", quantity=100, price="50.00")
    await market.until_status(ask["order_id"], "NEW")
    await market.order(buys, account=buyer, side="BUY", quantity=100, price="50.00")  # 200 t: above 150

    async def published() -> bool:
        found = (await market.client.get("/v1/positions", params={"asset": market.unit})).json()
        return (buyer, 200) in [(p["account"], p["holding"]) for p in found]

    await eventually(published, what="oversight to publish the buyer's position")
    row = tab.locator(held_by.format(buyer) + '[data-holding="200"]')
    await row.wait_for()
    assert await tab.evaluate("window.__sameDocument") is True  # refreshed in place, not reloaded
    assert await row.locator("td").all_inner_texts() == [buyer, market.unit, "200"]
    mine = await positions.locator(f'tr[data-asset="{market.unit}"]').evaluate_all(
        "rows => rows.map(r => [r.dataset.account, r.dataset.holding])")
    assert mine == [[seller, "800"], [buyer, "200"]]
    await row.scroll_into_view_if_needed()
    await positions.screenshot(path=str(artifacts / "positions.png"))
    await no_stack_trace(tab)
