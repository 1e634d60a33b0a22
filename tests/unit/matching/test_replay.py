"""The replay tool function: CSV order stream in, trades and resting book CSV out."""

import csv

from carbonlink.replay import replay

HEADER = "seq,ts,op,order_id,account,side,type,tif,price,qty\n"


def write(tmp_path, rows):
    path = tmp_path / "in.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows))
    return path


def read(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_replay_writes_trades_in_execution_order_and_the_resting_book(tmp_path):
    source = write(tmp_path, [
        "1,1000,NEW,s1,CN-BJ/a,SELL,LIMIT,GTC,101,5",
        "2,1001,NEW,s2,CN-BJ/a,SELL,LIMIT,GTC,100,5",
        "3,1002,NEW,b1,CN-SH/b,BUY,LIMIT,GTC,99,4",
        "4,1003,NEW,b2,CN-SH/b,BUY,LIMIT,GTC,99,3",
        "5,1004,NEW,m1,CN-SH/c,BUY,MARKET,IOC,,7",
        "6,1005,AMEND,b1,,,,,99,2",
        "7,1006,AMEND,b2,,,,,100,3",
        "8,1007,NEW,f1,CN-SH/c,SELL,LIMIT,FOK,99,10",
        "9,1008,CANCEL,s1,,,,,,",
    ])
    result = replay(source, tmp_path / "trades.csv", tmp_path / "book.csv")
    assert read(tmp_path / "trades.csv") == [
        ["trade_seq", "buy_order_id", "sell_order_id", "price", "qty", "aggressor_side"],
        ["1", "m1", "s2", "100", "5", "BUY"],
        ["2", "m1", "s1", "101", "2", "BUY"],
    ]
    assert read(tmp_path / "book.csv") == [
        ["side", "price", "order_id", "qty"],
        ["BUY", "100", "b2", "3"],
        ["BUY", "99", "b1", "2"],
    ]
    assert (result.rows, result.trades, result.rejected, result.resting_orders) == (9, 2, 1, 2)
    assert result.orders_per_second > 0


def test_invalid_rows_are_rejected_without_trades_and_the_replay_goes_on(tmp_path):
    source = write(tmp_path, [
        "1,1,NEW,s1,CN-BJ/a,SELL,LIMIT,GTC,100,5",
        "2,2,NEW,s1,CN-BJ/a,SELL,LIMIT,GTC,90,5",      # duplicate id
        "3,3,CANCEL,nope,,,,,,",                       # unknown order
        "4,4,AMEND,nope,,,,,100,1",                    # unknown order
        "5,5,NEW,b0,CN-SH/b,BUY,LIMIT,GTC,100,0",      # quantity 0
        "6,6,NEW,b1,CN-SH/b,BUY,LIMIT,GTC,100,-2",     # negative quantity
        "7,7,NEW,b2,CN-SH/b,BUY,LIMIT,GTC,abc,2",      # unparsable price
        "8,8,NEW,b3,CN-SH/b,BUY,LIMIT,GTC,100,2.5",    # unparsable quantity
        "9,9,AMEND,s1,,,,,100,0",                      # amend to zero
        "10,10,FROB,s1,,,,,,",                         # unknown op
        "11,11,NEW,b4,CN-SH/b,BUY,LIMIT,GTC,100,2",
    ])
    result = replay(source, tmp_path / "trades.csv")
    assert read(tmp_path / "trades.csv")[1:] == [["1", "b4", "s1", "100", "2", "BUY"]]
    assert (result.rows, result.rejected, result.unparsable, result.trades) == (11, 9, 3, 1)


def test_the_book_file_is_only_written_when_asked(tmp_path):
    source = write(tmp_path, ["1,1,NEW,s1,CN-BJ/a,SELL,LIMIT,GTC,100,5"])
    replay(source, tmp_path / "trades.csv")
    assert not (tmp_path / "book.csv").exists()
    assert read(tmp_path / "trades.csv") == [["trade_seq", "buy_order_id", "sell_order_id", "price", "qty",
                                              "aggressor_side"]]
