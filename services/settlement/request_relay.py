"""Settlement's requests to the bridge, and the bridge's answers, survive a broker that forgets.

The trades waiting for the bridge (``settlement:pending``, each with its request in its trade record, see
``trade_state``) are the outbox of that hand-off. Their requests are sent again, with their own event ids, when
`bridge.requests` or `bridge.results` has a new incarnation (``shared.topic_incarnation``: a restarted broker's
topics were recreated) and whenever settlement is given `bridge.results` partitions (a start, or its group
rejoined after a broker restart). The bridge answers a request it has already decided from its decision record,
so an answer the broker forgot comes again as well; settlement applies each answer once.
"""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from services.settlement.trade_work import delivery_request_id
from services.settlement.outbox import Outgoing, send_all
from services.settlement.trade_state import PENDING_TRADES, trade_key
from shared import topic_incarnation
from shared.kafka import TRANSIENT_ERRORS
from shared.ledger.views import text
from shared.messages.post_trade import DeliveryRequested
from shared.topics import BRIDGE_REQUESTS, BRIDGE_RESULTS

log = logging.getLogger(__name__)

#: String: the incarnations of the two bridge topics the pending requests were last sent into.
SENT_INTO = "settlement:requests-sent-into"
PAGE = 500
INTERVAL_S = 1.0


class RequestRelay:
    def __init__(self, redis: aioredis.Redis, producer: AIOKafkaProducer) -> None:
        self._redis = redis
        self._producer = producer
        self._due = True

    def assigned(self) -> None:
        self._due = True

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.relay_if_due()
            except TRANSIENT_ERRORS as err:
                log.error("cannot send the pending requests to the bridge yet: %s", err)
            try:
                await asyncio.wait_for(stop.wait(), timeout=INTERVAL_S)
            except TimeoutError:
                pass

    async def relay_if_due(self) -> int:
        """Send every pending request again if due; how many were sent."""
        tokens = ",".join([await topic_incarnation.current(self._redis, BRIDGE_REQUESTS.name),
                           await topic_incarnation.current(self._redis, BRIDGE_RESULTS.name)])
        if not self._due and text(await self._redis.get(SENT_INTO) or b"") == tokens:
            return 0
        self._due = False
        sent = await self.resend_pending()
        await self._redis.set(SENT_INTO, tokens)
        if sent:
            log.info("sent %d pending request(s) to the bridge again", sent)
        return sent

    async def resend_pending(self) -> int:
        pending = [text(t) for t in await self._redis.zrange(PENDING_TRADES, 0, -1)]
        sent = 0
        for start in range(0, len(pending), PAGE):
            trade_ids = pending[start:start + PAGE]
            pipe = self._redis.pipeline(transaction=False)
            for trade_id in trade_ids:
                pipe.hget(trade_key(trade_id), "request")
            outgoing = []
            for trade_id, raw in zip(trade_ids, await pipe.execute()):
                if raw is None:
                    continue
                request = DeliveryRequested.model_validate_json(raw)
                outgoing.append(Outgoing.of(BRIDGE_REQUESTS.name, request.instrument, request,
                                         event_id=delivery_request_id(trade_id), occurred_at=request.matched_at,
                                         correlation_id=trade_id))
            await send_all(self._producer, outgoing)
            sent += len(outgoing)
        return sent
