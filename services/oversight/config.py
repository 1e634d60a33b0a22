"""Oversight's own settings (`CARBONLINK_OVERSIGHT_*`): the surveillance thresholds, scaled down for drills."""

from __future__ import annotations

from fractions import Fraction

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.oversight.detectors import Thresholds
from shared.money import parse_fraction
from shared.surveillance import ThresholdOverrides


class OversightSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARBONLINK_OVERSIGHT_", frozen=True)

    spoof_large_ratio: str = "5"
    spoof_min_history: int = Field(default=5, ge=1)
    spoof_near_touch: str = "0.02"
    spoof_max_lifetime_ms: int = Field(default=30_000, ge=1)
    spoof_window_ms: int = Field(default=120_000, ge=1)
    spoof_min_cancels: int = Field(default=3, ge=1)
    close_window_ms: int = Field(default=120_000, ge=1)
    close_move: str = "0.05"
    close_dominance: str = "0.5"
    close_min_trades: int = Field(default=3, ge=1)
    round_trip_window_ms: int = Field(default=3_600_000, ge=1)
    round_trip_share: str = "0.5"
    concentration_share: str = "0.5"
    reference_refresh_s: float = Field(default=1.0, gt=0, description="how often ownership and links are reread")

    def thresholds(self, overrides: ThresholdOverrides | None = None) -> Thresholds:
        """The detectors' thresholds: these settings, with what the operator set over them; a malformed
        fraction in the settings fails here, at start."""
        values = self.model_dump(exclude={"reference_refresh_s"})
        if overrides is not None:
            values |= overrides.model_dump(exclude_none=True)
        return Thresholds(**{name: Fraction(parse_fraction(value)) if isinstance(value, str) else value
                             for name, value in values.items()})
