"""Packing Redis commands with hiredis (C) instead of redis-py's asyncio packer (Python).

redis-py's asyncio connection packs every command in Python, joining a growing buffer once per argument: for a
settlement batch (a few hundred EVALSHA of ~30 keys and arguments each) that was a fifth of settlement's CPU.
The sync client already packs with ``hiredis.pack_command`` when hiredis is installed (it is: ``redis[hiredis]``);
`fast_packing` makes an asyncio client's connections do the same. The bytes on the wire are the same: a command
whose arguments are all ``str``, ``bytes`` or ``int`` (not ``bool``) is packed by hiredis, which encodes ``str``
as UTF-8 and ``int`` in decimal just as redis-py's encoder does with its defaults; anything else (floats,
memoryviews, a client with another encoding) goes through redis-py's own packer, errors included.
"""

from __future__ import annotations

from functools import cache

import hiredis
import redis.asyncio as aioredis

_PLAIN = frozenset({str, bytes, int})


class _HiredisPacking:
    """Mixed in before a redis-py asyncio connection class."""

    def pack_command(self, *args):
        first = args[0]
        if isinstance(first, str):  # "CONFIG GET" and the like go as separate words, as redis-py sends them
            args = (*first.encode().split(), *args[1:])
        elif isinstance(first, bytes) and b" " in first:
            args = (*first.split(), *args[1:])
        encoder = self.encoder
        if encoder.encoding != "utf-8" or encoder.encoding_errors != "strict" \
                or not all(type(arg) in _PLAIN for arg in args):
            return super().pack_command(*args)
        return [hiredis.pack_command(args)]


@cache
def _packing_class(base: type) -> type:
    return type(f"Hiredis{base.__name__}", (_HiredisPacking, base), {})


def fast_packing(client: aioredis.Redis) -> aioredis.Redis:
    """``client``, its connections (made from now on) packing commands with hiredis."""
    pool = client.connection_pool
    pool.connection_class = _packing_class(pool.connection_class)
    return client
