import { Hono } from "hono";
import { html } from "hono/html";
import { stream } from "hono/streaming";
import { type AuditFilter, type AuditRow, auditExport, auditLog, csvLines, jsonLines } from "../../../audit/query.ts";
import type { Relay } from "../../../context.ts";
import type { ChainCheck } from "../../../core/audit-chain.ts";
import { type Fragment, Notice, Table, TitleRow, when } from "../components.ts";
import { Actions, TextField } from "../fields.ts";
import { type AdminContext, type AdminEnv, adminPage } from "./layout.ts";

const PAGE = 100;
const ACTION_FAMILIES = ["request.", "approval.", "grant.", "flow.", "user.", "group.", "settings.", "admin.", "device.", "config."];

type Search = AuditFilter & { raw: Record<string, string> };

/** The search form's fields, read from the query string (the export links carry the same). */
function filterOf(c: AdminContext): Search {
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

/** Whether the hash chain holds, once asked; until then, the button that asks. */
function ChainStatus({ chain, raw }: { chain: ChainCheck | null; raw: Record<string, string> }): Fragment {
  if (!chain)
    return html`<p class="muted">Every event carries the hash of the one before it. <a class="button" href="/admin/audit?${queryString(raw, { verify: "1" })}" data-testid="verify-chain">Verify the chain now</a></p>`;
  if (!chain.ok)
    return Notice({
      tone: "bad",
      testid: "chain-broken",
      children: html`The hash chain is broken: ${chain.detail}. Events after it cannot be trusted.`,
    });
  const signed = chain.anchoredTo
    ? `; signed up to event ${chain.anchoredTo.headId} at ${chain.anchoredTo.at.toISOString().slice(0, 19).replace("T", " ")} UTC (${chain.unanchored} newer events not yet signed)`
    : "; no signed checkpoint yet";
  return Notice({
    tone: "ok",
    testid: "chain-ok",
    children: html`The hash chain verifies: ${chain.count} events, none changed, removed or inserted${signed}.`,
  });
}

function SearchForm({ raw }: { raw: Record<string, string> }): Fragment {
  return html`<form method="get" class="grid" data-testid="audit-search">
${TextField({ label: "Actor or action contains", name: "q", value: raw.q })}
${TextField({ label: "Action (or a family, like request.)", name: "action", value: raw.action, list: "actions" })}
${TextField({ label: "Request id", name: "request", value: raw.request })}
${TextField({ label: "From (day, UTC)", name: "from", value: raw.from, type: "date" })}
${TextField({ label: "To (day, UTC)", name: "to", value: raw.to, type: "date" })}
<datalist id="actions">${ACTION_FAMILIES.map((a) => html`<option value="${a}"></option>`)}</datalist>
${Actions({ children: html`<button class="primary" type="submit">Search</button> <a class="button" href="/admin/audit">Clear</a>` })}</form>`;
}

function AuditEvent({ e }: { e: AuditRow }): Fragment {
  return html`<tr data-action="${e.action}"><td>${e.id}</td><td>${when(e.at)}</td><td>${e.actor}</td><td>${e.action}</td>
<td>${e.requestId ? html`<a href="/admin/requests/${e.requestId}">${e.requestId.slice(0, 8)}</a>` : ""}</td>
<td><code>${JSON.stringify(e.data).slice(0, 400)}</code></td><td>${e.ip ?? ""}<br><span class="muted">${(e.userAgent ?? "").slice(0, 60)}</span></td></tr>`;
}

function AuditView({ search, rows, chain }: { search: Search; rows: AuditRow[]; chain: ChainCheck | null }): Fragment {
  const { raw } = search;
  const older = rows.length === PAGE ? rows.at(-1)?.id : undefined;
  return html`${TitleRow({
    children: html`<h1>Audit log</h1><span><a class="button" href="/admin/audit.csv?${queryString(raw)}" data-testid="export-csv">Export CSV</a> <a class="button" href="/admin/audit.jsonl?${queryString(raw)}" data-testid="export-jsonl">Export JSON Lines</a></span>`,
  })}
${ChainStatus({ chain, raw })}
${SearchForm({ raw })}
${Table({ testid: "audit-list", head: ["#", "When (UTC)", "Who", "What", "Request", "Details", "From"], rows: rows.map((e) => AuditEvent({ e })) })}
${rows.length === 0 ? Notice({ tone: "info", children: "No events match." }) : ""}
${older ? html`<p><a class="button" href="/admin/audit?${queryString(raw, { before: String(older) })}" data-testid="older">Older events</a></p>` : ""}`;
}

/** The audit log: searchable, paged, its chain checked, exportable as CSV and JSON Lines. */
export function auditPages(relay: Relay) {
  const exportTo = (c: AdminContext, format: "csv" | "jsonl") => {
    const f = filterOf(c);
    c.header("content-type", format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8");
    c.header("content-disposition", `attachment; filename="gatehouse-audit.${format}"`);
    return stream(c, async (s) => {
      let first = true;
      for await (const rows of auditExport(relay, { ...f, before: undefined })) {
        await s.write(format === "csv" ? csvLines(rows, first) : jsonLines(rows));
        first = false;
      }
      if (first && format === "csv") await s.write(csvLines([], true));
    });
  };
  return new Hono<AdminEnv>()
    .get("/admin/audit", async (c) => {
      const search = filterOf(c);
      const { rows, chain } = await auditLog(relay, search, { limit: PAGE, verify: c.req.query("verify") === "1" });
      return c.html(adminPage(c, "audit", "Audit log", AuditView({ search, rows, chain })));
    })
    .get("/admin/audit.csv", (c) => exportTo(c, "csv"))
    .get("/admin/audit.jsonl", (c) => exportTo(c, "jsonl"));
}
