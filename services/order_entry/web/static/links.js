// Linkages: agreements with live quota use, flows per registry pair, corresponding adjustments per period,
// levy and cancellation totals. Re-read every few seconds (these change with settlements, not ticks).
"use strict";

const REFRESH_MS = 2000;

function quotaCell(direction) {
  const q = direction.quota;
  const share = q.cap ? Math.min(1, q.used / q.cap) : 0;
  const fill = el("span");
  fill.style.width = `${(share * 100).toFixed(1)}%`; // through the CSSOM: the CSP forbids inline style attributes
  const reserved = q.reserved ? ` + ${q.reserved} reserved` : "";
  return el("div", { class: "direction" }, `${direction.from_registry}→${direction.to_registry} `,
    el("span", { class: "quota", title: q.cap === null ? "no cap" : `${q.used} used, ${q.reserved} reserved of ${q.cap} t` }, fill),
    ` ${q.used}${reserved}${q.cap === null ? " t (no cap)" : ` / ${q.cap} t`}`);
}

function linkRow(link) {
  const e = link.eligibility;
  const vintages = e.min_vintage || e.max_vintage ? ` ${e.min_vintage || ""}–${e.max_vintage || ""}` : "";
  return el("tr", { "data-link": link.id, "data-status": link.status },
    el("td", { class: "text" }, link.id), el("td", { class: "text" }, link.kind),
    el("td", { class: "text" }, el("span", { class: "badge " + link.status }, link.status)),
    el("td", { class: "text" }, link.directions.map(quotaCell)),
    el("td", { class: "text" }, e.unit_types.join(", ") + vintages),
    el("td", {}, link.conversion.factor), el("td", {}, link.levies.share_of_proceeds),
    el("td", {}, link.levies.cancellation_share),
    el("td", { class: "text" }, `${link.suspension.in_flight}${link.suspension.mass_cancel_resting ? ", resting foreign orders cancelled" : ""}`));
}

function flowRows(flows) {
  return flows.map((f) => el("tr", {},
    el("td", { class: "text" }, `${f.registry_a} ⇄ ${f.registry_b}`), el("td", {}, f.a_to_b.transfers + f.b_to_a.transfers),
    el("td", {}, f.a_to_b.delivered), el("td", {}, f.b_to_a.delivered), el("td", {}, f.a_to_b.levy + f.b_to_a.levy),
    el("td", {}, f.a_to_b.cancelled + f.b_to_a.cancelled), el("td", {}, f.net_out_of_a)));
}

function corridorRows(corridors) {
  return corridors.flatMap((c) => c.readings.map((r) => el("tr", { "data-link": c.link_id, "data-instrument": r.instrument },
    el("td", { class: "text" }, c.link_id), el("td", { class: "text" }, r.instrument), el("td", {}, `${r.price} ${r.currency}`),
    el("td", {}, `${r.reference_price} ${c.corridor.currency}`), el("td", {}, c.corridor.floor), el("td", {}, c.corridor.ceiling),
    el("td", { class: "text" }, el("span", { class: "badge " + (r.breach ? "fail" : "ok") }, r.breach || "inside")),
    el("td", { class: "text" }, c.corridor.action),
    el("td", { class: "text" }, bandOverrideText(r.band_override)))));
}

function bandOverrideText(override) {
  if (!override) return "";
  const next = override.low === null ? "cleared" : `${override.low}–${override.high} ${override.currency}`;
  const now = override.in_force_low === null ? "" : ` (this session ${override.in_force_low}–${override.in_force_high})`;
  return next + now;
}

function positionRows(positions) {
  return positions.map((p) => el("tr", { "data-account": p.account, "data-asset": p.asset, "data-holding": p.holding },
    el("td", { class: "text" }, p.account), el("td", { class: "text" }, p.asset), el("td", {}, p.holding)));
}

function sumUnits(holdings) { return Object.values(holdings).reduce((a, b) => a + b, 0); }

// the periods offered are the exchange's current one (its answer without a period) and the six before it
function fillPeriods(select, current) {
  if (select.options.length) return;
  for (let y = current; y >= current - 6; y--) select.append(el("option", { value: y }, y));
  select.addEventListener("change", refresh);
}

async function refresh() {
  const select = document.getElementById("period");
  try {
    const [links, flows, adjustments, levies, corridors, positions] = await Promise.all([api("/v1/links"),
      api("/v1/links/flows"), api("/v1/adjustments" + (select.value ? "?period=" + select.value : "")), api("/v1/levies"),
      api("/v1/corridors"), api("/v1/positions")]);
    document.querySelector("#corridors tbody").replaceChildren(...corridorRows(corridors));
    document.querySelector("#positions tbody").replaceChildren(...positionRows(positions));
    fillPeriods(select, adjustments.period);
    document.querySelector("#links tbody").replaceChildren(...links.map(linkRow));
    document.querySelector("#flows tbody").replaceChildren(...flowRows(flows));
    barChart(document.getElementById("flows-chart"),
      flows.map((f) => ({ label: `${f.registry_a}→${f.registry_b} net`, value: f.net_out_of_a })));
    const adj = Object.entries(adjustments.adjustments).sort();
    document.querySelector("#adjustments tbody").replaceChildren(...adj.map(([registry, tonnes]) =>
      el("tr", {}, el("td", { class: "text" }, registry), el("td", {}, tonnes))));
    barChart(document.getElementById("adjustments-chart"), adj.map(([label, value]) => ({ label, value })));
    document.querySelector("#levies tbody").replaceChildren(...levies.map((l) => el("tr", {},
      el("td", { class: "text" }, l.registry), el("td", {}, sumUnits(l.levy)), el("td", {}, sumUnits(l.cancellation)))));
    banner(links.length ? "" : "no linkage agreements yet", "info");
  } catch (err) {
    showError(err);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  refresh();
  setInterval(refresh, REFRESH_MS);
});
