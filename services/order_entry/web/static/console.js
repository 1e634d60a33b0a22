// Operator console: the key lives in sessionStorage and goes out as X-API-Key. Phase changes, link suspension
// and resumption (showing the in-flight policy first), band overrides (cleared here), allocations, health and
// the latest audit.
"use strict";

const PHASES = ["PRE_OPEN", "OPENING_AUCTION", "CONTINUOUS", "CLOSING_AUCTION", "HALTED", "CLOSED"];

function requireKey() {
  const key = operatorKey();
  if (!key) {
    banner("enter an operator key first: operator actions are refused without one");
    return null;
  }
  return key;
}

function report(title, body) {
  document.getElementById("result").textContent = `${new Date().toISOString().slice(11, 19)} ${title}\n` +
    (typeof body === "string" ? body : JSON.stringify(body, null, 2));
}

// A confirmation panel (not window.confirm): shows what will happen and resolves true/false.
function confirmAction(title, detail) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-detail").textContent = detail;
  return new Promise((resolve) => {
    const done = (answer) => () => { dialog.close(); ok.onclick = cancel.onclick = null; resolve(answer); };
    const ok = document.getElementById("confirm-ok"), cancel = document.getElementById("confirm-cancel");
    ok.onclick = done(true);
    cancel.onclick = done(false);
    dialog.showModal();
  });
}

async function act(title, path, body, method = "POST") {
  const key = requireKey();
  if (!key) return null;
  try {
    const answer = await api(path, { method, body: method === "DELETE" ? undefined : body ?? {}, key });
    banner(`${title}: ${answer && answer.command_id ? "sent to the bridge" : "done"}`, "info");
    report(title, answer);
    return answer;
  } catch (err) {
    showError(err);
    report(title + " refused", `${err.code || "ERROR"}: ${err.message}`);
    return null;
  } finally {
    refresh();
  }
}

async function changePhase(instrument, phase, referencePrice) {
  const body = { phase };
  if (referencePrice) body.reference_price = referencePrice;
  if (await confirmAction(`Move ${instrument} to ${phase}?`,
    referencePrice ? `reference price ${referencePrice}` : "the reference price stays as it is")) {
    await act(`${instrument} → ${phase}`, `/v1/admin/instruments/${encodeURIComponent(instrument)}/phase`, body);
  }
}

function instrumentRow(line) {
  const select = el("select", {}, PHASES.map((p) => el("option", { value: p, selected: p === line.phase }, p)));
  const reference = el("input", { placeholder: "reference price (optional)", size: 16 });
  return el("tr", { "data-instrument": line.id },
    el("td", { class: "text" }, line.id),
    el("td", { class: "text" }, el("span", { class: "badge " + line.phase }, line.phase)),
    el("td", { class: "text" },
      el("button", { type: "button", onclick: () => changePhase(line.id, "HALTED") }, "Halt"), " ",
      el("button", { type: "button", onclick: () => changePhase(line.id, "CONTINUOUS") }, "Resume"), " ",
      el("button", { type: "button", onclick: () => changePhase(line.id, "OPENING_AUCTION") }, "Open auction"), " ",
      el("button", { type: "button", onclick: () => changePhase(line.id, "CLOSING_AUCTION") }, "Close auction"), " ",
      select, " ", reference, " ",
      el("button", { type: "button", onclick: () => changePhase(line.id, select.value, reference.value.trim()) }, "Apply")));
}

function policyText(link) {
  const p = link.suspension;
  return [
    `trades in flight (matched, not yet delivered): ${p.in_flight === "SETTLE" ? "still settle" : "are refused at once; both sides are released"}`,
    `resting orders for foreign units: ${p.mass_cancel_resting ? "mass-cancelled" : "left in the book"}`,
  ].join("\n");
}

