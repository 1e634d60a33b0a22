"""The drill runner: applies a scenario through the operator API, steps its phases through business time with
the simulated traders as API clients, then audits the books and writes the report.

Determinism: the drill holds the exchange's business clock (``POST /v1/admin/clock``) at each step's moment.
A step: the clock moves (orders whose life is over expire), session changes and link operations due at the
step are made, the drill waits until the exchange has processed every effect (``ExchangeState.settle``), the
traders learn their balances and the books, decide in an order drawn from the seed, and their orders go in —
one after another per market (markets side by side) — after which the drill again waits for every effect.
Nothing a trader does depends on the wall clock or on how fast the machine is, so a scenario and its seed
give the same trades on any machine (on a fresh exchange: ids count from the exchange's first order).

At each phase boundary the linkages change state (:mod:`carbonlink.drill.phase_events`); each trading day
opens every instrument with the previous close as reference price (bands move day by day) and ends with a
mass cancel; late on a phase's last day the dealers only unwind their inventory. Ctrl-C stops trading and
still audits and reports; so does an operator call that fails mid-run, after which ``run_drill`` raises
:class:`DrillAborted` (the report names the error).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis

from carbonlink.drill import manipulators
from carbonlink.drill.agents import Agent, Floor, post_lane
from carbonlink.drill.apply import SetupError, apply_scenario, call_api
from carbonlink.drill.drill_outcome import DrillAborted, DrillResult, finish
from carbonlink.drill.exchange_state import ExchangeState, TrackedOrder
from carbonlink.drill.journal import DayRecord, DrillJournal
from carbonlink.drill.order_terms import BUY, Quote, Venue
from carbonlink.drill.phase_events import PhaseEvents
from carbonlink.drill.phase_problems import phase_problems
from carbonlink.drill.progress import Progress
from carbonlink.drill.quota_room import QuotaRoom, phase_rules
from carbonlink.drill.scenario import Phase, Scenario, load_scenario
from carbonlink.drill.schedule import DayWindow, business_ms, day_steps, link_changes, timetable
from carbonlink.drill.setup_plan import ApiCall, bridge_periods, minor_price, roster
from carbonlink.drill.trading_step import FlowOrder, entity_flow, flow_order, make_venue, opening_reference, plan_orders, start_agents
from services.bridge.rules import calendar_year
from services.order_entry.principals import PrincipalStore, Role
from shared.money import from_minor
from shared.settings import Settings

__all__ = ["DrillAborted", "DrillResult", "run_drill"]


def run_drill(settings: Settings, scenario_path: str | Path, *, speed: int | None = None, out_dir: str | Path,
              quiet: bool = False) -> DrillResult:
    """Run the drill of ``scenario_path`` against the stack of ``settings``; report into ``out_dir``.

    ``speed`` (business seconds per wall second) only slows the drill down, for watching it live.
    Raises ScenarioError (nothing created) for a malformed scenario, SetupError if the API refuses it,
    DrillAborted (after writing the report) if an operator call fails mid-run.
    """
    scenario = load_scenario(scenario_path)
    drill = _Drill(settings, scenario, speed or scenario.clock.speed, Path(out_dir), quiet)
    result = asyncio.run(drill.run())
    if drill.failure is not None:
        raise DrillAborted(drill.failure, result)
    return result


class _Drill:
    def __init__(self, settings: Settings, scenario: Scenario, speed: int | None, out: Path, quiet: bool) -> None:
        self.settings, self.scenario, self.speed, self.out, self.quiet = settings, scenario, speed, out, quiet
        tag = f"d{secrets.token_hex(3)}-"  # this run's accounts; the report names traders without it
        self.members = roster(scenario, tag=tag)
        self.journal = DrillJournal(scenario.name, speed or 0, tag=tag)
        self.floor = Floor()
        self.problems = {problem.phase: problem for problem in phase_problems(scenario)}
        self.closes: dict[str, int] = {i.id: minor_price(scenario, i.id) for i in scenario.instruments}
        self.agents: list[Agent] = []
        self.order_rng = random.Random(f"{scenario.seed}:order")
        self.started = time.monotonic()
        self.window: DayWindow | None = None
        self.now = business_ms(scenario, 0, 0)
        self.failure: SetupError | None = None
        first, last = timetable(scenario)[0], timetable(scenario)[-1]
        self.periods = bridge_periods(business_ms(scenario, first.day, 0), business_ms(scenario, last.day, 1))
        self.state: ExchangeState | None = None
        self.cheats: list[manipulators.Manipulator] = []
        self.alerts: dict[str, dict[str, int]] = {}  # surveillance alerts raised per phase and code
        self.link_phase: Phase | None = None  # whose links are open to the traders (set by PhaseEvents)
        self.obligations = {m.account: m.entity.baseline for m in self.members if m.entity is not None}
        self.entity_orders: dict[str, FlowOrder] = {}  # order id → a compliance entity's order (the flow)

    async def run(self) -> DrillResult:
        operator_key = await self._operator_key()
        limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
        client = aioredis.Redis.from_url(self.settings.redis_url)
        self.state = ExchangeState(client, [i.id for i in self.scenario.instruments])
        try:
            async with httpx.AsyncClient(base_url=self.settings.order_entry_url, headers={"X-API-Key": operator_key},
                                         timeout=30, limits=limits) as operator, \
                    httpx.AsyncClient(base_url=self.settings.order_entry_url, timeout=30, limits=limits) as http:
                await self._set_clock(operator, self.now)
                keys = await apply_scenario(operator, self.scenario, members=self.members, periods=self.periods)
                await self.state.mark_trades_seen()
                earlier_alerts = await manipulators.alert_ids(operator)
                self.journal.quota_at_start = await self.state.link_counters(self.periods)
                self.agents = start_agents(self.scenario, self.members, keys)
                self.cheats = await manipulators.prepare(operator, self.scenario, http,
                                                         tag=f"m{secrets.token_hex(3)}-")
                events = PhaseEvents(self, operator)
                try:
                    with Progress(self, quiet=self.quiet):
                        await self._timeline(operator, http, events)
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
                    with contextlib.suppress(Exception):
                        await self._mass_cancel(operator)
                    with contextlib.suppress(Exception):
                        await operator.delete("/v1/admin/clock")
                    self.alerts = await manipulators.alerts_per_phase(operator, self.journal.days,
                                                                      earlier=earlier_alerts)
        finally:
            await client.aclose()
        return await self._finish()

    async def _operator_key(self) -> str:
        client = aioredis.Redis.from_url(self.settings.redis_url)
        try:
            _, key = await PrincipalStore(client).create_key(principal="drill-operator", role=Role.OPERATOR)
        finally:
            await client.aclose()
        return key

    # --- traders -------------------------------------------------------------------------------------------

    def venue(self, instrument_id: str, *, local_currency: str | None = None, credit: Fraction = Fraction(1)) -> Venue:
        return make_venue(self.scenario, instrument_id, local_currency=local_currency, credit=credit)

    async def observe(self, *, phase_start: bool = False) -> None:
        """Every trader's balances and every market's book, as the exchange shows them after a step."""
        assert self.state is not None
        holdings = await self.state.balances([agent.member.account for agent in self.agents])
        for agent in self.agents:
            agent.observe(holdings[agent.member.account], phase_start=phase_start)
        self.entity_orders, flow = entity_flow(self.entity_orders, self.state.open_orders)
        for instrument, book in (await self.state.books()).items():
            quote = self.floor.quotes.get(instrument, Quote(None, None))
            self.floor.quotes[instrument] = Quote(book.last, quote.reference, quote.band, book.bid, book.ask,
                                                  *flow.get(instrument, (None, None)))

    # --- timeline ------------------------------------------------------------------------------------------

    async def _timeline(self, operator: httpx.AsyncClient, http: httpx.AsyncClient, events: PhaseEvents) -> None:
        previous = None
        for window in timetable(self.scenario):
            self.window = window
            suspensions = []
            if window.first_of_phase:
                await self._set_clock(operator, business_ms(self.scenario, window.day, 0))
                suspensions = await events.enter_phase(previous, window.phase,
                                                       link_changes(self.scenario, previous, window.phase))
                await self.settle()
            await self._trading_day(operator, http, window, events, suspensions)
            if window.last_of_phase:
                await events.end_phase(window.phase)
            previous = window.phase

    async def _trading_day(self, operator: httpx.AsyncClient, http: httpx.AsyncClient, window: DayWindow,
                           events: PhaseEvents, suspensions: list) -> None:
        opened: set[str] = set()
        first_trade = len(self.journal.trades)
        start = business_ms(self.scenario, window.day, 0)
        step_ms = self.scenario.clock.step_minutes * 60_000
        steps = day_steps(self.scenario, window, suspends=bool(suspensions))
        for step in steps:
            began = time.monotonic()
            await self._set_clock(operator, step.at)
            for instrument_id, exchange_phase in step.sessions:
                await self._change_phase(operator, instrument_id, exchange_phase, opening=instrument_id not in opened)
                opened.add(instrument_id)
            if step.suspend:
                for change in suspensions:
                    await events.suspend(change, window.phase)
            self.floor.flatten = step.flatten
            await self.settle()
            await self.observe()
            await self._trade(http, expire_at=step.at + self.scenario.clock.order_life_steps * step_ms)
            await manipulators.act(self.cheats, window, step, last=step is steps[-1])
            await self.settle()
            if self.speed:
                await asyncio.sleep(max(0.0, step_ms / 1000 / self.speed - (time.monotonic() - began)))
        close = business_ms(self.scenario, window.day, 1)
        await self._set_clock(operator, close)
        for instrument in self.scenario.instruments:
            await self._change_phase(operator, instrument.id, "CLOSED", opening=False)
        await self._mass_cancel(operator)
        await self.settle()
        await self.observe()
        self.journal.days.append(DayRecord(window.phase.name, window.day, start, close))
        for trade in self.journal.trades[first_trade:]:
            if trade.refused is None:
                self.closes[trade.instrument] = trade.price

    async def _trade(self, http: httpx.AsyncClient, *, expire_at: int) -> None:
        """The traders' orders of the step (:func:`carbonlink.drill.trading_step.plan_orders`) go in, each market's
        one after another, the markets side by side."""
        assert self.state is not None and self.link_phase is not None
        homes = {i.id: i.registry for i in self.scenario.instruments}
        room = QuotaRoom(phase_rules(self.scenario, self.link_phase),
                         await self.state.quota_counters(calendar_year(self.now)), self.obligations)
        lanes = plan_orders(self.agents, self.floor, self.order_rng, room, homes)
        results = await asyncio.gather(*(post_lane(http, lanes[i], self.floor, expire_at=expire_at)
                                         for i in sorted(lanes)))
        registries = {m.account: m.registry for m in self.members}
        agents = {agent.member.account: agent for agent in self.agents}
        for posted in (p for lane in results for p in lane):
            if posted.account in self.obligations:
                agent = agents[posted.account]
                self.entity_orders[posted.order_id] = flow_order(posted.intent, agent.home,
                                                                 agent.venues[posted.intent.instrument])
            self.state.posted(TrackedOrder(posted.order_id, posted.intent.instrument, posted.account,
                                           registries[posted.account], expire_at, posted.intent.side == BUY,
                                           posted.intent.quantity))

    async def settle(self) -> None:
        """Wait until the exchange has processed every effect so far; journal the trades that finished."""
        assert self.state is not None
        for trade in await self.state.settle(now=self.now):
            self.journal.trades.append(trade)
            if trade.refused is not None:
                self.journal.failed_trades[trade.trade_id] = trade.refused

    async def _set_clock(self, operator: httpx.AsyncClient, now: int) -> None:
        self.now = now
        await call_api(operator, ApiCall("POST", "/v1/admin/clock", {"now": now}))
        if self.state is not None:
            self.state.clock_moved(now)

    async def _change_phase(self, operator: httpx.AsyncClient, instrument_id: str, exchange_phase: str, *,
                            opening: bool) -> None:
        body: dict[str, Any] = {"phase": exchange_phase}
        if opening:
            body["reference_price"] = self._open_reference(instrument_id)
        before = await self.state.phase_before(instrument_id) if self.state is not None else ""
        await call_api(operator, ApiCall("POST", f"/v1/admin/instruments/{instrument_id}/phase", body))
        if self.state is not None:
            self.state.phase_asked(instrument_id, before=before, asked=exchange_phase)
        if exchange_phase == "CLOSED":
            self.floor.open_instruments.discard(instrument_id)
        else:
            self.floor.open_instruments.add(instrument_id)

    def _open_reference(self, instrument_id: str) -> str:
        reference, band = opening_reference(self.scenario, instrument_id, self.closes[instrument_id])
        last = self.floor.quotes.get(instrument_id, Quote(None, None)).last
        self.floor.quotes[instrument_id] = Quote(last, reference, band)
        return from_minor(reference, self.scenario.instrument(instrument_id).currency)

    async def _mass_cancel(self, operator: httpx.AsyncClient) -> None:
        for instrument in self.scenario.instruments:
            await call_api(operator, ApiCall("POST", "/v1/admin/mass-cancel", {"instrument": instrument.id}))
            if self.state is not None:
                self.state.cancelling(instrument=instrument.id)

    # --- the end -------------------------------------------------------------------------------------------

    async def _finish(self) -> DrillResult:
        self.journal.wall_seconds = time.monotonic() - self.started
        self.journal.refusals.update(self.floor.refusals)
        self.journal.orders = self.floor.orders
        return await finish(self.settings, self.out, self.scenario, self.members, self.journal, self.alerts)
