"""The instruments settlement needs (registry, currency, unit asset, fees), read from the reference store and
kept for a short while: an operator's change to the fee schedule reaches settlement within ``ttl_s``."""

from __future__ import annotations

import logging
import time

from shared.reference import Instrument
from shared.reference_data import ReferenceData

log = logging.getLogger(__name__)


class InstrumentCache:
    def __init__(self, store: ReferenceData, *, ttl_s: float = 5.0) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._cached: dict[str, tuple[float, Instrument]] = {}

    async def get(self, instrument_id: str) -> Instrument | None:
        """The instrument, or None when the reference store does not know it (a miss is never cached)."""
        hit = self._cached.get(instrument_id)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self._ttl_s:
            return hit[1]
        try:
            instrument = await self._store.instrument(instrument_id)
        except ValueError as err:  # a stored record that no longer parses: as good as unknown
            log.error("instrument %r in the reference store does not parse: %s", instrument_id, err)
            return None
        if instrument is not None:
            self._cached[instrument_id] = (now, instrument)
        return instrument
