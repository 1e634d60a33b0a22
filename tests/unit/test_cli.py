"""The operator command line: every group answers --help, and `matching replay` keeps its contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from carbonlink.cli import app

runner = CliRunner()


@pytest.mark.parametrize("words", [
    [], ["stack"], ["topics"], ["keys"], ["scenario"], ["drill"], ["matching"], ["bridge"], ["bench"],
    ["audit"], ["run"],
])
def test_every_command_answers_help(words: list[str]) -> None:
    result = runner.invoke(app, [*words, "--help"])
    assert result.exit_code == 0, result.output


def test_replay_writes_trades_and_book_and_ends_with_the_throughput(tmp_path: Path) -> None:
    stream = tmp_path / "in.csv"
    stream.write_text(
        "seq,ts,op,order_id,account,side,type,tif,price,qty\n"
        "1,1,NEW,s1,CN-BJ/a,SELL,LIMIT,GTC,100,5\n"
        "2,2,NEW,b1,CN-BJ/b,BUY,LIMIT,GTC,101,3\n"
        "3,3,CANCEL,missing,,,,,,\n"
        "4,4,NEW,b2,CN-BJ/b,BUY,MARKET,IOC,,4\n"
    )
    trades, book = tmp_path / "out.csv", tmp_path / "book.csv"
    result = runner.invoke(app, ["matching", "replay", str(stream), "--trades", str(trades), "--book", str(book)])
    assert result.exit_code == 0, result.output
    float(result.output.strip().splitlines()[-1])
    assert trades.read_text().splitlines() == [
        "trade_seq,buy_order_id,sell_order_id,price,qty,aggressor_side",
        "1,b1,s1,100,3,BUY",
        "2,b2,s1,100,2,BUY",
    ]
    assert book.read_text().splitlines() == ["side,price,order_id,qty"]


def test_stack_restart_of_an_unknown_component_names_the_known_ones_and_stops_nothing(tmp_path: Path,
                                                                                      monkeypatch) -> None:
    monkeypatch.setenv("CARBONLINK_VAR_DIR", str(tmp_path / "var"))
    result = runner.invoke(app, ["stack", "restart", "matcher"])
    assert result.exit_code == 1
    assert "unknown component 'matcher'" in result.output and "settlement" in result.output
    assert not (tmp_path / "var" / "pids").exists()
