// Markets overview: one row per instrument from /v1/markets/summary, kept live by trades and phase changes
// pushed over the WebSocket; the list itself is re-read now and then to pick up newly listed instruments.
"use strict";

const markets = new Map(); // id → {line, row, digits}
let fx = { reporting_currency: null, rates: {} };
let stream;

function reportingText(market) {
  if (market.last === null) return "";
  const rate = parseRate(fx.rates[market.line.currency] || "1");
  const toCcy = fx.reporting_currency;
  const toDigits = toCcy && toCcy in CURRENCY_DIGITS ? CURRENCY_DIGITS[toCcy] : market.digits;
  const value = fromMinor(convertMinor(market.last, market.digits, rate, toDigits), toDigits);
  return toCcy ? `${value} ${toCcy}` : value;
}

function render(market) {
  const { line, digits } = market;
  const cells = market.row.children;
  const change = market.last !== null && market.reference !== null ? market.last - market.reference : null;
  const bps = change !== null && market.reference ? Number((change * 10000n) / market.reference) : null;
  const cls = change === null || change === 0n ? "" : change > 0n ? "up" : "down";
  cells[2].replaceChildren(el("span", { class: "badge " + market.phase }, market.phase));
  cells[3].textContent = market.last === null ? "—" : fromMinor(market.last, digits);
  cells[5].textContent = reportingText(market) || "—";
  cells[6].textContent = change === null ? "—" : (change > 0n ? "+" : "") + fromMinor(change, digits);
  cells[7].textContent = bps === null ? "—" : (bps > 0 ? "+" : "") + (bps / 100).toFixed(2) + "%";
  cells[6].className = cells[7].className = cls;
  cells[8].textContent = market.volume;
  cells[9].textContent = market.trades;
  cells[12].textContent = formatTime(market.lastAt);
  market.row.dataset.last = market.last === null ? "" : fromMinor(market.last, digits);
  market.row.dataset.phase = market.phase;
}

function addMarket(line) {
  const row = el("tr", { "data-instrument": line.id, "data-updates": "0" },
    el("td", { class: "text" }, el("a", { href: "/ui/markets/" + encodeURIComponent(line.id) }, line.id)),
    el("td", { class: "text" }, line.registry), el("td", { class: "text" }), el("td", { class: "price" }),
    el("td", { class: "text" }, line.currency), el("td"), el("td"), el("td"), el("td"), el("td"),
    el("td", {}, line.band_low || "—"), el("td", {}, line.band_high || "—"), el("td", { class: "text" }));
  document.querySelector("#markets tbody").append(row);
  return row;
}

function accept(line) {
  const digits = line.minor_digits;
  const known = markets.get(line.id);
  const market = known || { row: addMarket(line), digits };
  Object.assign(market, {
    line, phase: line.phase,
    last: line.last_price === null ? null : toMinor(line.last_price, digits),
    reference: line.reference_price === null ? null : toMinor(line.reference_price, digits),
    volume: line.volume, trades: line.trades, lastAt: line.last_at,
  });
  markets.set(line.id, market);
  render(market);
  return known ? [] : [`trades:${line.id}`, `phase:${line.id}`];
}

function onEvent(item) {
  const market = markets.get(item.data.instrument);
  if (!market) return;
  if (item.type === "TradeExecuted") {
    market.last = BigInt(item.data.price);
    market.volume += item.data.quantity;
    market.trades += 1;
    market.lastAt = item.at;
  } else if (item.type === "PhaseChanged") {
    market.phase = item.data.phase;
  } else {
    return;
  }
  render(market);
  market.row.dataset.updates = String(Number(market.row.dataset.updates) + 1);
  const price = market.row.children[3];
  price.classList.remove("flash");
  void price.offsetWidth; // restart the animation
  price.classList.add("flash");
}

async function load() {
  try {
    const [lines, rates] = await Promise.all([api("/v1/markets/summary"), api("/v1/fx")]);
    fx = rates;
    document.getElementById("reporting").textContent = fx.reporting_currency
      ? `(${fx.reporting_currency})` : "(no fx rates loaded: shown 1:1)";
    const fresh = lines.flatMap(accept);
    if (!lines.length) banner("no instruments are listed yet", "info"); else banner("");
    stream.subscribe(fresh);
  } catch (err) {
    showError(err);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  stream = new Stream(onEvent);
  load();
  setInterval(load, 15000);
});
