"""`carbonlink topics create | list`: the topic catalogue on the configured broker."""

from __future__ import annotations

import asyncio

import redis
import typer
from rich.console import Console
from rich.table import Table

from shared.kafka import create_topics
from shared.settings import load_settings
from shared.topic_incarnation import record_created
from shared.topics import ALL_TOPICS, partitions_for

app = typer.Typer(help="Create and list the Kafka topics Carbonlink uses.", no_args_is_help=True)
console = Console()


@app.command()
def create() -> None:
    """Create every catalogued topic that does not exist yet, with its configured partition count."""
    settings = load_settings()
    created = asyncio.run(create_topics(settings))
    with redis.Redis(host=settings.redis_host, port=settings.redis_port, socket_timeout=5) as client:
        record_created(client, created)
    console.print(f"created: {', '.join(created)}" if created else "every topic already exists")


@app.command("list")
def list_topics() -> None:
    """The catalogue: name, key, partitions, producers and consumers."""
    settings = load_settings()
    table = Table("topic", "key", "partitions", "producers", "consumers")
    for topic in ALL_TOPICS:
        table.add_row(topic.name, topic.key, str(partitions_for(topic, settings.default_partitions)),
                      ", ".join(topic.producers), ", ".join(topic.consumers) or "-")
    console.print(table)
