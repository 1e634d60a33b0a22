"""Pure surveillance detectors: events in, alerts out. Standard library and `shared` contracts only; no I/O,
no clock, no randomness — business time comes with each observed event."""

from services.oversight.detectors.observed import Observed, Owners, Thresholds
from services.oversight.detectors.surveillance import Surveillance

__all__ = ["Observed", "Owners", "Surveillance", "Thresholds"]
