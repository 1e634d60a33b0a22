"""`carbonlink matching replay`: run the pure matching core over one instrument's order stream from a CSV file."""

from __future__ import annotations

from pathlib import Path

import typer

from carbonlink.replay import replay as replay_stream

app = typer.Typer(help="Tools around the matching core.", no_args_is_help=True)


@app.command()
def replay(
    stream: Path = typer.Argument(..., exists=True, dir_okay=False, help="IN.csv: seq,ts,op,order_id,account,side,type,tif,price,qty"),
    trades: Path = typer.Option(..., "--trades", help="OUT.csv: trade_seq,buy_order_id,sell_order_id,price,qty,aggressor_side"),
    book: Path | None = typer.Option(None, "--book", help="BOOK.csv: side,price,order_id,qty of the orders left resting"),
) -> None:
    """Continuous trading, no band, no self-trade prevention; the last line printed is the core's orders/s."""
    result = replay_stream(stream, trades, book)
    typer.echo(f"rows {result.rows}, rejected {result.rejected} (unparsable {result.unparsable}), "
               f"trades {result.trades}, resting {result.resting_orders}, core {result.core_seconds:.3f}s "
               "(garbage collector off while timed)")
    typer.echo(f"{result.orders_per_second:.0f}")
