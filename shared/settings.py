"""Typed settings for every Carbonlink process, read from `CARBONLINK_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every address, port, partition count and path is a setting, so two stacks can run side by side."""

    model_config = SettingsConfigDict(env_prefix="CARBONLINK_", frozen=True)

    var_dir: Path = Field(default=Path("var"), description="state directory: pids, logs, Redis data")
    kafka_host: str = "127.0.0.1"
    kafka_port: int = 9092
    redis_host: str = "127.0.0.1"
    redis_port: int = 6390
    order_entry_host: str = "127.0.0.1"
    order_entry_port: int = 8080
    default_partitions: int = Field(default=4, ge=1, description="partitions of topics keyed by instrument")
    fetch_max_wait_ms: int = Field(default=10, ge=3, le=500, description="the embedded broker never wakes a waiting fetch")
    fetch_idle_wait_ms: int = Field(default=100, ge=3, le=1000,
                                    description="fetch wait a consumer backs off to while its topics are quiet")
    heartbeat_interval_s: float = Field(default=1.0, gt=0)
    heartbeat_ttl_s: float = Field(default=5.0, gt=0)
    settlement_pending_timeout_s: float = Field(default=60.0, gt=0)
    pending_new_timeout_s: float = Field(default=5.0, gt=0,
                                         description="longest an order may stay PENDING_NEW before the audit fails")
    matching_snapshot_every: int = Field(default=5000, ge=1, description="commands between book snapshots")
    matching_snapshot_interval_s: float = Field(default=5.0, gt=0)
    matching_instances: int = Field(default=1, ge=1, le=8)

    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.kafka_host}:{self.kafka_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://{self.redis_host}:{self.redis_port}/0"

    @property
    def order_entry_url(self) -> str:
        return f"http://{self.order_entry_host}:{self.order_entry_port}"


def load_settings() -> Settings:
    return Settings()