async function linkAction(link, action) {
  const detail = action === "suspend"
    ? `Suspension takes effect at once.\n${policyText(link)}` : "Deliveries across this link are allowed again.";
  if (await confirmAction(`${action === "suspend" ? "Suspend" : "Resume"} link ${link.id}?`, detail)) {
    const accepted = await act(`${action} ${link.id}`, `/v1/admin/links/${encodeURIComponent(link.id)}/${action}`);
    if (accepted) await showCommandResult(`${action} ${link.id}`, accepted);
  }
}

// The bridge executes link commands: poll the command's result (404 LINK_COMMAND_PENDING until it is there).
async function showCommandResult(title, accepted) {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const result = await api(accepted.result, { key: operatorKey() });
      banner(`${title}: ${result.outcome === "DONE" ? "done" : "refused (" + result.code + ")"}`, "info");
      report(title, result);
      refresh();
      return;
    } catch (err) {
      if (err.code !== "LINK_COMMAND_PENDING") { showError(err); return; }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  banner(`${title}: the bridge has not answered yet (command ${accepted.command_id})`);
}

function linkRow(link) {
  const live = link.status !== "TERMINATED";
  return el("tr", { "data-link": link.id, "data-status": link.status },
    el("td", { class: "text" }, link.id),
    el("td", { class: "text" }, el("span", { class: "badge " + link.status }, link.status)),
    el("td", { class: "text" }, policyText(link).replace("\n", "; ")),
    el("td", { class: "text" },
      el("button", { type: "button", class: "suspend", disabled: !live || link.status === "SUSPENDED",
                     onclick: () => linkAction(link, "suspend") }, "Suspend"), " ",
      el("button", { type: "button", class: "resume", disabled: !live || link.status === "ACTIVE",
                     onclick: () => linkAction(link, "resume") }, "Resume")));
}

async function loadHealth() {
  let data;
  try {
    const response = await fetch("/healthz");
    data = await response.json();
  } catch (_) {
    data = { components: { order_entry: { healthy: false, error: "no answer" } } };
  }
  document.querySelector("#health tbody").replaceChildren(...Object.entries(data.components || {}).map(([name, c]) =>
    el("tr", { "data-component": name }, el("td", { class: "text" }, name),
      el("td", { class: "text" }, el("span", { class: "badge " + (c.healthy ? "ok" : "fail") }, c.healthy ? "healthy" : "unhealthy")),
      el("td", { class: "text" }, c.error || (c.instances !== undefined ? `${c.instances} instance(s)` : "")))));
}

async function loadAudit() {
  const key = operatorKey();
  const stateText = document.getElementById("audit-state");
  if (!key) { stateText.textContent = "needs an operator key"; return; }
  try {
    const audit = await api("/v1/admin/audit", { key });
    stateText.replaceChildren(el("span", { class: "badge " + (audit.ok ? "ok" : "fail"), id: "audit-ok" },
      audit.ok ? "books balance" : "PROBLEMS FOUND"), ` computed ${formatTime(audit.computed_at)} UTC`);
    document.querySelector("#audit tbody").replaceChildren(...audit.checks.map((c) => el("tr", {},
      el("td", { class: "text" }, c.name),
      el("td", { class: "text" }, el("span", { class: "badge " + (c.ok ? "ok" : "fail") }, c.ok ? "ok" : "failed")),
      el("td", {}, c.problems.length))));
  } catch (err) {
    stateText.textContent = `${err.message} (${err.code})`;
  }
}

async function loadAlerts() {
  const key = operatorKey();
  const stateText = document.getElementById("alerts-state");
  if (!key) { stateText.textContent = "needs an operator key"; return; }
  try {
    const page = await api("/v1/admin/alerts?limit=50", { key });
    stateText.textContent = page.alerts.length ? "newest first" : "no alerts";
    document.querySelector("#alerts tbody").replaceChildren(...page.alerts.map((a) => el("tr", { "data-code": a.code },
      el("td", { class: "text" }, formatTime(a.raised_at)), el("td", { class: "text" }, a.code),
      el("td", { class: "text" }, el("span", { class: "badge " + (a.severity === "HIGH" ? "fail" : "warn") }, a.severity)),
      el("td", { class: "text" }, a.subject), el("td", { class: "text" }, a.owner), el("td", { class: "text" }, a.summary),
      el("td", { class: "text" }, a.evidence.join(" ")))));
  } catch (err) {
    stateText.textContent = `${err.message} (${err.code})`;
  }
}

