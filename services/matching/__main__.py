"""`python -m services.matching`: run the matching service until SIGTERM."""

from shared.runtime import ServiceContext, main_entry


async def main(ctx: ServiceContext) -> None:
    await ctx.stop.wait()


if __name__ == "__main__":
    main_entry("matching", main)
