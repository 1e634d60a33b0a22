"""Lua scripts queued in redis-py pipelines as bare EVALSHA, without a round trip of their own.

redis-py asks the server ``SCRIPT EXISTS`` before every pipeline that holds a registered script: one more round
trip per batch on the hot paths (settlement's ledger posts and trade states, matching's book mirror). A
`PipelinedScript` queues EVALSHA directly; `execute` loads the scripts and runs the pipeline again only when the
server answers NOSCRIPT (after a Redis restart or a SCRIPT FLUSH). So a pipeline run through it must hold only
commands that are safe to repeat: the scripts it is used for are idempotent by design (entry ids, statuses,
sequence numbers), and a repeated outbox append is dropped by its consumer's marks. Commands whose order matters
(a fill, then the release of the same order) belong under one script: a pipeline of two scripts may find one
loaded and the other not, and then its later commands have run before its earlier ones are run again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError


class PipelinedScript:
    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode("utf-8")).hexdigest()

    def queue(self, pipe: Pipeline, keys: Sequence, args: Sequence) -> None:
        pipe.evalsha(self.sha, len(keys), *keys, *args)


async def execute(client: aioredis.Redis, build: Callable[[Pipeline], None], *scripts: PipelinedScript) -> list:
    """Run the pipeline `build` fills (non-transactional); once more after loading `scripts` on NOSCRIPT."""
    for attempt in (0, 1):
        pipe = client.pipeline(transaction=False)
        build(pipe)
        try:
            return await pipe.execute()
        except NoScriptError:
            if attempt:
                raise
            for script in scripts:
                await client.script_load(script.source)
    raise AssertionError("unreachable")
