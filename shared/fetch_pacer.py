"""How often a consumer fetches: `FetchPacer`, short waits while messages flow, longer while its topics are quiet,
and no fetching at all once they have been quiet for a while, until a wake-up poke (``shared.wakeup``) comes.

The embedded broker never wakes a waiting fetch, so the wait is both the latency floor of a hop and what an idle
consumer costs the broker (~4% of a core each at 10 ms). After every fetch the consumer reports whether it got
records: with records the wait goes back to `busy_ms`; each empty fetch doubles it up to `idle_ms`. aiokafka reads
the wait from its fetcher for every fetch request; it has no public setter, hence the private attribute.

Dozing (only while a listener for pokes is subscribed, see `listening`): once the consumer has had nothing for
`doze_after_ms` it pauses its partitions, so no fetch is in flight and the broker is idle. A poke (`wake`) resumes
them at once at the short wait, and the consumer stays awake until it has been quiet for `doze_after_ms` again, so
a poke sent a little before the message reaches the broker still finds it. Every `doze_ms` a dozing consumer
fetches once anyway: that bounds the delay of a message whose poke was lost or never sent. The check lasts until a
fetch answer for one of its partitions came back (aiokafka's `last_poll_timestamp`), at most `CHECK_S`: records
that answer brings for a partition paused again meanwhile would be dropped, so a loaded machine, slower than one
fetch loop round, must not make the check miss them. Meanwhile the fetch loop need not come round every 100 ms
either (`timeout_ms`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.settings import Settings

CHECK_S = 2.0


class FetchPacer:
    def __init__(self, consumer: AIOKafkaConsumer, *, busy_ms: int, idle_ms: int, doze_after_ms: int = 0,
                 doze_ms: int = 0, clock: Callable[[], float] = time.monotonic) -> None:
        self._consumer = consumer
        self._busy_ms = busy_ms
        self._idle_ms = max(idle_ms, busy_ms)
        self._wait_ms = busy_ms
        self._doze_after_s = doze_after_ms / 1000
        self._doze_s = doze_ms / 1000
        self._clock = clock
        self._listening = False
        self._quiet_since: float | None = None
        self._dozing: set[TopicPartition] | None = None
        self._dozed_at = 0.0
        self._checking: tuple[set[TopicPartition], float, float] | None = None  # partitions, since (ms, clock)

    @classmethod
    def of(cls, consumer: AIOKafkaConsumer, settings: Settings) -> FetchPacer:
        return cls(consumer, busy_ms=settings.fetch_max_wait_ms, idle_ms=settings.fetch_idle_wait_ms,
                   doze_after_ms=settings.fetch_doze_after_ms, doze_ms=settings.fetch_doze_ms)

    @property
    def dozing(self) -> bool:
        return self._dozing is not None

    def timeout_ms(self, awake_ms: int) -> int:
        """How long the consumer's next `getmany` may wait: `awake_ms` while it fetches; while it dozes, until its
        next check fetch is due (a poke resumes the partitions, and records arriving end the wait at once)."""
        if self._dozing is None:
            return awake_ms
        return max(awake_ms, round((self._dozed_at + self._doze_s - self._clock()) * 1000))

    def fetched(self, got_records: bool) -> None:
        now = self._clock()
        if got_records:
            self._quiet_since = None
        elif self._quiet_since is None:
            self._quiet_since = now
        if got_records or (self._checking is not None and self._checked(now)):
            self._checking = None
        if self._dozing is not None:
            if got_records or now - self._dozed_at >= self._doze_s:
                self._check(now)  # quiet for long already, so it dozes again once an answer came back empty
        elif (self._checking is None and self._listening and self._doze_after_s and self._quiet_since is not None
              and now - self._quiet_since >= self._doze_after_s):
            self._doze(now)
        self._set_wait(self._busy_ms if got_records else min(self._idle_ms, self._wait_ms * 2))

    def wake(self) -> None:
        """A poke: new messages are (or are about to be) on the consumer's topics."""
        self._quiet_since = self._clock()
        self._checking = None
        self._set_wait(self._busy_ms)
        if self._dozing is not None:
            self._resume()

    def listening(self, subscribed: bool) -> None:
        """Whether pokes reach this consumer: it dozes only while they do."""
        self._listening = subscribed
        if not subscribed and self._dozing is not None:
            self._resume()

    def _doze(self, now: float) -> None:
        self._dozing = self._consumer.assignment() - self._consumer.paused()
        self._dozed_at = now
        if self._dozing:
            self._consumer.pause(*self._dozing)

    def _resume(self) -> set[TopicPartition]:
        dozing, self._dozing = self._dozing or set(), None
        still = dozing & self._consumer.assignment()
        if still:
            self._consumer.resume(*still)
        return still

    def _check(self, now: float) -> None:
        self._checking = (self._resume(), time.time() * 1000, now)

    def _checked(self, now: float) -> bool:
        """Whether the check fetch was answered (or has lasted `CHECK_S`, or lost its partitions)."""
        partitions, since_ms, since = self._checking
        if now - since >= CHECK_S:
            return True
        assigned = self._consumer.assignment()
        return not any(tp in assigned for tp in partitions) or any(
            (self._consumer.last_poll_timestamp(tp) or 0) >= since_ms for tp in partitions if tp in assigned)

    def _set_wait(self, wait: int) -> None:
        if wait != self._wait_ms:
            self._wait_ms = wait
            fetcher = getattr(self._consumer, "_fetcher", None)
            if fetcher is not None:
                fetcher._fetch_max_wait_ms = wait
