import { html } from "hono/html";
import { ENDABLE, isIn } from "../../../core/request-lifecycle.ts";
import { type GrantRow, targetLabel } from "../../../grants/lifecycle.ts";
import { REQUEST_LISTS, type RequestList, type RequestListRow, type RequestRecord } from "../../../requests/admin.ts";
import { CsrfField, type Fragment, Notice, StateBadge, stateText, Table, TitleRow, when } from "../components.ts";
import { Actions } from "../fields.ts";
import { RequestDetails } from "../request.views.ts";
import { deliveryState, GrantState, StateFilter } from "./components.ts";

/** Grant states an admin can still act on (revoke; retry when failed). */
const LIVE = ["scheduled", "awaiting_start", "provisioning", "active", "failed"];

/** Requests: the open ones by default, any state on demand. */
export function RequestListView(p: { list: RequestList; rows: RequestListRow[] }): Fragment {
  const empty = p.list === "grant_failed" ? "No grant needs attention." : `No ${p.list === "all" ? "" : stateText(p.list)} requests.`;
  return html`${TitleRow({
    children: html`<h1>Requests</h1>
${StateFilter({ options: REQUEST_LISTS.map((s) => [s, stateText(s)]), selected: p.list })}`,
  })}
${Table({
  testid: "request-list",
  head: ["Requested", "Requester", "App · resource", "Flow", "State", "Grant", "Waiting until"],
  rows: p.rows.map(RequestListItem),
})}
${p.rows.length === 0 ? Notice({ tone: "info", children: empty }) : ""}`;
}

function RequestListItem({ r, name, email, g }: RequestListRow): Fragment {
  return html`<tr data-request="${r.id}">
<td><a href="/admin/requests/${r.id}">${when(r.createdAt)}</a></td>
<td>${name}<br><span class="muted">${email}</span></td>
<td>${r.app} · ${r.resourceName ?? r.resourceId ?? ""}</td>
<td>${r.flowName}${r.steps.length > 1 ? html`<br><span class="muted">step ${r.step + 1} of ${r.steps.length}</span>` : ""}</td>
<td>${StateBadge({ state: r.state })}</td>
<td>${g ? GrantState({ grant: g }) : ""}</td>
<td>${when(r.deadlineAt)}</td></tr>`;
}

/** A request's page: what approvers read, the grant, the whole approval path, what an admin can do, deliveries and the audit trail. */
export function RequestView({ record, csrf }: { record: RequestRecord; csrf: string }): Fragment {
  const { request, ctx, grant } = record;
  return html`<h1>${ctx.requester.name} → ${ctx.app} ${StateBadge({ state: request.state, testid: "request-state" })}</h1>
${request.decisionNote ? Notice({ tone: request.state === "error" ? "bad" : "info", testid: "decision-note", children: request.decisionNote }) : ""}
${RequestDetails({ ctx })}
${grant ? GrantSection({ grant, csrf }) : ""}
<h2>Approval path</h2>
${Table({
  testid: "approval-path",
  head: ["Step", "Approver", "Decision", "Through", "When", "Note"],
  rows: request.steps.map((step, i) => ApprovalStep({ record, step, index: i })),
})}
${isIn(ENDABLE, request.state) ? EndRequestForm({ requestId: request.id, requester: ctx.requester.name, csrf }) : ""}
<h2>Deliveries</h2>
${Table({
  testid: "request-deliveries",
  head: ["Queued", "Channel", "To", "Event", "State", "Attempts", "Last error"],
  rows: record.deliveries.map(
    (d) =>
      html`<tr><td>${when(d.createdAt)}</td><td>${d.channel}</td><td>${d.to}</td><td>${d.event ?? ""}</td><td>${deliveryState(d)}</td><td>${d.attempts}</td><td>${d.lastError ?? ""}</td></tr>`,
  ),
})}
<h2>Audit trail</h2>
${Table({
  testid: "request-trail",
  head: ["#", "When", "Who", "What", "Details", "From"],
  rows: record.trail.map(
    (e) =>
      html`<tr data-action="${e.action}"><td>${e.id}</td><td>${when(e.at)}</td><td>${e.actor}</td><td>${e.action}</td><td><code>${JSON.stringify(e.data)}</code></td><td>${e.ip ?? ""}</td></tr>`,
  ),
})}`;
}

