"""Every detector behind one door: feed each observed event once, in topic order per partition, and collect
the alerts it completes. The reference data the detectors need (ownership groups, link caps, corridor
watches) is handed in and may be replaced at any time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.messages.operations import AlertRaised
from shared.messages.order_events import TradeExecuted

from services.oversight.detectors.closing import ClosingDetector
from services.oversight.detectors.concentration import ConcentrationDetector
from services.oversight.detectors.corridor import CorridorDetector, Watch
from services.oversight.detectors.observed import Observed, Owners, Thresholds
from services.oversight.detectors.round_trip import RoundTripDetector
from services.oversight.detectors.spoofing import SpoofingDetector
from services.oversight.detectors.wash import wash_trade


@dataclass(frozen=True, slots=True)
class Context:
    """Reference data as of now: ownership groups, each link's cap per period, corridor watches per instrument."""

    owners: Owners = Owners()
    caps: Mapping[str, int | None] = field(default_factory=dict)
    watches: Mapping[str, list[Watch]] = field(default_factory=dict)


class Surveillance:
    def __init__(self, thresholds: Thresholds = Thresholds()) -> None:
        self.context = Context()
        self.corridor = CorridorDetector()
        self._spoofing = SpoofingDetector(thresholds)
        self._closing = ClosingDetector(thresholds)
        self._round_trip = RoundTripDetector(thresholds)
        self._concentration = ConcentrationDetector(thresholds)

    @property
    def thresholds(self) -> Thresholds:
        return self._spoofing.thresholds

    @thresholds.setter
    def thresholds(self, thresholds: Thresholds) -> None:
        """New thresholds judge the next events; what the detectors remember stays."""
        for detector in (self._spoofing, self._closing, self._round_trip, self._concentration):
            detector.thresholds = thresholds

    def observe(self, event: Observed) -> list[AlertRaised]:
        c = self.context
        found: list[AlertRaised | None] = []
        if isinstance(event.message, TradeExecuted):
            found.append(wash_trade(event, event.message, c.owners))
            found.extend(self.corridor.observe(event, c.watches))
        found.append(self._spoofing.observe(event, c.owners))
        found.append(self._closing.observe(event, c.owners))
        found.append(self._round_trip.observe(event, c.owners))
        found.append(self._concentration.observe(event, c.owners, c.caps))
        return [a for a in found if a is not None]
