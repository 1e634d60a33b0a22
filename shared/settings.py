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
    fetch_doze_after_ms: int = Field(default=2_000, ge=0, description="quiet this long, a consumer that hears wake-up "
                                     "pokes stops fetching until one comes (0: never)")
    fetch_doze_ms: int = Field(default=3_000, ge=10, le=4_000,
                               description="a dozing consumer still fetches once this often: the longest a message "
                               "whose wake-up poke was lost waits (below the watchdog's 5 s fetch stall)")
    heartbeat_interval_s: float = Field(default=2.0, gt=0, description="also beats at once when readiness changes")
    heartbeat_ttl_s: float = Field(default=5.0, gt=0)
    settlement_pending_timeout_s: float = Field(default=60.0, gt=0)
    pending_new_timeout_s: float = Field(default=5.0, gt=0,
                                         description="longest an order may stay PENDING_NEW before the audit fails")
    matching_snapshot_every: int = Field(default=5000, ge=1, description="commands between book snapshots")
    matching_snapshot_interval_s: float = Field(default=5.0, gt=0)
    matching_instances: int = Field(default=1, ge=1, le=8)
    metrics_host: str = Field(default="127.0.0.1", description="where services serve /metrics (0.0.0.0 in containers)")
    order_entry_metrics_port: int = Field(default=9181, ge=1, le=65535, description="not the API's port: see README")
    settlement_metrics_port: int = Field(default=9182, ge=1, le=65535)
    bridge_metrics_port: int = Field(default=9183, ge=1, le=65535)
    oversight_metrics_port: int = Field(default=9184, ge=1, le=65535)
    matching_metrics_port: int = Field(default=9190, ge=1, le=65535,
                                       description="matching instance i (matching-i) serves on this port + i")

    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.kafka_host}:{self.kafka_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://{self.redis_host}:{self.redis_port}/0"

    @property
    def order_entry_url(self) -> str:
        return f"http://{self.order_entry_host}:{self.order_entry_port}"

    def metrics_port(self, component: str) -> int:
        """The port `component` serves /metrics on: a service name, or a matching instance `matching-{i}`."""
        service, _, index = component.partition("-")
        if service == "matching":
            return self.matching_metrics_port + (int(index) if index.isdigit() else 0)
        return getattr(self, f"{service}_metrics_port")

    def metrics_url(self, component: str) -> str:
        return f"http://{self.metrics_host}:{self.metrics_port(component)}/metrics"


def load_settings() -> Settings:
    return Settings()
