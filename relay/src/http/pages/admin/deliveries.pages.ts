import { and, desc, eq, gt, inArray, ne, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { html } from "hono/html";
import type { Relay } from "../../../context.ts";
import { grants, outbox } from "../../../db/schema/index.ts";
import { appendAudit, unitOfWork } from "../../../db/unit-of-work.ts";
import { callRetriesGrant, retryProviderCall } from "../../../grants/admin.ts";
import { requestMeta } from "../../auth.ts";
import { when } from "../components.ts";
import { ActionButton } from "../fields.ts";
import { isUuid } from "../params.ts";
import { deliveryState } from "./components.ts";
import { type AdminContext, type AdminEnv, adminPage } from "./layout.ts";

const FILTERS: Record<string, SQL | undefined> = {
  all: undefined,
  failed: eq(outbox.state, "failed"),
  retrying: and(eq(outbox.state, "pending"), gt(outbox.attempts, 0)),
  pending: eq(outbox.state, "pending"),
  sent: eq(outbox.state, "sent"),
  held: eq(outbox.state, "held"),
};

type Delivery = typeof outbox.$inferSelect;
type GrantOfCall = { state: string; failedAction: string | null } | null;

/**
 * The retry of a failed row. A provider call is a step of its grant's life,
 * so resetting the row alone would leave the grant `failed` and the machine
 * would then ignore the provider's success. Its Retry is therefore the
 * grant's retry (the request page's "Retry grant"/"Retry revoke": back to
 * provisioning or revoking, the call queued again under the same key, a new
 * round of tasks for a manual provider), named so, and offered only for the
 * call the failed grant waits on; any other failed provider call (an
 * extension, whose end stands either way; the grant call of a grant revoked
 * since) links to the grant instead, as sending it again would change access
 * the grant no longer holds.
 */
function retryCell(c: AdminContext, d: Delivery, grant: GrantOfCall) {
  if (d.state !== "failed") return "";
  if (d.channel !== "provider")
    return ActionButton({ csrf: c.get("csrf"), action: `/admin/deliveries/${d.id}/retry`, label: "Retry", testid: `retry-${d.id}` });
  if (callRetriesGrant(d, grant))
    return ActionButton({
      csrf: c.get("csrf"),
      action: `/admin/deliveries/${d.id}/retry`,
      label: `Retry ${d.action === "revoke" ? "revoke" : "grant"}`,
      testid: `retry-${d.id}`,
    });
  return d.requestId ? html`<a href="/admin/requests/${d.requestId}" data-testid="grant-of-${d.id}">See the grant</a>` : "";
}

/** Deliveries: every mail, chat message, webhook and provider call the relay queued, with its state, and a retry for failed ones. */
export function deliveryPages(relay: Relay) {
  const { db } = relay.database;
  return new Hono<AdminEnv>()
    .get("/admin/deliveries", async (c) => {
      const key = (c.req.query("state") ?? "all") in FILTERS ? (c.req.query("state") ?? "all") : "all";
      const rows = await db
        .select({ d: outbox, grant: { state: grants.state, failedAction: grants.failedAction } })
        .from(outbox)
        .leftJoin(grants, eq(grants.id, outbox.grantId))
        .where(FILTERS[key])
        .orderBy(desc(outbox.createdAt))
        .limit(200);
      const counts = await db
        .select({ state: outbox.state, attempts: outbox.attempts })
        .from(outbox)
        .where(inArray(outbox.state, ["failed", "pending"]));
      const failed = counts.filter((r) => r.state === "failed").length;
      const retrying = counts.filter((r) => r.state === "pending" && r.attempts > 0).length;
      return c.html(
        adminPage(
          c,
          "deliveries",
          "Deliveries",
          html`<div class="title-row"><h1>Deliveries</h1>
<form method="get" class="search"><select name="state" aria-label="State">${Object.keys(FILTERS).map((s) => html`<option value="${s}"${s === key ? html` selected` : ""}>${s}</option>`)}</select> <button type="submit" class="small">Show</button></form></div>
<p class="${failed ? "notice bad" : "muted"}" data-testid="delivery-summary">${failed} failed, ${retrying} retrying. Mail, Slack, Teams and webhook deliveries are retried with backoff (5 s, 10 s, 20 s … up to 30 min, 8 attempts); a failing channel never holds up a decision. Retrying a provider call retries its grant, as on the request's page.</p>
<table data-testid="delivery-list"><thead><tr><th>Queued (UTC)</th><th>Channel</th><th>To</th><th>What</th><th>State</th><th>Attempts</th><th>Last error</th><th></th></tr></thead><tbody>
${rows.map(
  ({
    d,
    grant,
  }) => html`<tr data-delivery="${d.id}" data-state="${deliveryState(d)}"><td>${when(d.createdAt)}</td><td>${d.channel}</td><td>${d.to}</td>
<td>${d.subject}${d.requestId ? html`<br><a class="muted" href="/admin/requests/${d.requestId}">request ${d.requestId.slice(0, 8)}</a>` : ""}</td>
<td>${deliveryState(d)}</td><td>${d.attempts}</td><td>${d.lastError ?? ""}</td>
<td class="row-actions">${retryCell(c, d, grant?.state ? grant : null)}</td></tr>`,
)}
</tbody></table>`,
        ),
      );
    })
    .post("/admin/deliveries/:id/retry", async (c) => {
      const id = c.req.param("id");
      if (!isUuid(id)) return c.redirect("/admin/deliveries", 303);
      const meta = requestMeta(c, relay.env.TRUST_PROXY);
      const [call] = await db.select({ channel: outbox.channel }).from(outbox).where(eq(outbox.id, id));
      // A provider call is retried through its grant (see retryCell).
      if (call?.channel === "provider") {
        const result = await retryProviderCall(relay, c.get("admin").user.email, id, meta);
        return c.redirect(`/admin/deliveries?done=${result?.ok ? "grant-retried" : "delivery-not-retried"}`, 303);
      }
      const now = relay.clock.now();
      await unitOfWork(db, async (tx) => {
        const [row] = await tx
          .update(outbox)
          .set({ state: "pending", attempts: 0, nextAttemptAt: now })
          .where(and(eq(outbox.id, id), eq(outbox.state, "failed"), ne(outbox.channel, "provider")))
          .returning({ id: outbox.id, channel: outbox.channel, to: outbox.to });
        if (row)
          await appendAudit(tx, {
            at: now,
            actor: c.get("admin").user.email,
            action: "delivery.retried",
            data: { deliveryId: row.id, channel: row.channel, to: row.to },
            ...meta,
          });
      });
      return c.redirect("/admin/deliveries?done=delivery-retried", 303);
    });
}