async function clearBandOverride(override) {
  if (await confirmAction(`Clear the band override of ${override.instrument}?`,
    "every corridor's override of it is lifted: the static band applies alone again from the next session " +
    "(the next reference price)")) {
    await act(`${override.instrument} band override cleared`,
      `/v1/admin/instruments/${encodeURIComponent(override.instrument)}/band-override`, undefined, "DELETE");
  }
}

function range(low, high, currency) {
  return low === null ? "none" : `${low}–${high} ${currency}`;
}

async function loadBandOverrides() {
  const key = operatorKey();
  const stateText = document.getElementById("band-overrides-state");
  if (!key) { stateText.textContent = "needs an operator key"; return; }
  try {
    const overrides = await api("/v1/admin/band-overrides", { key });
    stateText.textContent = overrides.length ? "set by a corridor whose action is BAND" : "no band overrides";
    document.querySelector("#band-overrides tbody").replaceChildren(...overrides.map((o) =>
      el("tr", { "data-instrument": o.instrument, "data-pinned": o.pinned },
        el("td", { class: "text" }, o.instrument),
        el("td", { class: "text" },
          range(o.low, o.high, o.currency) + (o.pinned ? " (pinned: the corridors share no price)" : "")),
        el("td", { class: "text" }, range(o.in_force_low, o.in_force_high, o.currency)),
        el("td", { class: "text" }, o.reason),
        el("td", { class: "text" }, el("button", { type: "button", class: "clear-band", disabled: o.low === null,
          onclick: () => clearBandOverride(o) }, "Clear")))));
  } catch (err) {
    stateText.textContent = `${err.message} (${err.code})`;
  }
}

let shownPhases = "";

async function refresh() {
  try {
    const [lines, links] = await Promise.all([api("/v1/markets/summary"), api("/v1/links")]);
    const phases = JSON.stringify(lines.map((l) => [l.id, l.phase]));
    if (phases !== shownPhases) { // re-rendering would wipe what the operator is typing
      shownPhases = phases;
      document.querySelector("#instruments tbody").replaceChildren(...lines.map(instrumentRow));
    }
    document.querySelector("#console-links tbody").replaceChildren(...links.map(linkRow));
  } catch (err) {
    showError(err);
  }
  loadHealth();
  loadAlerts();
  loadBandOverrides();
}

function showKeyState() {
  document.getElementById("key-state").textContent = operatorKey() ? "a key is set for this tab" : "no key set";
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("key");
    if (input.value.trim()) sessionStorage.setItem(KEY_STORAGE, input.value.trim());
    input.value = "";
    showKeyState();
    banner("");
    loadAudit();
  });
  document.getElementById("forget").addEventListener("click", () => {
    sessionStorage.removeItem(KEY_STORAGE);
    showKeyState();
    loadAudit();
  });
  document.getElementById("audit-run").addEventListener("click", loadAudit);
  document.getElementById("allocate").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const account = String(form.get("account")).trim();
    const body = { account, origin: account.split("/")[0], unit_type: form.get("unit_type"),
                   vintage: Number(form.get("vintage")), quantity: Number(form.get("quantity")) };
    const reference = String(form.get("reference") || "").trim();
    if (reference) body.reference = reference;
    act(`allocate ${body.quantity} t to ${account}`, "/v1/admin/allocations", body);
  });
  showKeyState();
  refresh();
  loadAudit();
  setInterval(refresh, 5000);
});
