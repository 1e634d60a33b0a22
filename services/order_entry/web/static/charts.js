// Tiny hand-written SVG charts: a line chart, a depth chart and signed horizontal bars.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function frame(svg) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const width = svg.clientWidth || 600, height = svg.clientHeight || 220;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  return { width, height, left: 56, right: 10, top: 10, bottom: 22 };
}

function empty(svg, box, message) {
  svg.append(svgEl("text", { x: box.width / 2, y: box.height / 2, "text-anchor": "middle" }, message));
}

function scale(min, max, from, to) {
  const span = max - min || 1;
  return (v) => from + ((v - min) / span) * (to - from);
}

// points: [{x: number, y: number}] sorted by x; labels format the axes
function lineChart(svg, points, { formatX = String, formatY = String } = {}) {
  const box = frame(svg);
  if (!points.length) return empty(svg, box, "no trades yet");
  const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
  const [ymin, ymax] = [Math.min(...ys), Math.max(...ys)];
  const pad = (ymax - ymin) * 0.1 || Math.abs(ymax) * 0.01 || 1;
  const sx = scale(Math.min(...xs), Math.max(...xs), box.left, box.width - box.right);
  const sy = scale(ymin - pad, ymax + pad, box.height - box.bottom, box.top);
  const d = points.map((p, i) => `${i ? "L" : "M"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join("");
  svg.append(svgEl("path", { d, class: "line" }));
  for (const p of points.slice(-40)) svg.append(svgEl("circle", { cx: sx(p.x), cy: sy(p.y), r: 2, class: "dot" }));
  for (const y of [ymin, ymax]) {
    svg.append(svgEl("text", { x: box.left - 4, y: sy(y) + 3, "text-anchor": "end" }, formatY(y)));
  }
  svg.append(svgEl("text", { x: box.left, y: box.height - 6 }, formatX(xs[0])));
  svg.append(svgEl("text", { x: box.width - box.right, y: box.height - 6, "text-anchor": "end" }, formatX(xs[xs.length - 1])));
}

// bids/asks: [{price: number, quantity: number}], best first; cumulative quantity as step areas
function depthChart(svg, bids, asks, { formatPrice = String } = {}) {
  const box = frame(svg);
  if (!bids.length && !asks.length) return empty(svg, box, "the book is empty");
  const cumulate = (levels) => { let total = 0; return levels.map((l) => ({ price: l.price, total: (total += l.quantity) })); };
  const cb = cumulate(bids), ca = cumulate(asks);
  const prices = [...cb, ...ca].map((l) => l.price);
  const maxTotal = Math.max(...cb.map((l) => l.total), ...ca.map((l) => l.total));
  const sx = scale(Math.min(...prices), Math.max(...prices), box.left, box.width - box.right);
  const sy = scale(0, maxTotal, box.height - box.bottom, box.top);
  const base = sy(0);
  const area = (levels, cls) => {
    if (!levels.length) return;
    let d = `M${sx(levels[0].price)},${base}`;
    let prev = 0;
    for (const l of levels) d += `L${sx(l.price)},${sy(prev)}L${sx(l.price)},${sy(l.total)}`, prev = l.total;
    d += `L${sx(levels[levels.length - 1].price)},${base}Z`;
    svg.append(svgEl("path", { d, class: cls }));
  };
  area(cb, "bid-area");
  area(ca, "ask-area");
  svg.append(svgEl("text", { x: box.left - 4, y: sy(maxTotal) + 3, "text-anchor": "end" }, `${maxTotal} t`));
  svg.append(svgEl("text", { x: box.left, y: box.height - 6 }, formatPrice(Math.min(...prices))));
  svg.append(svgEl("text", { x: box.width - box.right, y: box.height - 6, "text-anchor": "end" }, formatPrice(Math.max(...prices))));
}

// items: [{label, value}] signed; one labelled horizontal bar each around a zero line
function barChart(svg, items) {
  svg.style.height = `${Math.max(60, items.length * 30 + 20)}px`;
  const box = frame(svg);
  if (!items.length) return empty(svg, box, "nothing yet");
  const rowH = 30;
  const left = 8, right = box.width - 48;
  const maxAbs = Math.max(...items.map((i) => Math.abs(i.value)), 1);
  const zero = items.some((i) => i.value < 0) ? (left + right) / 2 : left;
  const half = items.some((i) => i.value < 0) ? (right - left) / 2 : right - left;
  const sx = (v) => zero + (v / maxAbs) * half;
  items.forEach((item, index) => {
    const y = box.top + index * rowH;
    const x1 = sx(Math.min(0, item.value)), x2 = sx(Math.max(0, item.value));
    svg.append(svgEl("text", { x: left, y: y + 9 }, item.label));
    svg.append(svgEl("rect", { x: x1, y: y + 12, width: Math.max(1, x2 - x1), height: rowH - 16,
                               class: item.value < 0 ? "bar-neg" : "bar-pos" }));
    svg.append(svgEl("text", { x: x2 + 4, y: y + rowH - 6 }, String(item.value)));
  });
  svg.append(svgEl("line", { x1: zero, x2: zero, y1: box.top + 10, y2: box.top + rowH * items.length, stroke: "#999" }));
}
