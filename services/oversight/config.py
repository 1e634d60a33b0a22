"""Oversight's own settings (`CARBONLINK_OVERSIGHT_*`): the surveillance thresholds, scaled down for drills."""

from __future__ import annotations

from fractions import Fraction

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.oversight.detectors import Thresholds
from shared.money import parse_fraction


class OversightSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARBONLINK_OVERSIGHT_", frozen=True)

    spoof_large_ratio: str = "5"
    spoof_min_history: int = Field(default=5, ge=1)
    spoof_near_touch: str = "0.02"
    spoof_max_lifetime_ms: int = Field(default=30_000, ge=1)
    spoof_window_ms: int = Field(default=120_000, ge=1)
    spoof_min_cancels: int = Field(default=3, ge=1)
    close_window_ms: int = Field(default=120_000, ge=1)
    close_move: str = "0.03"
    close_dominance: str = "0.5"
    round_trip_window_ms: int = Field(default=3_600_000, ge=1)
    concentration_share: str = "0.5"
    reference_refresh_s: float = Field(default=1.0, gt=0, description="how often ownership and links are reread")

    def thresholds(self) -> Thresholds:
        """The detectors' thresholds; a malformed fraction fails here, at start."""
        share = lambda text: Fraction(parse_fraction(text))  # noqa: E731
        return Thresholds(
            spoof_large_ratio=share(self.spoof_large_ratio), spoof_min_history=self.spoof_min_history,
            spoof_near_touch=share(self.spoof_near_touch), spoof_max_lifetime_ms=self.spoof_max_lifetime_ms,
            spoof_window_ms=self.spoof_window_ms, spoof_min_cancels=self.spoof_min_cancels,
            close_window_ms=self.close_window_ms, close_move=share(self.close_move),
            close_dominance=share(self.close_dominance), round_trip_window_ms=self.round_trip_window_ms,
            concentration_share=share(self.concentration_share),
        )
