"""How a scenario states its manipulators (the trader kind in carbonlink.drill.manipulators): an owner, its
markets and its schedule of acts, each at a fraction of one day of one phase."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Act = Literal["wash", "spoof", "mark_close", "round_trip"]


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    act: Act
    phase: str
    day: int = Field(default=0, ge=0, description="day within the phase")
    at: float = Field(default=0.5, ge=0, lt=1, description="fraction of the trading day")


class ManipulatorSpec(BaseModel):
    """A manipulating owner: its home market, a linked foreign market (for the round trip), its schedule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,20}$")
    instrument: str
    abroad_instrument: str | None = None
    quantity: int = Field(default=50, ge=1, description="tonnes per wash, close-marking and round-trip trade")
    schedule: list[Step]
