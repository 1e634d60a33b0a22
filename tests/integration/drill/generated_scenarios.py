"""Two-market drill scenarios drawn from a seed, for the benchmark-style tests: how many entities each market
has (5 to ``most``), their baselines, cuts and MAC slopes (unequal within a market: the highest up to four
times the lowest), and whether the phase after autarky links the markets fully or under a per-period cap
that binds. Reference prices start off the autarky equilibrium, so each market has to find it."""

from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path

import yaml

from carbonlink.drill.equilibrium import solve
from carbonlink.drill.phase_problems import phase_problems
from carbonlink.drill.scenario import parse_scenario

__all__ = ["generated_scenario"]


def _instrument(market: str, reference: str) -> dict:
    return {"id": f"{market}-ALW-2025", "registry": market, "currency": "CNY",
            "unit": {"origin": market, "type": "ALLOWANCE", "vintage": 2025},
            "tick": 1, "lot": 1, "min_qty": 1, "max_qty": 99999, "band": None, "reference_price": reference,
            "fees": {"maker_bps": 0, "taker_bps": 0},
            "sessions": [{"kind": "continuous", "start": "09:30", "end": "11:30"}]}


def _traders(market: str, draw: random.Random, most: int, slope_low: Fraction) -> dict:
    spread = Fraction(draw.randint(10, 40), 10)  # highest slope / lowest
    return {"instrument": f"{market}-ALW-2025",
            "compliance": {"generate": {"count": draw.randint(5, most),
                                        "baseline": {"low": 5000, "high": 20000},
                                        "cut": {"low": "0.02", "high": "0.08"},
                                        "slope": {"low": str(slope_low), "high": str(slope_low * spread)}}},
            "market_makers": {"count": 1, "spread": "0.02", "size": 50},
            "noise": {"count": 2, "rate": "6", "size": 20}}


def generated_scenario(seed: int, directory: Path, *, most: int = 12) -> Path:
    """Write the scenario of ``seed`` into ``directory``; returns its path."""
    draw = random.Random(seed)
    slope_a = Fraction(draw.randint(20, 80), 1000)
    slope_b = slope_a / Fraction(draw.randint(20, 50), 10)  # B abates 2 to 5 times more cheaply
    capped = draw.random() < 0.5
    a, b = f"G{seed}A", f"G{seed}B"  # ids of its own, so scenarios share a stack
    link = {"id": f"G{seed}-LINK", "kind": "bilateral", "from": b, "to": a, "unit_types": ["ALLOWANCE"]}
    second = {"name": "linked", "start_day": 2, "links": {link["id"]: "full"}}
    document = {
        "name": f"generated-{seed}", "seed": seed,
        "clock": {"start": "2025-07-07T00:00:00+08:00", "days_per_phase": 2, "session_minutes": 60},
        "reporting_currency": "CNY", "fx": {"CNY": "1"},
        "registries": [{"id": m, "name": f"Market {m}", "currency": "CNY", "utc_offset": "+08:00"} for m in (a, b)],
        "instruments": [_instrument(a, "10.00"), _instrument(b, "10.00")],
        "linkages": [link],
        "phases": [{"name": "autarky", "start_day": 0}, second],
        "traders": [_traders(a, draw, most, slope_a), _traders(b, draw, most, slope_b)],
    }
    scenario = parse_scenario(yaml.safe_dump(document, sort_keys=False))
    autarky, linked = phase_problems(scenario)
    if capped:  # a cap at 40-70% of the full link's flow, so it binds
        flow = solve(linked.markets, linked.arcs).arcs[f"{link['id']}:{b}>{a}"].flow
        link["caps"] = {"per_period": max(50, int(flow * draw.randint(40, 70) / 100))}
        second["links"] = {link["id"]: "restricted"}
    prices = solve(autarky.markets).markets
    for instrument, market in zip(document["instruments"], (a, b)):
        off = Fraction(draw.randint(85, 115), 100)
        instrument["reference_price"] = f"{float(prices[market].price * off):.2f}"
    path = directory / f"generated-{seed}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path
