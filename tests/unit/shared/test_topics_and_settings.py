"""The topic catalogue and the settings every process shares."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.settings import Settings
from shared.topics import ALL_TOPICS, ORDERS_COMMANDS, REGISTRY_TRANSFERS, partitions_for


def test_topic_names_are_unique() -> None:
    names = [topic.name for topic in ALL_TOPICS]
    assert len(names) == len(set(names))


def test_instrument_keyed_topics_are_partitioned_and_the_rest_keep_one_order() -> None:
    assert partitions_for(ORDERS_COMMANDS, 8) == 8
    assert partitions_for(REGISTRY_TRANSFERS, 8) == 1


def test_settings_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARBONLINK_REDIS_PORT", "7001")
    monkeypatch.setenv("CARBONLINK_VAR_DIR", "/tmp/elsewhere")
    settings = Settings()
    assert settings.redis_url == "redis://127.0.0.1:7001/0"
    assert str(settings.var_dir) == "/tmp/elsewhere"


def test_a_fetch_wait_the_embedded_broker_cannot_serve_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARBONLINK_FETCH_MAX_WAIT_MS", "0")
    with pytest.raises(ValidationError):
        Settings()
