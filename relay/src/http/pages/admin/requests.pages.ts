import type { RequestState } from "@gatehouse/shared";
import { asc, desc, eq, inArray } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { Hono } from "hono";
import { html } from "hono/html";
import type { Relay } from "../../../context.ts";
import { approvals, auditEvents, grants, outbox, requests, users } from "../../../db/schema/index.ts";
import { retryGrant, revokeGrant } from "../../../grants/admin.ts";
import { type GrantRow, targetLabel } from "../../../grants/lifecycle.ts";
import { adminEndRequest } from "../../../requests/admin.ts";
import { loadRequestContext } from "../../../requests/context.ts";
import { ENDABLE, isIn } from "../../../requests/states.ts";
import { requestMeta } from "../../auth.ts";
import { CsrfField } from "../components.ts";
import { requestDetails } from "../decide.pages.ts";
import { formValues } from "./forms.ts";
import { type AdminContext, type AdminEnv, adminPage } from "./layout.ts";

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Request states to list by, and `grant_failed`: approved requests whose grant a provider call gave up on (the banner's link). */
const STATES = [
  "open",
  "pending",
  "info_requested",
  "escalated",
  "error",
  "approved",
  "rejected",
  "cancelled",
  "expired",
  "all",
  "grant_failed",
] as const;
export const when = (d: Date | null | undefined) => (d ? d.toISOString().replace("T", " ").slice(0, 16) : "");

/** Requests: the open ones by default, any state on demand; each with its whole approval path. */
export function requestPages(relay: Relay) {
  const { db } = relay.database;

  const list = async (c: AdminContext) => {
    const state = (STATES as readonly string[]).includes(c.req.query("state") ?? "") ? (c.req.query("state") as string) : "open";
    const filter =
      state === "all"
        ? undefined
        : state === "grant_failed"
          ? eq(grants.state, "failed")
          : inArray(requests.state, state === "open" ? [...ENDABLE] : [state as RequestState]);
    const rows = await db
      .select({ r: requests, name: users.name, email: users.email, g: grants })
      .from(requests)
      .innerJoin(users, eq(users.id, requests.requesterId))
      .leftJoin(grants, eq(grants.requestId, requests.id))
      .where(filter)
      .orderBy(desc(requests.createdAt))
      .limit(200);
    return c.html(
      adminPage(
        c,
        "requests",
        "Requests",
        html`<div class="title-row"><h1>Requests</h1>
<form method="get" class="search"><select name="state" aria-label="State">${STATES.map((s) => html`<option value="${s}"${s === state ? html` selected` : ""}>${s.replace("_", " ")}</option>`)}</select> <button type="submit" class="small">Show</button></form></div>
<table data-testid="request-list"><thead><tr><th>Requested</th><th>Requester</th><th>App · resource</th><th>Flow</th><th>State</th><th>Grant</th><th>Waiting until</th></tr></thead><tbody>
${rows.map(
  ({ r, name, email, g }) => html`<tr data-request="${r.id}">
<td><a href="/admin/requests/${r.id}">${when(r.createdAt)}</a></td>
<td>${name}<br><span class="muted">${email}</span></td>
<td>${r.app} · ${r.resourceName ?? r.resourceId ?? ""}</td>
<td>${r.flowName}${r.steps.length > 1 ? html`<br><span class="muted">step ${r.step + 1} of ${r.steps.length}</span>` : ""}</td>
<td><span class="state ${r.state}">${r.state.replace("_", " ")}</span></td>
<td>${g ? grantCell(g) : ""}</td>
<td>${when(r.deadlineAt)}</td></tr>`,
)}
</tbody></table>
${rows.length === 0 ? html`<p class="notice info">${state === "grant_failed" ? "No grant needs attention." : `No ${state === "all" ? "" : state.replace("_", " ")} requests.`}</p>` : ""}`,
      ),
    );
  };

  const detail = async (c: AdminContext) => {
    const id = c.req.param("id") ?? "";
    const [request] = UUID.test(id) ? await db.select().from(requests).where(eq(requests.id, id)) : [];
    if (!request) return c.html(adminPage(c, "requests", "Not found", html`<h1>No such request</h1>`), 404);
    const ctx = await loadRequestContext(db, request);
    const escalatedTo = alias(users, "escalated_to");
    const path = await db
      .select({ a: approvals, name: users.name, email: users.email, toName: escalatedTo.name })
      .from(approvals)
      .innerJoin(users, eq(users.id, approvals.approverId))
      .leftJoin(escalatedTo, eq(escalatedTo.id, approvals.escalatedTo))
      .where(eq(approvals.requestId, id))
      .orderBy(asc(approvals.step), asc(users.email));
    const trail = await db.select().from(auditEvents).where(eq(auditEvents.requestId, id)).orderBy(asc(auditEvents.id));
    const deliveries = await db.select().from(outbox).where(eq(outbox.requestId, id)).orderBy(asc(outbox.createdAt));
    const [grant] = await db.select().from(grants).where(eq(grants.requestId, id));
    return c.html(
      adminPage(
        c,
        "requests",
        "Request",
        html`<h1>${ctx.requester.name} → ${ctx.app} <span class="state ${request.state}" data-testid="request-state">${request.state.replace("_", " ")}</span></h1>
${request.decisionNote ? html`<p class="notice ${request.state === "error" ? "bad" : "info"}" data-testid="decision-note">${request.decisionNote}</p>` : ""}
${requestDetails(ctx)}
${grant ? grantSection(c, grant, id) : ""}
<h2>Approval path</h2>
<table data-testid="approval-path"><thead><tr><th>Step</th><th>Approver</th><th>Decision</th><th>Through</th><th>When</th><th>Note</th></tr></thead><tbody>
${request.steps.map((step, i) => {
  const rows = path.filter((p) => p.a.step === i);
  const rule = step.require === "any" ? "any one" : step.require === "all" ? "all" : `${step.require} of them`;
  if (rows.length === 0)
    return html`<tr><td>${i + 1} <span class="muted">(${rule})</span></td><td colspan="5" class="muted">${i > request.step ? "not asked yet" : "nobody"}</td></tr>`;
  return rows.map(
    (p, j) => html`<tr data-approver="${p.email}"><td>${j === 0 ? html`${i + 1} <span class="muted">(${rule})</span>` : ""}</td>
<td>${p.name}<br><span class="muted">${p.email}</span>${p.a.escalatedFrom ? html`<br><span class="muted">(passed on to them)</span>` : ""}</td>
<td>${p.a.state === "escalated" ? html`passed on to ${p.toName ?? "someone"}` : p.a.state === "superseded" ? "not needed" : p.a.state}</td>
<td>${p.a.via ?? ""}</td><td>${when(p.a.decidedAt)}</td><td>${p.a.note ?? ""}</td></tr>`,
  );
})}
</tbody></table>
${
  isIn(ENDABLE, request.state)
    ? html`<h2>End this request</h2>
<form method="post" action="/admin/requests/${id}/end" class="editor">${CsrfField({ token: c.get("csrf") })}
<label for="note">Note to ${ctx.requester.name}</label><textarea id="note" name="note" maxlength="1000"></textarea>
<div class="actions"><button class="reject" type="submit" name="action" value="deny" data-testid="admin-deny">Deny</button> <button type="submit" name="action" value="cancel" data-testid="admin-cancel">Cancel request</button></div></form>`
    : ""
}
<h2>Deliveries</h2>
<table data-testid="request-deliveries"><thead><tr><th>Queued</th><th>Channel</th><th>To</th><th>Event</th><th>State</th><th>Attempts</th><th>Last error</th></tr></thead><tbody>
${deliveries.map(
  (d) =>
    html`<tr><td>${when(d.createdAt)}</td><td>${d.channel}</td><td>${d.to}</td><td>${d.event ?? ""}</td><td>${deliveryState(d)}</td><td>${d.attempts}</td><td>${d.lastError ?? ""}</td></tr>`,
)}
</tbody></table>
<h2>Audit trail</h2>
<table data-testid="request-trail"><thead><tr><th>#</th><th>When</th><th>Who</th><th>What</th><th>Details</th><th>From</th></tr></thead><tbody>
${trail.map(
  (e) =>
    html`<tr data-action="${e.action}"><td>${e.id}</td><td>${when(e.at)}</td><td>${e.actor}</td><td>${e.action}</td><td><code>${JSON.stringify(e.data)}</code></td><td>${e.ip ?? ""}</td></tr>`,
)}
</tbody></table>`,
      ),
    );
  };

  return new Hono<AdminEnv>()
    .get("/admin/requests", list)
    .get("/admin/requests/:id", detail)
    .post("/admin/requests/:id/grant", async (c) => {
      const id = c.req.param("id");
      const form = await formValues(c);
      if (!UUID.test(id)) return c.redirect("/admin/requests", 303);
      const [grant] = await db.select().from(grants).where(eq(grants.requestId, id));
      if (!grant) return c.redirect(`/admin/requests/${id}`, 303);
      const admin = c.get("admin").user.email;
      const meta = requestMeta(c, relay.env.TRUST_PROXY);
      const result =
        form.action === "retry"
          ? await retryGrant(relay, admin, grant.id, meta)
          : await revokeGrant(relay, admin, grant.id, (form.reason ?? "").trim().slice(0, 1000), meta);
      const done = result.ok ? (form.action === "retry" ? "grant-retried" : "grant-revoked") : "grant-unchanged";
      return c.redirect(`/admin/requests/${id}?done=${done}`, 303);
    })
    .post("/admin/requests/:id/end", async (c) => {
      const id = c.req.param("id");
      const form = await formValues(c);
      const action = form.action === "deny" ? "deny" : form.action === "cancel" ? "cancel" : null;
      if (!UUID.test(id) || !action) return c.redirect("/admin/requests", 303);
      const done = await adminEndRequest(
        relay,
        c.get("admin").user,
        id,
        action,
        (form.note ?? "").trim().slice(0, 1000),
        requestMeta(c, relay.env.TRUST_PROXY),
      );
      return c.redirect(`/admin/requests/${id}?done=${done ? `request-${action}` : "request-not-open"}`, 303);
    });
}

const LIVE = ["scheduled", "awaiting_start", "provisioning", "active", "failed"];

/** A grant's state in a list; a failed one says which call gave up and why. */
export function grantCell(g: Pick<GrantRow, "state" | "failedAction" | "failure">) {
  return html`<span class="state ${g.state}" data-grant-state="${g.state}">${g.state.replace("_", " ")}</span>${
    g.state === "failed"
      ? html`<br><span class="muted">${g.failedAction === "revoke" ? "revoke" : "grant"} gave up: ${g.failure ?? ""}</span>`
      : ""
  }`;
}

/** The grant of a request: its state, where it went, and what an admin can do (revoke with a reason; retry a failed one). */
function grantSection(c: AdminContext, grant: GrantRow, requestId: string) {
  const target = targetLabel(grant);
  return html`<h2>Grant</h2>
<p data-testid="grant-summary">State: <strong class="state ${grant.state}" data-testid="grant-state">${grant.state.replace("_", " ")}</strong>${grant.scope === "app" ? " (the whole app)" : ""}${target ? html` · provisioned at <code>${target}</code>` : " · nothing is provisioned (record only)"}.
${grant.state === "awaiting_start" ? html`Waits to be started until ${when(grant.startBy)} UTC.` : html`From ${when(grant.startsAt)} ${grant.endsAt ? html`until ${when(grant.endsAt)}` : "until revoked"} UTC.`}
${grant.extensions ? html` Extended ${grant.extensions}×.` : ""}${grant.endReason ? html` Ended: ${grant.endReason.replace("_", " ")}.` : ""}</p>
${grant.state === "failed" ? html`<p class="notice bad" data-testid="grant-failure">${grant.failedAction === "revoke" ? "Revoking" : "Provisioning"} gave up: ${grant.failure ?? "unknown error"}. ${grant.failedAction === "revoke" ? "The access may still be in place at the app." : ""}</p>` : ""}
${
  LIVE.includes(grant.state)
    ? html`<form method="post" action="/admin/requests/${requestId}/grant" class="editor">${CsrfField({ token: c.get("csrf") })}
<label for="reason">Reason (kept in the audit trail)</label><input id="reason" name="reason" maxlength="1000">
<div class="actions">${grant.state !== "failed" || grant.failedAction === "grant" ? html`<button class="reject" type="submit" name="action" value="revoke" data-testid="admin-revoke">Revoke access</button>` : ""} ${grant.state === "failed" ? html`<button type="submit" name="action" value="retry" data-testid="admin-retry">Retry ${grant.failedAction}</button>` : ""}</div></form>`
    : ""
}`;
}

/** A delivery's state as admins read it: a pending row that has failed before is retrying. */
export function deliveryState(d: { state: string; attempts: number }): string {
  if (d.state === "pending" && d.attempts > 0) return "retrying";
  if (d.state === "held") return "held (no SMTP)";
  return d.state;
}
