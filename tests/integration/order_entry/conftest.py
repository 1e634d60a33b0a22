"""Order entry over the session's Redis and broker: the app through httpx's ASGI transport, and an `Exchange`
builder that sets a market up through the operator API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from services.bridge import service as bridge_service
from services.order_entry.app import create_app
from services.order_entry.principals import PrincipalStore, Role
from shared.kafka import create_topics, make_producer
from shared.runtime import ServiceContext
from shared.settings import Settings
from tests.polling import eventually


def settings_for(redis_url: str, kafka_bootstrap: str) -> Settings:
    kafka_host, kafka_port = kafka_bootstrap.split(":")
    redis_host, redis_port = redis_url.removeprefix("redis://").split("/")[0].split(":")
    return Settings(kafka_host=kafka_host, kafka_port=int(kafka_port), redis_host=redis_host,
                    redis_port=int(redis_port))


@pytest.fixture(scope="session")
async def oe_context(redis_url: str, kafka_bootstrap: str) -> AsyncIterator[ServiceContext]:
    settings = settings_for(redis_url, kafka_bootstrap)
    await create_topics(settings)
    ctx = ServiceContext(name="order_entry", instance="order-entry-test", settings=settings,
                         redis=aioredis.Redis.from_url(redis_url), producer=make_producer(settings, client_id="oe-test", service="order_entry"))
    await ctx.producer.start()
    yield ctx
    await ctx.producer.stop()
    await ctx.redis.aclose()


@pytest.fixture(scope="module")
async def bridge(oe_context: ServiceContext, redis_url: str) -> AsyncIterator[None]:
    """The bridge service, executing the link commands order entry publishes on ``bridge.commands`` (per module:
    its timer would settle the parked requests of other suites)."""
    ctx = ServiceContext(name="bridge", instance="bridge-oe-test", settings=oe_context.settings,
                         redis=aioredis.Redis.from_url(redis_url),
                         producer=make_producer(oe_context.settings, client_id="bridge-oe-test", service="bridge"))
    await ctx.producer.start()
    running = asyncio.create_task(bridge_service.main(ctx, group_id="bridge-oe-test"))
    yield
    ctx.stop.set()
    await running
    await ctx.producer.stop()
    await ctx.redis.aclose()


@pytest.fixture
async def api(oe_context: ServiceContext, redis_client) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a fresh app on a flushed Redis (``redis_client`` flushes it), its lifespan (the outbox relay)
    running."""
    app = create_app(oe_context, stream_events=False)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://order-entry") as client:
        yield client


def instrument_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "id": "BJEA-2025", "registry": "CN-BJ", "currency": "CNY",
        "unit": {"origin": "CN-BJ", "type": "ALLOWANCE", "vintage": 2025},
        "tick": 1, "lot": 10, "min_quantity": 10, "max_quantity": 100_000, "band": "1/10",
        "reference_price": 5000, "fees": {"maker_bps": 10, "taker_bps": 20, "min_fee": 100}, "phase": "CONTINUOUS",
    }
    return body | overrides


@dataclass
class Exchange:
    """A market set up through the operator API: CN-BJ and KR registries, one instrument, keys and accounts."""

    client: httpx.AsyncClient
    operator: dict[str, str]

    async def admin(self, path: str, body: dict[str, Any]) -> httpx.Response:
        response = await self.client.post(f"/v1/admin/{path}", json=body, headers=self.operator)
        assert response.status_code < 300, response.text
        return response

    async def trader(self, principal: str, *accounts: str, cny: str = "0", units: int = 0,
                     **key: Any) -> dict[str, str]:
        created = await self.admin("keys", {"principal": principal, "role": "trader", **key})
        for account in accounts:
            await self.admin("accounts", {"id": account, "holder": principal, "principals": [principal]})
            if cny != "0":
                await self.admin("deposits", {"account": account, "currency": "CNY", "amount": cny})
            if units:
                await self.admin("issuances", {"account": account, "origin": account.split("/")[0],
                                               "unit_type": "ALLOWANCE", "vintage": 2025, "quantity": units})
        return {"X-API-Key": created.json()["api_key"]}

    async def key(self, principal: str, role: str) -> dict[str, str]:
        created = await self.admin("keys", {"principal": principal, "role": role})
        return {"X-API-Key": created.json()["api_key"]}

    async def link_command(self, link_id: str, action: str) -> dict[str, Any]:
        """Send ``suspend``, ``resume`` or ``terminate`` (202) and wait for the bridge's result (needs ``bridge``)."""
        accepted = await self.client.post(f"/v1/admin/links/{link_id}/{action}", headers=self.operator)
        assert accepted.status_code == 202, accepted.text

        async def result() -> dict[str, Any] | None:
            answer = await self.client.get(accepted.json()["result"], headers=self.operator)
            return answer.json() if answer.status_code == 200 else None

        return await eventually(result, what=f"the bridge to {action} {link_id}")

    async def balances(self, account: str) -> dict[str, Any]:
        response = await self.client.get(f"/v1/accounts/{account}", headers=self.operator)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
async def exchange(api: httpx.AsyncClient, oe_context: ServiceContext) -> Exchange:
    return await open_exchange(api, oe_context)


async def open_exchange(api: httpx.AsyncClient, oe_context: ServiceContext) -> Exchange:
    """An operator key, the CN-BJ and KR registries and the BJEA-2025 instrument, through `api`."""
    _, key = await PrincipalStore(oe_context.redis).create_key(principal="ops", role=Role.OPERATOR)
    market = Exchange(api, {"X-API-Key": key})
    await market.admin("registries", {"id": "CN-BJ", "name": "Beijing", "currency": "CNY"})
    await market.admin("registries", {"id": "KR", "name": "Korea", "currency": "KRW"})
    await market.admin("instruments", instrument_body())
    return market


def order_body(**overrides: Any) -> dict[str, Any]:
    body = {"instrument": "BJEA-2025", "account": "CN-BJ/alpha", "side": "BUY", "type": "LIMIT",
            "time_in_force": "GTC", "price": "50.00", "quantity": 100, "client_order_id": "c-1"}
    return body | overrides
