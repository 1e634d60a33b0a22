"""Structured JSON logging for every Carbonlink process (one JSON object per line)."""

from __future__ import annotations

import logging
import sys

import orjson


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


_RECONNECT_NOISE = ("Unable connect to node", "Unable to update metadata", "Got error produce response",
                    "Unable to request metadata")


def _quiet_reconnect_attempts(record: logging.LogRecord) -> bool:
    """aiokafka logs every reconnect attempt (ten a second); the runtime reports loss and recovery once each."""
    return not (record.name.startswith("aiokafka") and record.getMessage().startswith(_RECONNECT_NOISE))


def configure_logging(service: str, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    handler.addFilter(_quiet_reconnect_attempts)
