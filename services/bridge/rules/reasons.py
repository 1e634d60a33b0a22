"""The bridge's reason codes (defined in ``shared.bridge_reasons``, which order entry shares)."""

from shared.bridge_reasons import EXECUTOR_CODES, ReasonCode

__all__ = ["EXECUTOR_CODES", "ReasonCode"]
