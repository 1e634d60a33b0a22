// Drill reports: every run that left a report.html, newest first, linked read-only.
"use strict";

document.addEventListener("DOMContentLoaded", async () => {
  try {
    const reports = await api("/v1/reports");
    document.querySelector("#reports tbody").replaceChildren(...reports.map((r) => el("tr", {},
      el("td", { class: "text" }, el("a", { href: r.url }, r.run)), el("td", { class: "text" }, r.source),
      el("td", { class: "text" }, formatTime(r.modified_at)),
      el("td", { class: "text" }, r.audit_ok === null ? "not run"
        : el("span", { class: "badge " + (r.audit_ok ? "ok" : "fail") }, r.audit_ok ? "passed" : "FAILED")),
      el("td", {}, r.trades ?? ""))));
    if (!reports.length) banner("no drill has left a report yet (run `make run`)", "info");
  } catch (err) {
    showError(err);
  }
});
