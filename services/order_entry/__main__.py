"""`python -m services.order_entry`: serve the HTTP API with uvicorn until SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn

from services.order_entry.app import create_app
from shared.runtime import ServiceContext, main_entry


class _Server(uvicorn.Server):
    def capture_signals(self):  # the runtime owns SIGTERM and SIGINT
        return contextlib.nullcontext()


async def main(ctx: ServiceContext) -> None:
    config = uvicorn.Config(create_app(ctx), host=ctx.settings.order_entry_host, port=ctx.settings.order_entry_port,
                            log_config=None, access_log=False, lifespan="on")
    server = _Server(config)
    serving = asyncio.create_task(server.serve())
    stopping = asyncio.create_task(ctx.stop.wait())
    await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    stopping.cancel()
    try:
        await serving
    except SystemExit:  # uvicorn exits this way when it cannot bind its port
        raise RuntimeError(f"order entry could not serve on {ctx.settings.order_entry_url}") from None


if __name__ == "__main__":
    main_entry("order_entry", main)
