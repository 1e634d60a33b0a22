"""Order entry's transactional outbox in Redis: the commands order entry has accepted for matching.

Every command (new order, amend, cancel, mass cancel) is appended to one stream in the same Lua call that
writes the state it belongs to (order record, client order id, reservation); order entry's relay publishes
the stream to ``orders.commands`` keyed by instrument, in stream order, and deletes an entry only once
matching's outcome for it is known (its event seen, or its effect visible in the order's state) *and* a durable
snapshot of matching covers it (`covered_key`: the snapshot's topic incarnation and next offset, against the
partition, offset and incarnation of the entry's last publish). An entry still in the stream is therefore a
command that a matching restarted from its snapshot may need again: after a broker restart the relay publishes
every entry it holds again, in stream order, and matching drops what it already applied.

Fields of an entry: ``k`` the partition key (instrument), ``c`` the kind (``SUBMIT``, ``AMEND``, ``CANCEL``,
``MASS_CANCEL``), ``o`` the order id ("" for a mass cancel), ``v`` the envelope exactly as published.
"""

from __future__ import annotations

#: Stream of accepted commands not yet known to be applied by matching, oldest first.
STREAM = "oe:outbox"

#: The record header naming the outbox entry a published command came from: matching keeps the last it applied in
#: its snapshot, and after a broker restart applies the entries after it from this stream (`stream_order`).
HEADER = "outbox_id"

SUBMIT = "SUBMIT"
AMEND = "AMEND"
CANCEL = "CANCEL"
MASS_CANCEL = "MASS_CANCEL"
KINDS = (SUBMIT, AMEND, CANCEL, MASS_CANCEL)


def covered_key(topic: str, partition: int) -> str:
    """String ``{incarnation}:{next_offset}``: what matching's last durable snapshot of a command partition covers
    (written with the snapshot, in the same MSET). The relay keeps an acknowledged command until then: should the
    broker forget the topic and matching restart from that snapshot, the relay publishes again what it holds."""
    return f"matching:covered:{topic}:{partition}"


def covered_value(incarnation: str, next_offset: int) -> str:
    return f"{incarnation}:{next_offset}"


def parse_covered(raw: str) -> tuple[str, int] | None:
    """(incarnation, next offset) of a `covered_key` value, or None when there is none."""
    incarnation, _, offset = raw.rpartition(":")
    return (incarnation, int(offset)) if offset.isdigit() else None


def stream_order(entry_id: str) -> tuple[int, ...]:
    """A stream entry id ("ms-seq") as something that sorts as the stream does ("" first)."""
    return tuple(int(part) for part in entry_id.split("-")) if entry_id else ()


def entry_id_of(headers) -> str:
    """The outbox entry id in a record's headers ("" when there is none)."""
    for name, value in headers or ():
        if name == HEADER and value is not None:
            return value.decode()
    return ""
