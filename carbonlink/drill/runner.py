"""The drill runner: applies a scenario through the operator API, runs its phases in business time with
every simulated trader as a concurrent API client, then audits the books and writes the report.

At each phase boundary it sets the linkages' states (activate with the phase's terms) and allocates the
period's units; a link that goes from active to suspended is suspended intraday instead, a quarter into
the phase's first trading day, while orders rest (the Ontario 2018 shock): the runner pauses the
traders, counts the foreign orders resting on the link's markets from their order states, suspends
with them mass-cancelled, and counts how many ended CANCELLED. At each phase end it records the bridge's
quota counters, the entities' verified emissions and surrenders. Each trading day opens every instrument (with the
previous close as reference price, so bands move day by day), steps through its sessions, and
closes it; late on a phase's last day the dealers unwind their inventory. Ctrl-C stops trading and still
audits and reports; so does an operator call that fails mid-run, after which ``run_drill`` raises
:class:`DrillAborted` (the report names the error).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
import secrets
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import redis
import redis.asyncio as aioredis

from carbonlink.drill import manipulators
from carbonlink.drill.agents import Agent, Floor, cancel_quietly
from carbonlink.drill.apply import SetupError, apply_scenario, call_api, next_periods
from carbonlink.drill.journal import DayRecord, DrillJournal, EntityOutcome, LinkEvent, TradeRecord
from carbonlink.drill.metrics import compute_metrics
from carbonlink.drill.phase_problems import phase_problems
from carbonlink.drill.progress import Progress
from carbonlink.drill.report import write_report
from carbonlink.drill.scenario import Phase, Scenario, load_scenario
from carbonlink.drill.schedule import DayWindow, LinkChange, link_changes, session_steps, timetable
from carbonlink.drill.setup_plan import (
    ApiCall, Member, allocation_calls, dealer_units, entity_chunk, link_terms, minor_price, roster, unit_asset,
)
from carbonlink.drill.traders import ComplianceTrader, MarketMaker, NoiseTrader, Quote, Venue
from services.bridge import bridge_keys
from services.order_entry.principals import PrincipalStore, Role
from carbonlink.audit.ledger import audit_ledger
from shared.market_keys import CANCELLED, OPEN_STATUSES
from shared.money import from_minor, minor_digits
from shared.settings import Settings

__all__ = ["DrillAborted", "DrillResult", "run_drill"]

FLATTEN_FROM = 0.6  # of a phase's last day: from here dealers only unwind their inventory
SUSPEND_AT = 0.25  # of a phase's first day: when a link the phase suspends is suspended
SETTLE_WAIT_S = 1.5  # after the close, before compliance: lets settlement book the last fills
ORDER_STATE_WAIT_S = 5.0  # at a suspension: how long the cancelled orders' states may take to show


@dataclass(frozen=True)
class DrillResult:
    out_dir: Path
    report: Path
    summary: dict[str, Any]
    audit_ok: bool | None
    interrupted: bool


class DrillAborted(SetupError):
    """An operator call failed mid-run: trading stopped, the books were audited and the report (naming
    the error) written; ``result`` is that run's result."""

    def __init__(self, cause: SetupError, result: DrillResult) -> None:
        super().__init__(cause.call, cause.status, cause.body)
        self.result = result

    def __str__(self) -> str:
        return f"{super().__str__()} (the drill stopped; report with the error: {self.result.report})"


def run_drill(settings: Settings, scenario_path: str | Path, *, speed: int | None = None, out_dir: str | Path,
              quiet: bool = False) -> DrillResult:
    """Run the drill of ``scenario_path`` against the stack of ``settings``; report into ``out_dir``.

    Raises ScenarioError (nothing created) for a malformed scenario, SetupError if the API refuses it,
    DrillAborted (after writing the report) if an operator call fails mid-run.
    """
    scenario = load_scenario(scenario_path)
    drill = _Drill(settings, scenario, speed or scenario.clock.speed, Path(out_dir), quiet)
    result = asyncio.run(drill.run())
    if drill.failure is not None:
        raise DrillAborted(drill.failure, result)
    return result


def _round_seconds(members: list[Member]) -> float:
    """Pause between a trader's decisions: longer with more traders, so the stack keeps up."""
    return max(0.4, 0.02 * len(members))


