"""A bounded schema-driven fuzz run (schemathesis) against the real order entry process: no input gives a 5xx."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from carbonlink.servers import free_port
from services.order_entry.principals import PrincipalStore, Role
from tests.integration.order_entry.conftest import settings_for
from tests.polling import eventually

pytestmark = pytest.mark.integration

ST = Path(sys.executable).with_name("st")


@pytest.mark.skipif(not ST.exists(), reason="schemathesis is not installed in the venv")
async def test_a_bounded_fuzz_run_over_the_openapi_document_finds_no_server_error(
        redis_url: str, kafka_bootstrap: str, redis_client, tmp_path: Path) -> None:
    settings = settings_for(redis_url, kafka_bootstrap)
    port = free_port()
    env = os.environ | {"CARBONLINK_KAFKA_HOST": settings.kafka_host, "CARBONLINK_KAFKA_PORT": str(settings.kafka_port),
                        "CARBONLINK_REDIS_HOST": settings.redis_host, "CARBONLINK_REDIS_PORT": str(settings.redis_port),
                        "CARBONLINK_ORDER_ENTRY_PORT": str(port), "CARBONLINK_VAR_DIR": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "-m", "services.order_entry"], env=env, cwd=Path(__file__).parents[3],
                              stdout=subprocess.DEVNULL, stderr=open(tmp_path / "server.log", "wb"))
    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base) as client:
            async def serving() -> bool:
                try:
                    return (await client.get("/openapi.json")).status_code == 200
                except httpx.TransportError:
                    return False

            # A loaded 2-core machine takes 20-35 s to import and start order entry.
            await eventually(serving, what="order entry to serve its OpenAPI document", timeout=90)
            redis = aioredis.Redis.from_url(redis_url)
            _, key = await PrincipalStore(redis).create_key(principal="fuzz-ops", role=Role.OPERATOR,
                                                           rate=100_000, burst=100_000)
            await redis.aclose()
            ops = {"X-API-Key": key}
            await client.post("/v1/admin/registries", json={"id": "CN-BJ", "currency": "CNY"}, headers=ops)
        run = await asyncio.to_thread(
            subprocess.run,
            [str(ST), "run", f"{base}/openapi.json", "--checks", "not_a_server_error", "--max-examples", "8",
             "--header", f"X-API-Key: {key}", "--request-timeout", "10", "--seed", "1",
             "--exclude-checks", "positive_data_acceptance", "--exclude-path", "/healthz",
             "--suppress-health-check", "all"],
            capture_output=True, text=True, timeout=600)  # bounded by --max-examples; this only stops a hang
        assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-2000:]
    finally:
        server.terminate()
        server.wait(timeout=10)
