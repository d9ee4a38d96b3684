import { Hono } from "hono";
import { html } from "hono/html";
import { stream } from "hono/streaming";
import { verifyChain } from "../../../audit/chain.ts";
import { type AuditFilter, auditPages as auditEventPages, csvLines, jsonLines, searchAudit } from "../../../audit/query.ts";
import type { Relay } from "../../../context.ts";
import { when } from "../components.ts";
import { TextField } from "../fields.ts";
import { type AdminContext, type AdminEnv, adminPage } from "./layout.ts";

const PAGE = 100;

/** The search form's fields, read from the query string (the export links carry the same). */
function filterOf(c: AdminContext): AuditFilter & { raw: Record<string, string> } {
  const raw: Record<string, string> = {};
  for (const k of ["q", "action", "request", "from", "to"]) raw[k] = (c.req.query(k) ?? "").trim().slice(0, 200);
  const day = (v: string, end: boolean) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return undefined;
    const d = new Date(`${v}T${end ? "23:59:59.999" : "00:00:00.000"}Z`);
    return Number.isNaN(d.getTime()) ? undefined : d;
  };
  const before = Number(c.req.query("before"));
  return {
    raw,
    q: raw.q,
    action: raw.action,
    requestId: raw.request,
    from: day(raw.from ?? "", false),
    to: day(raw.to ?? "", true),
    before: Number.isInteger(before) && before > 0 ? before : undefined,
  };
}

const queryString = (raw: Record<string, string>, extra: Record<string, string> = {}) =>
  new URLSearchParams(Object.entries({ ...raw, ...extra }).filter(([, v]) => v)).toString();

/** The audit log: searchable, paged, its chain checked, exportable as CSV and JSON Lines. */
export function auditPages(relay: Relay) {
  const { db } = relay.database;
  return new Hono<AdminEnv>()
    .get("/admin/audit", async (c) => {
      const f = filterOf(c);
      // Verifying reads the whole trail, so it runs when asked, not on every page view.
      const verify = c.req.query("verify") === "1";
      const [rows, chain] = await Promise.all([
        searchAudit(db, f, PAGE),
        verify ? verifyChain(db, { publicKeys: relay.keys.publicKeys, now: relay.clock.now() }) : null,
      ]);
      const older = rows.length === PAGE ? rows.at(-1)?.id : undefined;
      return c.html(
        adminPage(
          c,
          "audit",
          "Audit log",
          html`<div class="title-row"><h1>Audit log</h1><span><a class="button" href="/admin/audit.csv?${queryString(f.raw)}" data-testid="export-csv">Export CSV</a> <a class="button" href="/admin/audit.jsonl?${queryString(f.raw)}" data-testid="export-jsonl">Export JSON Lines</a></span></div>
${
  !chain
    ? html`<p class="muted">Every event carries the hash of the one before it. <a class="button" href="/admin/audit?${queryString(f.raw, { verify: "1" })}" data-testid="verify-chain">Verify the chain now</a></p>`
    : chain.ok
      ? html`<p class="notice ok" data-testid="chain-ok">The hash chain verifies: ${chain.count} events, none changed, removed or inserted${
          chain.anchoredTo
            ? `; signed up to event ${chain.anchoredTo.headId} at ${chain.anchoredTo.at.toISOString().slice(0, 19).replace("T", " ")} UTC (${chain.unanchored} newer events not yet signed)`
            : "; no signed checkpoint yet"
        }.</p>`
      : html`<p class="notice bad" data-testid="chain-broken">The hash chain is broken: ${chain.detail}. Events after it cannot be trusted.</p>`
}
<form method="get" class="grid" data-testid="audit-search">
${TextField({ label: "Actor or action contains", name: "q", value: f.raw.q })}
${TextField({ label: "Action (or a family, like request.)", name: "action", value: f.raw.action, list: "actions" })}
${TextField({ label: "Request id", name: "request", value: f.raw.request })}
${TextField({ label: "From (day, UTC)", name: "from", value: f.raw.from, type: "date" })}
${TextField({ label: "To (day, UTC)", name: "to", value: f.raw.to, type: "date" })}
<datalist id="actions">${["request.", "approval.", "grant.", "flow.", "user.", "group.", "settings.", "admin.", "device.", "config."].map((a) => html`<option value="${a}"></option>`)}</datalist>
<div class="actions"><button class="primary" type="submit">Search</button> <a class="button" href="/admin/audit">Clear</a></div></form>
<table data-testid="audit-list"><thead><tr><th>#</th><th>When (UTC)</th><th>Who</th><th>What</th><th>Request</th><th>Details</th><th>From</th></tr></thead><tbody>
${rows.map(
  (e) => html`<tr data-action="${e.action}"><td>${e.id}</td><td>${when(e.at)}</td><td>${e.actor}</td><td>${e.action}</td>
<td>${e.requestId ? html`<a href="/admin/requests/${e.requestId}">${e.requestId.slice(0, 8)}</a>` : ""}</td>
<td><code>${JSON.stringify(e.data).slice(0, 400)}</code></td><td>${e.ip ?? ""}<br><span class="muted">${(e.userAgent ?? "").slice(0, 60)}</span></td></tr>`,
)}
</tbody></table>
${rows.length === 0 ? html`<p class="notice info">No events match.</p>` : ""}
${older ? html`<p><a class="button" href="/admin/audit?${queryString(f.raw, { before: String(older) })}" data-testid="older">Older events</a></p>` : ""}`,
        ),
      );
    })
    .get("/admin/audit.csv", (c) => exportTo(c, "csv"))
    .get("/admin/audit.jsonl", (c) => exportTo(c, "jsonl"));

  function exportTo(c: AdminContext, format: "csv" | "jsonl") {
    const f = filterOf(c);
    c.header("content-type", format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8");
    c.header("content-disposition", `attachment; filename="gatehouse-audit.${format}"`);
    return stream(c, async (s) => {
      let first = true;
      for await (const rows of auditEventPages(db, { ...f, before: undefined })) {
        await s.write(format === "csv" ? csvLines(rows, first) : jsonLines(rows));
        first = false;
      }
      if (first && format === "csv") await s.write(csvLines([], true));
    });
  }
}
