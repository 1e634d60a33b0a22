"""A linked market built through the running stack's HTTP API: a Beijing-style registry (CNY) with an allowance
instrument, a Seoul-style registry (KRW) whose accounts buy it, a link between them, trader keys and accounts.

The stack is shared by the whole session, so every market gets its own registry, instrument and principal ids
(``CN-BJ-{uid}``, ``KR-{uid}``): links of other tests never compete for the same direction, and levy accounts,
net flows and quota counters start from zero. The instrument is quoted in CNY, so Seoul buyers hold CNY: the
ledger carries any declared currency in any registry's accounts (deposited through that registry's cash gateway),
and the cash leg of a cross-border trade settles in the instrument's currency.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
import redis
import redis.asyncio as aioredis

from carbonlink.audit.publish import publish_audit
from carbonlink.audit.reconciliation import reconciliation_check
from carbonlink.audit.trades import run_audit
from services.order_entry.principals import PrincipalStore, Role
from shared.fees import FeeSchedule
from shared.money import to_minor
from tests.polling import eventually

PRICE = "50.00"
FEES = FeeSchedule(maker_bps=10, taker_bps=20, min_fee=100)


@dataclass
class LinkedMarket:
    client: httpx.AsyncClient
    operator: dict[str, str]
    redis_url: str
    uid: str = field(default_factory=lambda: secrets.token_hex(3))

    @property
    def bj(self) -> str:
        return f"CN-BJ-{self.uid}"

    @property
    def kr(self) -> str:
        return f"KR-{self.uid}"

    @property
    def instrument(self) -> str:
        return f"BJEA-{self.uid}"

    @property
    def unit(self) -> str:
        return f"U:{self.bj}:ALLOWANCE:2025"

    @property
    def link_id(self) -> str:
        return f"BJ-KR-{self.uid}"

    async def admin(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.client.post(f"/v1/admin/{path}", json=body or {}, headers=self.operator)
        assert response.status_code < 300, response.text
        return response.json()

    async def open(self, **link_terms: Any) -> None:
        """Both registries, the Beijing instrument in continuous trading, and the link with ``link_terms``."""
        await self.admin("registries", {"id": self.bj, "name": "Beijing", "currency": "CNY"})
        await self.admin("registries", {"id": self.kr, "name": "Seoul", "currency": "KRW"})
        await self.admin("instruments", {
            "id": self.instrument, "registry": self.bj, "currency": "CNY",
            "unit": {"origin": self.bj, "type": "ALLOWANCE", "vintage": 2025}, "tick": 1, "lot": 10,
            "min_quantity": 10, "band": "1/10", "reference_price": 5_000,
            "fees": {"maker_bps": FEES.maker_bps, "taker_bps": FEES.taker_bps, "min_fee": FEES.min_fee}})
        await self.admin(f"instruments/{self.instrument}/phase", {"phase": "CONTINUOUS"})
        await self.admin("links", {"id": self.link_id, "kind": "UNILATERAL", "from_registry": self.bj,
                                   "to_registry": self.kr, "unit_types": ["ALLOWANCE"], **link_terms})

    async def trader(self, account: str, *, cny: str | None = None, units: int | None = None) -> dict[str, str]:
        """A trader key owning ``{registry}/{name}``, funded with CNY and/or issued Beijing units."""
        principal = f"{account.replace('/', '-')}-desk"
        created = await self.admin("keys", {"principal": principal, "role": "trader"})
        await self.admin("accounts", {"id": account, "holder": principal, "principals": [principal]})
        if cny is not None:
            await self.admin("deposits", {"account": account, "currency": "CNY", "amount": cny})
        if units is not None:
            await self.admin("issuances", {"account": account, "origin": self.bj, "unit_type": "ALLOWANCE",
                                           "vintage": 2025, "quantity": units})
        return {"X-API-Key": created["api_key"]}

    async def order(self, key: dict[str, str], *, account: str, side: str, quantity: int,
                    price: str = PRICE) -> dict[str, Any]:
        body = {"instrument": self.instrument, "account": account, "side": side, "type": "LIMIT",
                "time_in_force": "GTC", "price": price, "quantity": quantity,
                "client_order_id": f"c-{secrets.token_hex(4)}"}
        response = await self.client.post("/v1/orders", json=body, headers=key)
        assert response.status_code == 201, response.text
        return response.json()

    async def cross(self, price: str, *, quantity: int = 10) -> tuple[str, str, dict[str, str], dict[str, str]]:
        """A Beijing seller (1,000 units) rests an ask at ``price`` and a buyer (CNY 100,000) takes it: the seller's
        and the buyer's accounts and trader keys."""
        seller, buyer = f"{self.bj}/acme-steel", f"{self.bj}/beijing-heat"
        sells, buys = await self.trader(seller, units=1_000), await self.trader(buyer, cny="100000.00")
        ask = await self.order(sells, account=seller, side="SELL", quantity=quantity, price=price)
        await self.until_status(ask["order_id"], "NEW")
        await self.order(buys, account=buyer, side="BUY", quantity=quantity, price=price)
        return seller, buyer, sells, buys

    async def link_command(self, action: str) -> dict[str, Any]:
        """Send ``suspend``, ``resume`` or ``terminate`` for the link (202) and wait for the bridge's result."""
        accepted = await self.client.post(f"/v1/admin/links/{self.link_id}/{action}", headers=self.operator)
        assert accepted.status_code == 202, accepted.text

        async def result() -> dict[str, Any] | None:
            answer = await self.client.get(accepted.json()["result"], headers=self.operator)
            return answer.json() if answer.status_code == 200 else None

        return await eventually(result, what=f"the bridge to {action} {self.link_id}")

    async def order_status(self, order_id: str) -> str:
        response = await self.client.get(f"/v1/orders/{order_id}", headers=self.operator)
        assert response.status_code == 200, response.text
        return response.json()["status"]

    async def until_status(self, order_id: str, status: str) -> None:
        async def reached() -> bool:
            return await self.order_status(order_id) == status

        await eventually(reached, what=f"order {order_id} {status}")

    async def settlements(self, account: str) -> list[dict[str, Any]]:
        response = await self.client.get(f"/v1/accounts/{account}/settlements", headers=self.operator)
        assert response.status_code == 200, response.text
        return response.json()

    async def until_settlements(self, account: str, count: int) -> list[dict[str, Any]]:
        """The account's settlement records, newest first, once there are ``count`` of them."""
        async def enough() -> list[dict[str, Any]] | None:
            found = await self.settlements(account)
            return found if len(found) >= count else None

        return await eventually(enough, what=f"{count} settlement(s) of {account}")

    async def balances(self, account: str) -> dict[str, tuple[int, int]]:
        """{asset: (available, reserved)} in minor units / tonnes, read through the API."""
        response = await self.client.get(f"/v1/accounts/{account}", headers=self.operator)
        assert response.status_code == 200, response.text
        view = response.json()
        out = {f"C:{ccy}": (to_minor(line["available"], ccy), to_minor(line["reserved"], ccy))
               for ccy, line in view["cash"].items()}
        return out | {line["asset"]: (line["available"], line["reserved"]) for line in view["holdings"]}

    def audit(self, *, pending_timeout_s: float, record: bool = False) -> Any:
        """``carbonlink audit``: ledger, trades and the bridge reconciliation over the stack's Redis; with
        ``record`` the report also becomes the latest audit the operator console shows."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            report = run_audit(client, pending_timeout_s=pending_timeout_s, bridge_checks=[reconciliation_check])
            if record:
                publish_audit(client, report)
            return report
        finally:
            client.close()


async def operator_key(redis_url: str, principal: str) -> dict[str, str]:
    client = aioredis.Redis.from_url(redis_url)
    try:
        _, key = await PrincipalStore(client).create_key(principal=principal, role=Role.OPERATOR)
    finally:
        await client.aclose()
    return {"X-API-Key": key}
