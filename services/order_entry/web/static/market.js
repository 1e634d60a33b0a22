// One market: depth chart and book from /v1/markets/{id}/book, recent trades, an intraday price line; the
// book, trades and phase follow the WebSocket.
"use strict";

const instrumentId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
const state = { digits: 2, bids: new Map(), asks: new Map(), trades: [], phase: "" };
const MAX_TRADES = 200;
let pending = false;

function fmt(minor) { return fromMinor(minor, state.digits); }

function levels(side, bestHigh) {
  return [...side.entries()].filter(([, l]) => l.quantity > 0)
    .sort((a, b) => (bestHigh ? b[0] - a[0] : a[0] - b[0])).slice(0, 50)
    .map(([price, l]) => ({ price, quantity: l.quantity, orders: l.orders }));
}

function draw() {
  pending = false;
  const bids = levels(state.bids, true), asks = levels(state.asks, false);
  depthChart(document.getElementById("depth"), bids, asks, { formatPrice: (p) => fmt(BigInt(Math.round(p))) });
  const rows = [];
  for (let i = 0; i < Math.min(15, Math.max(bids.length, asks.length)); i++) {
    const b = bids[i], a = asks[i];
    rows.push(el("tr", {}, el("td", {}, b ? b.orders : ""), el("td", {}, b ? b.quantity : ""),
      el("td", { class: "up" }, b ? fmt(BigInt(b.price)) : ""), el("td", { class: "down" }, a ? fmt(BigInt(a.price)) : ""),
      el("td", {}, a ? a.quantity : ""), el("td", {}, a ? a.orders : "")));
  }
  document.querySelector("#book tbody").replaceChildren(...rows);
  document.querySelector("#trades tbody").replaceChildren(...state.trades.slice(0, 30).map((t) =>
    el("tr", {}, el("td", { class: "text" }, formatTime(t.at)), el("td", {}, fmt(BigInt(t.price))),
      el("td", {}, t.quantity), el("td", { class: "text" }, t.aggressor_side || ""))));
  const points = state.trades.slice().reverse().map((t) => ({ x: t.at, y: t.price }));
  lineChart(document.getElementById("price"), points,
    { formatX: (ms) => formatTime(ms).slice(11), formatY: (p) => fmt(BigInt(Math.round(p))) });
  const phase = document.getElementById("phase");
  phase.textContent = state.phase;
  phase.className = "badge " + state.phase;
}

function redraw() {
  if (!pending) { pending = true; requestAnimationFrame(draw); }
}

function onEvent(item) {
  if (item.data.instrument !== instrumentId) return;
  if (item.type === "BookDelta") {
    const side = item.data.side === "BUY" ? state.bids : state.asks;
    if (item.data.quantity > 0) side.set(item.data.price, { quantity: item.data.quantity, orders: item.data.order_count });
    else side.delete(item.data.price);
  } else if (item.type === "TradeExecuted") {
    state.trades.unshift({ price: item.data.price, quantity: item.data.quantity, at: item.at,
                           aggressor_side: item.data.aggressor_side });
    state.trades.length = Math.min(state.trades.length, MAX_TRADES);
  } else if (item.type === "PhaseChanged") {
    state.phase = item.data.phase;
  }
  redraw();
}

async function load() {
  document.getElementById("title").textContent = instrumentId;
  document.title = `${instrumentId} · Carbonlink`;
  try {
    const instruments = await api("/v1/instruments");
    const instrument = instruments.find((i) => i.id === instrumentId);
    if (!instrument) { banner(`no instrument ${instrumentId} is listed`); return; }
    state.digits = CURRENCY_DIGITS[instrument.currency] ?? (instrument.tick.split(".")[1] || "").length;
    state.phase = instrument.phase;
    document.getElementById("facts").textContent = [
      `registry ${instrument.registry}`, `currency ${instrument.currency}`, `unit ${instrument.unit_asset}`,
      `tick ${instrument.tick}`, `lot ${instrument.lot} t`,
      instrument.band ? `band ±${instrument.band} around ${instrument.reference_price}` : "no price band",
    ].join(" · ");
    const stream = new Stream(onEvent);
    stream.subscribe([`book:${instrumentId}`, `trades:${instrumentId}`, `phase:${instrumentId}`]);
    const path = "/v1/markets/" + encodeURIComponent(instrumentId);
    const [book, trades] = await Promise.all([api(path + "/book?depth=50"), api(path + "/trades?limit=" + MAX_TRADES)]);
    const minor = (p) => Number(toMinor(p, state.digits));
    for (const l of book.bids) state.bids.set(minor(l.price), { quantity: l.quantity, orders: l.orders });
    for (const l of book.asks) state.asks.set(minor(l.price), { quantity: l.quantity, orders: l.orders });
    state.phase = book.phase;
    state.trades = trades.map((t) => ({ price: minor(t.price), quantity: t.quantity, at: t.at, aggressor_side: t.aggressor_side }));
    draw();
  } catch (err) {
    showError(err);
  }
}

document.addEventListener("DOMContentLoaded", load);
