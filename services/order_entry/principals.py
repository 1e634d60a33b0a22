"""Principals and their API keys in Redis: keys stored only as sha256 digests, roles, account grants, and a
per-key token bucket checked in the same Lua call that looks the key up.

Layout: ``auth:key:{sha256}`` hash (key_id, principal, role, rate, burst, created_at);
``auth:keyid:{key_id}`` → sha256 (to revoke); ``auth:principal:{principal}`` hash (role);
``auth:grants:{principal}`` set of account ids; ``auth:bucket:{key_id}`` hash (tokens, at) of the rate limit.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

import redis.asyncio as aioredis

from shared.redis_text import text

DEFAULT_RATE = 2_000  # requests per second a key may sustain
DEFAULT_BURST = 4_000


class Role(StrEnum):
    TRADER = "trader"
    OPERATOR = "operator"
    AUDITOR = "auditor"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a named principal with one role, through one key."""

    name: str
    role: Role
    key_id: str


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """The result of looking a presented key up: the principal, or how long to wait when rate limited."""

    principal: Principal | None
    retry_after_ms: int = 0


def digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8", errors="surrogatepass")).hexdigest()


def key_key(sha: str) -> str:
    return f"auth:key:{sha}"


def key_id_key(key_id: str) -> str:
    return f"auth:keyid:{key_id}"


def principal_key(principal: str) -> str:
    return f"auth:principal:{principal}"


def grants_key(principal: str) -> str:
    return f"auth:grants:{principal}"


def bucket_key(key_id: str) -> str:
    return f"auth:bucket:{key_id}"


# KEYS[1] key hash. Returns {} for an unknown key, {key_id, principal, role, 0} when allowed,
# {key_id, principal, role, wait_ms} when the bucket is empty.
CHECK_LUA = """
local info = redis.call('HMGET', KEYS[1], 'key_id', 'principal', 'role', 'rate', 'burst')
if not info[1] then return {} end
local rate = tonumber(info[4]) or tonumber(ARGV[1])
local burst = tonumber(info[5]) or tonumber(ARGV[2])
local bucket = 'auth:bucket:' .. info[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', bucket, 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', bucket, 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', bucket, 60000)
return {info[1], info[2], info[3], wait}
"""


def key_check(reply: list) -> KeyCheck:
    """The check ``CHECK_LUA`` answered (its first four items)."""
    if not reply:
        return KeyCheck(None)
    key_id, name, role, wait = reply[:4]
    return KeyCheck(Principal(name=text(name), role=Role(text(role)), key_id=text(key_id)), int(wait))


class PrincipalStore:
    """Creates, checks and revokes keys; grants accounts to principals."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._check = client.register_script(CHECK_LUA)

    async def create_key(self, *, principal: str, role: Role, rate: int | None = None,
                         burst: int | None = None) -> tuple[str, str]:
        """A new key for the principal (created with the role if new): returns (key_id, the key — shown once).

        Raises ValueError when the principal exists with another role.
        """
        existing = await self._client.hget(principal_key(principal), "role")
        if existing is not None and text(existing) != role:
            raise ValueError(f"principal {principal!r} already has role {text(existing)}")
        key_id = secrets.token_hex(6)
        api_key = f"clk_{key_id}_{secrets.token_urlsafe(24)}"
        sha = digest(api_key)
        record = {"key_id": key_id, "principal": principal, "role": str(role), "created_at": str(int(time.time()))}
        if rate is not None:
            record["rate"] = str(rate)
        if burst is not None:
            record["burst"] = str(burst)
        pipe = self._client.pipeline(transaction=True)
        pipe.hset(principal_key(principal), "role", str(role))
        pipe.hset(key_key(sha), mapping=record)
        pipe.set(key_id_key(key_id), sha)
        await pipe.execute()
        return key_id, api_key

    async def revoke(self, key_id: str) -> bool:
        sha = await self._client.get(key_id_key(key_id))
        if sha is None:
            return False
        await self._client.delete(key_key(text(sha)), key_id_key(key_id), bucket_key(key_id))
        return True

    async def keys(self) -> list[dict[str, str]]:
        """Every key's record (never the key itself), oldest first: an operator's listing, so a keyspace scan."""
        shas = [await self._client.get(name) async for name in self._client.scan_iter(match=key_id_key("*"), count=1000)]
        pipe = self._client.pipeline(transaction=False)
        for sha in shas:
            if sha is not None:
                pipe.hgetall(key_key(text(sha)))
        records = [{text(k): text(v) for k, v in raw.items()} for raw in await pipe.execute() if raw]
        return sorted(records, key=lambda r: (r.get("created_at", ""), r.get("key_id", "")))

    async def revoke_grant(self, principal: str, account_id: str) -> bool:
        return bool(await self._client.srem(grants_key(principal), account_id))

    async def check(self, api_key: str) -> KeyCheck:
        """Look the key up and take one token from its bucket, in one round trip."""
        return key_check(await self._check(keys=[key_key(digest(api_key))], args=[DEFAULT_RATE, DEFAULT_BURST]))

    async def role_of(self, principal: str) -> Role | None:
        role = await self._client.hget(principal_key(principal), "role")
        return None if role is None else Role(text(role))

    async def grant(self, principal: str, account_id: str) -> None:
        await self._client.sadd(grants_key(principal), account_id)

    async def is_granted(self, principal: str, account_id: str) -> bool:
        return bool(await self._client.sismember(grants_key(principal), account_id))

    async def granted(self, principal: str) -> list[str]:
        return sorted(text(a) for a in await self._client.smembers(grants_key(principal)))
