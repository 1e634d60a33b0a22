"""The bridge's handler: judge one delivery request, execute or refuse it, record and announce the decision.

Business time: a request is first judged at its ``matched_at`` (the business time settlement stamped on the
trade), and a request deferred to the next settlement window is judged again at ``retry_at``, the window's
opening. No wall clock enters a decision, so a replayed stream gives the same decisions; the wall clock only
tells the timer when a window has come (``run_due``).

Idempotent: the decision record ``{L}:bridge:decision:{trade}`` is created by the delivery's own ledger entry
(or written once on refusal). A request whose decision exists is answered again from that record without
moving anything; a crash between deciding and auditing is repaired on that replay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson
import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from services.bridge import audit_log, deferrals, rules
from services.bridge import bridge_keys as keys
from services.bridge.agreements import all_rules
from services.bridge.delivery_entry import InvalidCashLeg, checks_json, decision_record, delivery_entry, entry_id
from services.bridge.usage import DeliveryState, UsageReader
from shared import reference_store
from shared.kafka import publish
from shared.ledger import LedgerPort, PostResult
from shared.ledger.views import text_map
from shared.messages.post_trade import DeliveryDecided, DeliveryRequested
from shared.reference import Instrument, LinkageTerms
from shared.topics import BRIDGE_RESULTS


#: A refusal the ledger made that no rule check names (a configuration or contract problem).
LEDGER_REFUSAL = int(rules.ReasonCode.LEDGER_REFUSED)

_WRITE_ONCE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
"""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one evaluation ended in: APPROVED, REFUSED (with the code) or DEFERRED (with the retry time)."""

    trade_id: str
    outcome: str
    reason_code: int
    retry_at: int | None = None
    replayed: bool = False


class Bridge:
    """Judges cross-registry deliveries against what ``usage`` reads, executes them on ``ledger`` and announces
    decisions through ``producer`` (the ports: ``RedisUsageReader`` and ``AsyncLedger`` in the service)."""

    def __init__(self, client: aioredis.Redis, producer: AIOKafkaProducer, *, ledger: LedgerPort,
                 usage: UsageReader) -> None:
        self._redis = client
        self._producer = producer
        self._ledger = ledger
        self._usage = usage
        self._write_once = client.register_script(_WRITE_ONCE)

    async def handle(self, request: DeliveryRequested) -> Outcome:
        """A request from settlement: judged at the trade's business time. One parked until its window (settlement
        sends pending requests again after a broker restart) stays parked: the timer judges it when it is due."""
        if await deferrals.is_parked(self._redis, request.trade_id):
            return Outcome(request.trade_id, "DEFERRED", int(rules.ReasonCode.OUTSIDE_SETTLEMENT_WINDOW), replayed=True)
        return await self.decide(request, time=request.matched_at)

    async def run_due(self, *, now: int) -> list[Outcome]:
        """Judge again every parked request whose window has opened by ``now``, at its window's opening."""
        outcomes = []
        for request, retry_at in await deferrals.due(self._redis, now=now):
            outcome = await self.decide(request, time=retry_at)
            if outcome.outcome != "DEFERRED":  # deferred again: already parked under its new retry time
                await deferrals.unpark(self._redis, request.trade_id)
            outcomes.append(outcome)
        return outcomes

    async def decide(self, request: DeliveryRequested, *, time: int) -> Outcome:
        """Evaluate at business ``time`` and act. Raises ValueError for a request that names no valid delivery."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.hgetall(keys.decision_key(request.trade_id))
        pipe.hvals(reference_store.LINKS)
        pipe.hget(reference_store.INSTRUMENTS, request.instrument)
        existing, links, instrument = await pipe.execute()
        if existing:
            return await self._replay(request, text_map(existing))

        transfer = rules.TransferRequest(
            trade_id=request.trade_id, seller_account=request.sell_account, buyer_account=request.buy_account,
            unit_class=unit_class_of(request.unit_asset), quantity=request.quantity, matched_at=request.matched_at,
            time=time,
        )
        agreement = rules.find_agreement(
            all_rules(LinkageTerms.model_validate_json(raw) for raw in links), from_registry=transfer.from_registry,
            to_registry=transfer.to_registry, unit_class=transfer.unit_class, time=time,
        )
        period = rules.calendar_year(time)
        state = await self._usage.read_state(request=transfer, agreement=agreement, period=period)
        decision = rules.evaluate(transfer, agreement, state.usage)

        if isinstance(decision, rules.Deferred):
            await deferrals.park(self._redis, request, retry_at=decision.retry_at)
            await audit_log.record(
                self._redis, self._producer, trade_id=request.trade_id, link_id=decision.link_id,
                outcome="DEFERRED", reason_code=int(decision.code), time=time, checks=checks_json(decision.checks),
                fields={"retry_at": str(decision.retry_at)},
            )
            return Outcome(request.trade_id, "DEFERRED", int(decision.code), retry_at=decision.retry_at)
        if isinstance(decision, rules.Refused):
            return await self._refuse(request, time=time, link_id=decision.link_id, code=int(decision.code),
                                      reason=decision.name, message=decision.message,
                                      checks=checks_json(decision.checks))
        fees_registry = Instrument.model_validate_json(instrument).registry if instrument else decision.from_registry
        return await self._execute(request, decision, state, fees_registry=fees_registry, time=time)

    async def _execute(
        self, request: DeliveryRequested, approved: rules.Approved, state: DeliveryState, *, fees_registry: str,
        time: int,
    ) -> Outcome:
        """Post the delivery; the instrument's registry collects the fees (the seller's when it is unknown)."""
        checks = checks_json(approved.checks)
        try:
            entry = delivery_entry(approved, request=request, state=state, fees_registry=fees_registry, time=time)
        except InvalidCashLeg as err:
            return await self._refuse(request, time=time, link_id=approved.link_id, code=LEDGER_REFUSAL,
                                      reason="CASH_LEG_INVALID", message=str(err),
                                      checks=checks + [_ledger_check("CASH_LEG_INVALID", str(err))])
        result = await self._ledger.post(entry)
        if result.ok:
            if result.duplicate:
                return await self._replay(request, text_map(await self._redis.hgetall(keys.decision_key(
                    request.trade_id))))
            return await self._announce(request, decision_record(entry), checks=checks)
        code, reason, message = ledger_refusal(result)
        return await self._refuse(request, time=time, link_id=approved.link_id, code=code, reason=reason,
                                  message=message, checks=checks + [_ledger_check(reason, message, code)])

    async def _refuse(self, request: DeliveryRequested, *, time: int, link_id: str | None, code: int, reason: str,
                      message: str, checks: list[dict[str, object]]) -> Outcome:
        fields = {"outcome": "REFUSED", "reason_code": str(code), "reason": reason, "message": message,
                  "link_id": link_id or "", "time": str(time), "checks": orjson.dumps(checks).decode(),
                  "audited": "0"}
        key = keys.decision_key(request.trade_id)
        written = await self._write_once(keys=[key], args=[x for pair in fields.items() for x in pair])
        record = text_map(await self._redis.hgetall(key))
        if not written:
            return await self._replay(request, record)
        return await self._announce(request, record, checks=checks)

    async def _replay(self, request: DeliveryRequested, record: Mapping[str, str]) -> Outcome:
        outcome = await self._announce(request, record, checks=orjson.loads(record.get("checks", "[]")))
        return Outcome(outcome.trade_id, outcome.outcome, outcome.reason_code, replayed=True)

    async def _announce(self, request: DeliveryRequested, record: Mapping[str, str], *,
                        checks: list[dict[str, object]]) -> Outcome:
        """Audit the decision (once) and publish it (again on every replay, with the same event id)."""
        code, time, link_id = int(record["reason_code"]), int(record["time"]), record.get("link_id") or None
        if record.get("audited") != "1":
            quantities = {k: v for k, v in record.items() if k not in ("checks", "audited", "remaining", "outcome",
                                                                       "reason_code", "time", "link_id")}
            await audit_log.record(self._redis, self._producer, trade_id=request.trade_id, link_id=link_id,
                                   outcome=record["outcome"], reason_code=code, time=time, checks=checks,
                                   fields=quantities, decision_key=keys.decision_key(request.trade_id))
        decided = DeliveryDecided(
            trade_id=request.trade_id, instrument=request.instrument, outcome=record["outcome"], link_id=link_id,
            reason_code=code, reason=record["reason"], message=record["message"],
            sent_quantity=int(record.get("sent", 0)), delivered_quantity=int(record.get("delivered", 0)),
            delivered_asset=record.get("delivered_asset", ""), levy_quantity=int(record.get("levy", 0)),
            cancelled_quantity=int(record.get("cancelled", 0)), remainder_quantity=int(record.get("remainder", 0)),
            entry_id=entry_id(request.trade_id) if record["outcome"] == "APPROVED" else "",
        )
        await publish(self._producer, BRIDGE_RESULTS.name, request.instrument, decided,
                      event_id=f"bridge:{request.trade_id}:decided", occurred_at=time,
                      correlation_id=request.trade_id)
        return Outcome(request.trade_id, record["outcome"], code)


def unit_class_of(asset: str) -> rules.UnitClass:
    """``U:CN-BJ:ALLOWANCE:2025`` → the rule engine's unit class (ValueError when it is not one)."""
    prefix, origin, unit_type, vintage = asset.split(":")
    if prefix != "U" or not origin:
        raise ValueError(f"{asset!r} is not a unit class")
    return rules.UnitClass(origin, rules.UnitType(unit_type), int(vintage))


def ledger_refusal(result: PostResult) -> tuple[int, str, str]:
    """A refused delivery entry as (code, name, message): a cap's re-check keeps the rule engine's code."""
    if result.code and result.code.isdigit():
        code = rules.ReasonCode(int(result.code))
        return int(code), code.name, code.message
    if result.code == "HOLDING_LIMIT_EXCEEDED":
        code = rules.ReasonCode.HOLDING_LIMIT_EXCEEDED
        return int(code), code.name, code.message
    return LEDGER_REFUSAL, f"LEDGER_{result.code}", result.message or "the ledger refused the delivery"


def _ledger_check(reason: str, message: str, code: int = LEDGER_REFUSAL) -> dict[str, object]:
    return {"check": "LEDGER_ENTRY", "outcome": "FAILED", "detail": f"{reason}: {message}", "code": code}

