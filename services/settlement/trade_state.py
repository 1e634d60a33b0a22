"""The settlement state of record of every trade, in Redis, moved only through ``trade_state.lua`` (on its own, or
inside ``settle.lua`` together with the ledger entry that settles the trade).

``trade:{trade_id}`` is a hash: status (PENDING_BRIDGE, SETTLED, FAILED), route, the trade's terms, entry ids,
reason code / reason / message of a failure, ``pending_since`` / ``finished_at`` / ``updated_at`` (Redis
server time, ms) and ``settled_count``. ``settlement:pending`` is a sorted set of the trades waiting for the
bridge, scored by ``pending_since``. A status change and the account records that go with it (``acct:*``
lists) are applied together and at most once, so a redelivered trade appends nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files

import orjson
import redis.asyncio as aioredis

from shared import redis_scripts
from shared.ledger.encoding import POST_LUA
from shared.redis_scripts import PipelinedScript
from shared.redis_text import text_map

PENDING_BRIDGE = "PENDING_BRIDGE"
SETTLED = "SETTLED"
FAILED = "FAILED"
STATUSES = (PENDING_BRIDGE, SETTLED, FAILED)

DOMESTIC = "DOMESTIC"
CROSS_REGISTRY = "CROSS_REGISTRY"

PENDING_TRADES = "settlement:pending"
TRADE_PATTERN = "trade:*"

APPLIED, ALREADY, CONFLICT = 1, 0, -1

TRADE_STATE_LUA = files("services.settlement").joinpath("trade_state.lua").read_text(encoding="utf-8")
#: A ledger entry and a trade's status change in one call (see the script's header).
SETTLE_LUA = ("local function ledger_post(ARGV)\n" + POST_LUA + "\nend\n"
              + "local function trade_state(KEYS, ARGV)\n" + TRADE_STATE_LUA + "\nend\n"
              + files("services.settlement").joinpath("settle.lua").read_text(encoding="utf-8"))


def trade_key(trade_id: str) -> str:
    return f"trade:{trade_id}"


@dataclass(frozen=True, slots=True)
class Transition:
    """Move ``trade_id`` to ``status`` with ``fields``, LPUSHing each (list key, value) of ``appends`` with it.
    ``started_ms`` (wall clock, not stored) is where the trade→settled latency metric starts."""

    trade_id: str
    status: str
    fields: Mapping[str, str] = field(default_factory=dict)
    appends: Sequence[tuple[str, bytes]] = ()
    started_ms: int | None = None


class TradeStates:
    """Reads and moves trade states through one asyncio Redis client."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._script = PipelinedScript(TRADE_STATE_LUA)

    async def apply(self, transitions: Sequence[Transition]) -> list[int]:
        """Apply every transition in one pipeline round trip; APPLIED, ALREADY or CONFLICT for each."""
        if not transitions:
            return []

        def build(pipe) -> None:
            for t in transitions:
                self._script.queue(pipe, *script_call(t))

        return [int(reply) for reply in await redis_scripts.execute(self._client, build, self._script)]

    async def get_many(self, trade_ids: Sequence[str]) -> list[dict[str, str]]:
        pipe = self._client.pipeline(transaction=False)
        for trade_id in trade_ids:
            pipe.hgetall(trade_key(trade_id))
        return [text_map(raw) for raw in await pipe.execute()]


def script_call(t: Transition) -> tuple[list[str], list[str | bytes]]:
    """The KEYS and ARGV of ``trade_state.lua`` for one transition."""
    keys = [trade_key(t.trade_id), PENDING_TRADES, *(key for key, _ in t.appends)]
    return keys, [t.status, t.trade_id, orjson.dumps(dict(t.fields)), *(value for _, value in t.appends)]