class _Drill:
    def __init__(self, settings: Settings, scenario: Scenario, speed: int, out: Path, quiet: bool) -> None:
        self.settings, self.scenario, self.speed, self.out, self.quiet = settings, scenario, speed, out, quiet
        self.members = roster(scenario, tag=f"d{secrets.token_hex(3)}-")
        self.journal = DrillJournal(scenario.name, speed)
        self.floor = Floor(round_seconds=_round_seconds(self.members))
        self.problems = {problem.phase: problem for problem in phase_problems(scenario)}
        self.closes: dict[str, int] = {i.id: minor_price(scenario, i.id) for i in scenario.instruments}
        self.agents: list[Agent] = []
        self.started = time.monotonic()
        self.window: DayWindow | None = None
        self.day_began = time.monotonic()
        self.failure: SetupError | None = None
        self.periods = next_periods()  # the bridge's compliance periods the drill runs in
        self.alerts: dict[str, dict[str, int]] = {}  # surveillance alerts raised per phase and code

    async def run(self) -> DrillResult:
        operator_key = await self._operator_key()
        headers = {"X-API-Key": operator_key}
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(base_url=self.settings.order_entry_url, headers=headers, timeout=15,
                                     limits=limits) as operator:
            keys = await apply_scenario(operator, self.scenario, members=self.members, periods=self.periods)
            self.journal.quota_at_start = await self._quota_counters()
            cheats = await manipulators.prepare(operator, self.scenario, self.settings.order_entry_url,
                                                tag=f"m{secrets.token_hex(3)}-")
            async with httpx.AsyncClient(base_url=self.settings.order_entry_url, timeout=15, limits=limits) as http:
                tasks = self._start(operator_key, keys, http)
                tasks += [asyncio.create_task(cheat.run(self._moment)) for cheat in cheats]
                progress = Progress(self, quiet=self.quiet)
                try:
                    with progress:
                        await self._timeline(operator, progress)
                except asyncio.CancelledError:
                    self.journal.interrupted = True
                    current = asyncio.current_task()
                    if current is not None:
                        current.uncancel()
                except Exception as err:  # noqa: BLE001 - any failure mid-run still audits and reports
                    self.journal.error = f"{type(err).__name__}: {err}"
                    self.failure = err if isinstance(err, SetupError) else SetupError(
                        ApiCall("", "(drill runner)", {}), 0, self.journal.error)
                finally:
                    self.floor.trading.clear()
                    for task in tasks:
                        await cancel_quietly(task)
                    with contextlib.suppress(Exception):
                        await self._mass_cancel(operator)
            self.alerts = await manipulators.alerts_per_phase(operator, self.journal.days)
        return await self._finish()

    def _moment(self) -> tuple[str, int, float] | None:
        """Where the drill is (phase, day within it, share of the day gone), for scheduled manipulators."""
        window = self.window
        if window is None:
            return None
        return window.phase.name, window.day - window.phase.start_day, (
            (time.monotonic() - self.day_began) / (window.end - window.start))

    async def _operator_key(self) -> str:
        client = aioredis.Redis.from_url(self.settings.redis_url)
        try:
            _, key = await PrincipalStore(client).create_key(principal="drill-operator", role=Role.OPERATOR)
        finally:
            await client.aclose()
        return key

    # --- traders -------------------------------------------------------------------------------------------

    def _venue(self, instrument_id: str, *, local_currency: str | None = None, credit: Fraction = Fraction(1)) -> Venue:
        i = self.scenario.instrument(instrument_id)
        to_local = Fraction(1)
        if local_currency is not None:
            to_local = (self.scenario.fx[i.currency] / self.scenario.fx[local_currency]
                        * Fraction(10) ** (minor_digits(local_currency) - minor_digits(i.currency)))
        return Venue(i.id, i.currency, i.tick, i.lot, i.min_qty, i.max_qty, i.fees.taker_bps, to_local, credit)

    def _start(self, operator_key: str, keys: dict[str, str], http: httpx.AsyncClient) -> list[asyncio.Task]:
        stream_url = self.settings.order_entry_url.replace("http", "ws", 1) + "/v1/stream"
        master = random.Random(self.scenario.seed)
        groups = {g.instrument: g for g in self.scenario.traders}
        hour_rounds = self.floor.round_seconds * self.speed / 3600
        for member in self.members:
            home = self._venue(member.instrument)
            group = groups[member.instrument]
            logic: ComplianceTrader | MarketMaker | NoiseTrader
            if member.entity is not None:
                logic = ComplianceTrader(baseline=member.entity.baseline, slope=member.entity.slope,
                                         value_scale=10 ** minor_digits(home.currency), position=member.entity.allocation,
                                         units=member.entity.allocation, chunk=entity_chunk(member.entity, home.lot))
            elif member.kind == "maker":
                spec = group.market_makers
                assert spec is not None
                units = dealer_units(self.scenario, member)
                logic = MarketMaker(spec.spread, spec.size, units, 0, units)
            else:
                spec_n = group.noise
                assert spec_n is not None
                units = dealer_units(self.scenario, member)
                logic = NoiseTrader(min(1.0, float(spec_n.rate) * hour_rounds), spec_n.size, units, 0, units)
            self.agents.append(Agent(member=member, logic=logic, home=home,
                                     home_asset=unit_asset(self.scenario, member.instrument),
                                     rng=random.Random(master.getrandbits(64)), http=http, stream_url=stream_url,
                                     api_key=keys[member.principal]))
        tasks = [asyncio.create_task(self._record(stream_url, operator_key))]
        for agent in self.agents:
            tasks += [asyncio.create_task(agent.listen()), asyncio.create_task(agent.trade(self.floor))]
        return tasks

    async def _record(self, stream_url: str, operator_key: str) -> None:
        """The operator's view of every execution: the journal's trades and the prices traders see."""
        import orjson
        import websockets

        seen: set[str] = set()
        while True:
            try:
                async with websockets.connect(stream_url, additional_headers={"X-API-Key": operator_key},
                                              max_queue=None) as socket:
                    async for raw in socket:
                        item = orjson.loads(raw)
                        data = item.get("data") or {}
                        if item.get("type") == "TradeExecuted" and data["trade_id"] not in seen:
                            seen.add(data["trade_id"])
                            self.journal.trades.append(TradeRecord(
                                data["trade_id"], data["instrument"], int(data["price"]), int(data["quantity"]),
                                int(item.get("at") or time.time() * 1000), data["buy_account"], data["sell_account"]))
                            quote = self.floor.quotes.get(data["instrument"], Quote(None, None))
                            self.floor.quotes[data["instrument"]] = Quote(int(data["price"]), quote.reference, quote.band)
                        elif item.get("type") == "TradeFailed":
                            self.journal.failed_trades[data["trade_id"]] = str(data.get("reason", ""))
            except asyncio.CancelledError:
                raise
            except Exception:
                await asyncio.sleep(0.5)

    # --- timeline ------------------------------------------------------------------------------------------

    async def _timeline(self, operator: httpx.AsyncClient, progress: Progress) -> None:
        previous: Phase | None = None
        for window in timetable(self.scenario, self.speed):
            suspensions: list[LinkChange] = []
            if window.first_of_phase:
                suspensions = await self._enter_phase(operator, previous, window.phase)
            await self._trading_day(operator, window, progress, suspensions)
            if window.last_of_phase:
                await self._end_phase(operator, window.phase)
            previous = window.phase

    async def _enter_phase(self, operator: httpx.AsyncClient, previous: Phase | None, phase: Phase) -> list[LinkChange]:
        """Apply the phase's link changes and allocations; returns the suspensions left for intraday."""
        now = int(time.time() * 1000)
        suspensions = []
        for change in link_changes(self.scenario, previous, phase):
            linkage, new = change.linkage, change.after.state
            if new in ("restricted", "full"):
                await call_api(operator, ApiCall("POST", "/v1/admin/links", link_terms(self.scenario, linkage, change.after)))
                action = "activate" if change.before.state not in ("restricted", "full") else "update"
            elif change.before.state in ("restricted", "full"):
                suspensions.append(change)
                continue
            elif previous is None:
                await call_api(operator, ApiCall("POST", f"/v1/admin/links/{linkage.id}/suspend", {}))
                action = "suspend"
            else:
                continue
            self.journal.link_events.append(LinkEvent(phase.name, linkage.id, action, new, now))
        if previous is not None:
            for call in allocation_calls(self.scenario, self.members, phase):
                await call_api(operator, call)
        await asyncio.gather(*(agent.sync() for agent in self.agents))
        # until an intraday suspension, the links of the phase before stay open to the traders
        self._open_foreign_venues(previous if suspensions and previous is not None else phase)
        return suspensions

    async def _suspend(self, operator: httpx.AsyncClient, change: LinkChange, phase: Phase) -> None:
        """Suspend a link while orders rest; count the foreign resting orders and those cancelled."""
        linkage = change.linkage
        registries = set(linkage.registries)
        self.floor.trading.clear()
        await asyncio.sleep(min(1.0, self.floor.round_seconds))  # let the rounds in flight post
        posted = [order_id for agent in self.agents if agent.member.registry in registries
                  for order_id in agent.foreign_orders]
        resting = [order_id for order_id, status in zip(posted, await self._order_states(operator, posted))
                   if status in OPEN_STATUSES]
        now = int(time.time() * 1000)
        await call_api(operator, ApiCall("POST", f"/v1/admin/links/{linkage.id}/suspend", {}))
        cancelled, final = None, None
        if linkage.suspension.resting_orders == "cancel":
            await self._cancel_foreign(operator, linkage.registries)
            deadline = time.monotonic() + ORDER_STATE_WAIT_S
            states = await self._order_states(operator, resting)
            while any(s in OPEN_STATUSES for s in states) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                states = await self._order_states(operator, resting)
            cancelled = sum(1 for s in states if s == CANCELLED)
            final = dict(Counter(str(s) for s in states))
        self.journal.link_events.append(LinkEvent(phase.name, linkage.id, "suspend", change.after.state, now,
                                                  resting_foreign=len(resting), cancelled=cancelled,
                                                  final_states=final))
        self._open_foreign_venues(phase)
        self.floor.trading.set()

    async def _order_states(self, operator: httpx.AsyncClient, order_ids: list[str]) -> list[str | None]:
        async def state(order_id: str) -> str | None:
            try:
                response = await operator.get(f"/v1/orders/{order_id}")
            except httpx.TransportError:
                return None
            return response.json().get("status") if response.status_code == 200 else None
        return list(await asyncio.gather(*(state(order_id) for order_id in order_ids)))

    async def _cancel_foreign(self, operator: httpx.AsyncClient, registries: list[str]) -> None:
        """Resting orders of accounts from the other linked registries on each member's instruments."""
        for instrument in self.scenario.instruments:
            if instrument.registry in registries:
                for foreign in registries:
                    if foreign != instrument.registry:
                        await call_api(operator, ApiCall("POST", "/v1/admin/mass-cancel",
                                                         {"instrument": instrument.id, "registry": foreign}))

    def _open_foreign_venues(self, phase: Phase) -> None:
        homes = {m.registry: m.instrument for m in self.members if m.entity is not None}
        currencies = {registry: self.scenario.instrument(i).currency for registry, i in homes.items()}
        abroad: dict[str, list[Venue]] = {}
        for arc in self.problems[phase.name].arcs:
            if arc.origin in homes and arc.destination in homes:
                abroad.setdefault(arc.destination, []).append(
                    self._venue(homes[arc.origin], local_currency=currencies[arc.destination], credit=arc.rate))
        self.floor.abroad = abroad

    async def _trading_day(self, operator: httpx.AsyncClient, window: DayWindow, progress: Progress,
                           suspensions: list[LinkChange]) -> None:
        self.window = window
        begin = self.day_began = time.monotonic()
        length = window.end - window.start
        steps = sorted((fraction, instrument.id, phase) for instrument in self.scenario.instruments
                       for fraction, phase in session_steps(instrument))
        if window.last_of_phase:
            steps.append((FLATTEN_FROM, "", "FLATTEN"))
        if suspensions:
            steps.append((SUSPEND_AT, "", "SUSPEND"))
        steps.sort()
        opened = set()
        wall_start = int(time.time() * 1000)
        self.floor.flatten = False
        for fraction, instrument_id, exchange_phase in steps:
            if exchange_phase == "FLATTEN":
                self.floor.flatten = True
                continue
            if exchange_phase == "SUSPEND":
                await asyncio.sleep(max(0.0, begin + fraction * length - time.monotonic()))
                for change in suspensions:
                    await self._suspend(operator, change, window.phase)
                continue
            delay = begin + fraction * length - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            body: dict[str, Any] = {"phase": exchange_phase}
            if instrument_id not in opened:
                opened.add(instrument_id)
                body["reference_price"] = self._open_reference(instrument_id)
            if exchange_phase == "CLOSED":
                self.floor.trading.clear()
            await call_api(operator, ApiCall("POST", f"/v1/admin/instruments/{instrument_id}/phase", body))
            if len(opened) == len(self.scenario.instruments) and not self.floor.trading.is_set() and fraction < 1:
                self.floor.trading.set()
        await self._mass_cancel(operator)
        for agent in self.agents:
            agent.foreign_orders.clear()
        self.journal.days.append(DayRecord(window.phase.name, window.day, wall_start, int(time.time() * 1000)))
        for instrument in self.scenario.instruments:
            quote = self.floor.quotes.get(instrument.id)
            if quote is not None and quote.last is not None:
                self.closes[instrument.id] = quote.last

    def _open_reference(self, instrument_id: str) -> str:
        instrument = self.scenario.instrument(instrument_id)
        reference = self.closes[instrument_id]
        reference = max(instrument.tick, reference // instrument.tick * instrument.tick)
        band = None
        if instrument.band is not None:
            band = (-(-reference * (1 - instrument.band).numerator // (1 - instrument.band).denominator),
                    reference * (1 + instrument.band).numerator // (1 + instrument.band).denominator)
        last = self.floor.quotes.get(instrument_id, Quote(None, None)).last
        self.floor.quotes[instrument_id] = Quote(last, reference, band)
        return from_minor(reference, instrument.currency)

    async def _mass_cancel(self, operator: httpx.AsyncClient) -> None:
        for instrument in self.scenario.instruments:
            await call_api(operator, ApiCall("POST", "/v1/admin/mass-cancel", {"instrument": instrument.id}))

    async def _end_phase(self, operator: httpx.AsyncClient, phase: Phase) -> None:
        await asyncio.sleep(SETTLE_WAIT_S)
        self.journal.quota_counted[phase.name] = await self._quota_counters()
        for agent in self.agents:
            logic, member = agent.logic, agent.member
            if not isinstance(logic, ComplianceTrader) or member.entity is None:
                continue
            self.journal.outcomes.append(EntityOutcome(phase.name, member.id, member.account, member.registry,
                                                       logic.position))
            await self._comply(operator, member, phase, emissions=min(member.entity.baseline, max(0, logic.position)))

    async def _comply(self, operator: httpx.AsyncClient, member: Member, phase: Phase, *, emissions: int) -> None:
        """Record the verified emissions (baseline less abatement) and surrender units against them."""
        record: dict[str, Any] = {"phase": phase.name, "account": member.account, "emissions": emissions,
                                  "surrendered": 0, "errors": []}
        try:
            await call_api(operator, ApiCall("POST", "/v1/admin/emissions",
                                             {"account": member.account, "period": phase.name, "tonnes": emissions}))
            view = await call_api(operator, ApiCall("GET", f"/v1/accounts/{member.account}", {}))
            home = unit_asset(self.scenario, member.instrument)
            lines = sorted(view["holdings"], key=lambda line: line["asset"] != home)
            for line in lines:
                quantity = min(line["available"], emissions - record["surrendered"])
                if quantity <= 0:
                    continue
                try:
                    await call_api(operator, ApiCall("POST", "/v1/admin/surrenders", {
                        "account": member.account, "origin": line["origin"], "unit_type": line["unit_type"],
                        "vintage": line["vintage"], "quantity": quantity, "period": phase.name}))
                    record["surrendered"] += quantity
                except SetupError as err:
                    record["errors"].append(err.body[:200])
        except SetupError as err:
            record["errors"].append(err.body[:200])
        self.journal.compliance.append(record)

    async def _quota_counters(self) -> dict[str, int]:
        """The bridge's link counters (units delivered per link direction) summed over the periods it counted."""
        client = aioredis.Redis.from_url(self.settings.redis_url)
        counted: dict[str, int] = {}
        try:
            for period in self.periods:
                for field, value in (await client.hgetall(bridge_keys.quota_key(int(period)))).items():
                    kind, _, rest = field.decode().partition("|")
                    if kind == "LINK":
                        link, _, direction = rest.partition("|")
                        arc = f"{link}:{direction}"
                        counted[arc] = counted.get(arc, 0) + int(value)
        finally:
            await client.aclose()
        return counted

    # --- the end -------------------------------------------------------------------------------------------

    async def _finish(self) -> DrillResult:
        self.journal.wall_seconds = time.monotonic() - self.started
        self.journal.refusals.update(self.floor.refusals)
        self.journal.orders = self.floor.orders
        self.journal.audit = await asyncio.to_thread(self._audit)
        metrics = compute_metrics(self.scenario, self.members, self.journal)
        summary = write_report(self.out, self.scenario, self.journal, metrics)
        manipulators.report_alerts(self.out, summary, self.alerts)
        return DrillResult(self.out, self.out / "report.html", summary, summary["audit_ok"], self.journal.interrupted)

    def _audit(self) -> dict[str, Any]:
        client = redis.Redis(host=self.settings.redis_host, port=self.settings.redis_port, socket_timeout=30)
        try:
            return audit_ledger(client).to_dict()
        except redis.RedisError as err:
            return {"ok": False, "error": str(err)}
        finally:
            client.close()
