"""Order entry's transactional outbox in Redis: the commands order entry has accepted for matching.

Every command (new order, amend, cancel, mass cancel) is appended to one stream in the same Lua call that
writes the state it belongs to (order record, client order id, reservation); order entry's relay publishes
the stream to ``orders.commands`` keyed by instrument, in stream order, and deletes an entry only once
matching's outcome for it is known (its event seen, or its effect visible in the order's state). An entry
still in the stream is therefore a command matching may not have applied yet: after a broker restart the
relay publishes it again, and matching drops what it already applied.

Fields of an entry: ``k`` the partition key (instrument), ``c`` the kind (``SUBMIT``, ``AMEND``, ``CANCEL``,
``MASS_CANCEL``), ``o`` the order id ("" for a mass cancel), ``v`` the envelope exactly as published.
"""

from __future__ import annotations

#: Stream of accepted commands not yet known to be applied by matching, oldest first.
STREAM = "oe:outbox"

SUBMIT = "SUBMIT"
AMEND = "AMEND"
CANCEL = "CANCEL"
MASS_CANCEL = "MASS_CANCEL"
KINDS = (SUBMIT, AMEND, CANCEL, MASS_CANCEL)