/** The rows of one step of the approval path: its rule, and each approver's decision. */
function ApprovalStep(p: { record: RequestRecord; step: RequestRecord["request"]["steps"][number]; index: number }): Fragment {
  const { request, path } = p.record;
  const i = p.index;
  const rows = path.filter((a) => a.a.step === i);
  const rule = p.step.require === "any" ? "any one" : p.step.require === "all" ? "all" : `${p.step.require} of them`;
  if (rows.length === 0)
    return html`<tr><td>${i + 1} <span class="muted">(${rule})</span></td><td colspan="5" class="muted">${i > request.step ? "not asked yet" : "nobody"}</td></tr>`;
  return html`${rows.map(
    (a, j) => html`<tr data-approver="${a.email}"><td>${j === 0 ? html`${i + 1} <span class="muted">(${rule})</span>` : ""}</td>
<td>${a.name}<br><span class="muted">${a.email}</span>${a.a.escalatedFrom ? html`<br><span class="muted">(passed on to them)</span>` : ""}</td>
<td>${a.a.state === "escalated" ? html`passed on to ${a.toName ?? "someone"}` : a.a.state === "superseded" ? "not needed" : a.a.state}</td>
<td>${a.a.via ?? ""}</td><td>${when(a.a.decidedAt)}</td><td>${a.a.note ?? ""}</td></tr>`,
  )}`;
}

function EndRequestForm(p: { requestId: string; requester: string; csrf: string }): Fragment {
  return html`<h2>End this request</h2>
<form method="post" action="/admin/requests/${p.requestId}/end" class="editor">${CsrfField({ token: p.csrf })}
<label for="note">Note to ${p.requester}</label><textarea id="note" name="note" maxlength="1000"></textarea>
${Actions({
  children: html`<button class="reject" type="submit" name="action" value="deny" data-testid="admin-deny">Deny</button> <button type="submit" name="action" value="cancel" data-testid="admin-cancel">Cancel request</button>`,
})}</form>`;
}

/** The grant of a request: its state, where it went, and what an admin can do (revoke with a reason; retry a failed one). */
function GrantSection({ grant, csrf }: { grant: GrantRow; csrf: string }): Fragment {
  const target = targetLabel(grant);
  return html`<h2>Grant</h2>
<p data-testid="grant-summary">State: ${StateBadge({ state: grant.state, testid: "grant-state", strong: true })}${grant.scope === "app" ? " (the whole app)" : ""}${target ? html` · provisioned at <code>${target}</code>` : " · nothing is provisioned (record only)"}.
${grant.state === "awaiting_start" ? html`Waits to be started until ${when(grant.startBy)} UTC.` : html`From ${when(grant.startsAt)} ${grant.endsAt ? html`until ${when(grant.endsAt)}` : "until revoked"} UTC.`}
${grant.extensions ? html` Extended ${grant.extensions}×.` : ""}${grant.endReason ? html` Ended: ${stateText(grant.endReason)}.` : ""}</p>
${grant.state === "failed" ? Notice({ tone: "bad", testid: "grant-failure", children: html`${grant.failedAction === "revoke" ? "Revoking" : "Provisioning"} gave up: ${grant.failure ?? "unknown error"}. ${grant.failedAction === "revoke" ? "The access may still be in place at the app." : ""}` }) : ""}
${LIVE.includes(grant.state) ? GrantActions({ grant, csrf }) : ""}`;
}

function GrantActions({ grant, csrf }: { grant: GrantRow; csrf: string }): Fragment {
  return html`<form method="post" action="/admin/requests/${grant.requestId}/grant" class="editor">${CsrfField({ token: csrf })}
<label for="reason">Reason (kept in the audit trail)</label><input id="reason" name="reason" maxlength="1000">
${Actions({
  children: html`${grant.state !== "failed" || grant.failedAction === "grant" ? html`<button class="reject" type="submit" name="action" value="revoke" data-testid="admin-revoke">Revoke access</button>` : ""} ${grant.state === "failed" ? html`<button type="submit" name="action" value="retry" data-testid="admin-retry">Retry ${grant.failedAction}</button>` : ""}`,
})}</form>`;
}
