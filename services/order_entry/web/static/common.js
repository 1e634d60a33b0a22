// Shared by every page: calling the JSON API, showing errors (never a stack trace), exact money formatting,
// and the live WebSocket stream with reconnection.
"use strict";

const KEY_STORAGE = "carbonlink.operatorKey";

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

function operatorKey() { return sessionStorage.getItem(KEY_STORAGE) || ""; }

async function api(path, { method = "GET", body, key } = {}) {
  const headers = { "Accept": "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["X-API-Key"] = key;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (_) {
    throw new ApiError(0, "UNREACHABLE", "the exchange did not answer; retrying");
  }
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (!response.ok) {
    const code = data && data.code ? data.code : "HTTP_" + response.status;
    const message = data && typeof data.message === "string" ? data.message : "the request failed";
    throw new ApiError(response.status, code, message);
  }
  return data;
}

function banner(message, kind = "error") {
  const box = document.getElementById("banner");
  if (!box) return;
  box.textContent = message || "";
  box.className = message ? "show " + kind : "";
}

function showError(err) {
  banner(err instanceof ApiError ? `${err.message} (${err.code})` : "something went wrong on this page; reload it");
}

window.addEventListener("error", () => banner("something went wrong on this page; reload it"));
window.addEventListener("unhandledrejection", (event) => { event.preventDefault(); showError(event.reason); });

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// --- exact decimal money: BigInt minor units, no floats on prices ---------------------------------------

function toMinor(decimal, digits) {
  const text = String(decimal);
  const negative = text.startsWith("-");
  const [whole, frac = ""] = text.replace("-", "").split(".");
  const minor = BigInt(whole || "0") * 10n ** BigInt(digits) + BigInt((frac + "0".repeat(digits)).slice(0, digits) || "0");
  return negative ? -minor : minor;
}

function fromMinor(minor, digits) {
  const value = BigInt(minor);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  if (digits === 0) return (negative ? "-" : "") + abs.toString();
  const scale = 10n ** BigInt(digits);
  const frac = (abs % scale).toString().padStart(digits, "0");
  return (negative ? "-" : "") + (abs / scale).toString() + "." + frac;
}

function parseRate(text) {
  // "0.048" or "6/125" → {n, d} as BigInts
  const [a, b] = String(text).split("/");
  if (b !== undefined) return { n: BigInt(a), d: BigInt(b) };
  const [whole, frac = ""] = a.split(".");
  return { n: BigInt(whole + frac), d: 10n ** BigInt(frac.length) };
}

// minor units of one currency → minor units of another at `rate` (value of one unit), rounded down
function convertMinor(minor, fromDigits, rate, toDigits) {
  const num = BigInt(minor) * rate.n * 10n ** BigInt(toDigits);
  const den = rate.d * 10n ** BigInt(fromDigits);
  const q = num / den;
  return num < 0n && num % den !== 0n ? q - 1n : q;
}

const CURRENCY_DIGITS = { CNY: 2, JPY: 0, KRW: 0, EUR: 2, USD: 2, CAD: 2, CHF: 2 };

function formatTime(ms) {
  if (!ms) return "";
  return new Date(Number(ms)).toISOString().replace("T", " ").slice(0, 19);
}

// --- live stream ------------------------------------------------------------------------------------------

class Stream {
  constructor(onMessage) {
    this.onMessage = onMessage;
    this.channels = new Set();
    this.retry = 500;
    this.connect();
  }
  connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.ws = new WebSocket(`${scheme}//${location.host}/v1/stream`);
    this.ws.addEventListener("open", () => { this.retry = 500; this.status("live"); this.send(); });
    this.ws.addEventListener("message", (event) => {
      let item;
      try { item = JSON.parse(event.data); } catch (_) { return; }
      if (item.channel) this.onMessage(item);
    });
    this.ws.addEventListener("close", () => {
      this.status("reconnecting");
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 8000);
    });
  }
  subscribe(channels) {
    const fresh = channels.filter((c) => !this.channels.has(c));
    fresh.forEach((c) => this.channels.add(c));
    if (fresh.length) this.send(fresh);
  }
  send(channels = [...this.channels]) {
    if (this.ws.readyState === WebSocket.OPEN && channels.length) {
      this.ws.send(JSON.stringify({ op: "subscribe", channels }));
    }
  }
  status(text) {
    const node = document.getElementById("live");
    if (node) { node.textContent = text; node.dataset.state = text; }
  }
}
