"""`RedisLane` against a real Redis: concurrent scripts pipelined on one connection answer as redis-py does."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from shared.redis_lane import RedisLane
from shared.redis_scripts import PipelinedScript

COUNTER = PipelinedScript("return {redis.call('INCR', KEYS[1]), ARGV[1], false}")
FAILING = PipelinedScript("return redis.error_reply('REFUSED ' .. ARGV[1])")


async def test_concurrent_calls_each_get_their_own_reply_in_any_order(async_redis: aioredis.Redis) -> None:
    lane = RedisLane(async_redis)
    try:
        replies = await asyncio.gather(*(lane.evalsha(COUNTER, ["n"], [f"call-{i}"]) for i in range(500)))
    finally:
        await lane.close()
    assert [reply[1] for reply in replies] == [f"call-{i}".encode() for i in range(500)]
    assert sorted(reply[0] for reply in replies) == list(range(1, 501))
    assert all(reply[2] is None for reply in replies)


async def test_a_script_redis_forgot_is_loaded_again(async_redis: aioredis.Redis) -> None:
    lane = RedisLane(async_redis)
    try:
        assert (await lane.evalsha(COUNTER, ["n"], ["a"]))[0] == 1
        await async_redis.script_flush()
        assert (await lane.evalsha(COUNTER, ["n"], ["b"]))[0] == 2
    finally:
        await lane.close()


async def test_an_error_reply_raises_for_its_caller_only(async_redis: aioredis.Redis) -> None:
    lane = RedisLane(async_redis)
    try:
        failed, counted = await asyncio.gather(lane.evalsha(FAILING, [], ["x"]), lane.evalsha(COUNTER, ["n"], ["y"]),
                                               return_exceptions=True)
    finally:
        await lane.close()
    assert isinstance(failed, ResponseError) and "REFUSED x" in str(failed)
    assert counted[0] == 1


async def test_a_dropped_connection_is_opened_again(async_redis: aioredis.Redis) -> None:
    lane = RedisLane(async_redis)
    try:
        await lane.evalsha(COUNTER, ["n"], ["a"])
        await async_redis.client_kill_filter(_type="normal", skipme=True)
        await asyncio.sleep(0.05)
        assert (await lane.evalsha(COUNTER, ["n"], ["b"]))[0] == 2
    finally:
        await lane.close()


async def test_a_decoding_client_gets_text(redis_url: str, redis_client) -> None:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    lane = RedisLane(client)
    try:
        assert await lane.evalsha(COUNTER, ["n"], ["a"]) == [1, "a", None]
    finally:
        await lane.close()
        await client.aclose()
