import { and, desc, eq, gt, inArray, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { html } from "hono/html";
import { appendAudit } from "../../../audit/chain.ts";
import type { Relay } from "../../../context.ts";
import { outbox } from "../../../db/schema/index.ts";
import { requestMeta } from "../../auth.ts";
import { type AdminEnv, actionButton, adminPage } from "./layout.ts";
import { deliveryState, when } from "./requests.pages.ts";

const FILTERS: Record<string, SQL | undefined> = {
  all: undefined,
  failed: eq(outbox.state, "failed"),
  retrying: and(eq(outbox.state, "pending"), gt(outbox.attempts, 0)),
  pending: eq(outbox.state, "pending"),
  sent: eq(outbox.state, "sent"),
  held: eq(outbox.state, "held"),
};

/** Deliveries: every mail, chat message and webhook the relay queued, with its state, and a retry for failed ones. */
export function deliveryPages(relay: Relay) {
  const { db } = relay.database;
  return new Hono<AdminEnv>()
    .get("/admin/deliveries", async (c) => {
      const key = (c.req.query("state") ?? "all") in FILTERS ? (c.req.query("state") ?? "all") : "all";
      const rows = await db.select().from(outbox).where(FILTERS[key]).orderBy(desc(outbox.createdAt)).limit(200);
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
<p class="${failed ? "notice bad" : "muted"}" data-testid="delivery-summary">${failed} failed, ${retrying} retrying. Mail, Slack, Teams and webhook deliveries are retried with backoff (5 s, 10 s, 20 s … up to 30 min, 8 attempts); a failing channel never holds up a decision.</p>
<table data-testid="delivery-list"><thead><tr><th>Queued (UTC)</th><th>Channel</th><th>To</th><th>What</th><th>State</th><th>Attempts</th><th>Last error</th><th></th></tr></thead><tbody>
${rows.map(
  (
    d,
  ) => html`<tr data-delivery="${d.id}" data-state="${deliveryState(d)}"><td>${when(d.createdAt)}</td><td>${d.channel}</td><td>${d.to}</td>
<td>${d.subject}${d.requestId ? html`<br><a class="muted" href="/admin/requests/${d.requestId}">request ${d.requestId.slice(0, 8)}</a>` : ""}</td>
<td>${deliveryState(d)}</td><td>${d.attempts}</td><td>${d.lastError ?? ""}</td>
<td>${d.state === "failed" ? actionButton(c, `/admin/deliveries/${d.id}/retry`, "Retry", { testid: `retry-${d.id}` }) : ""}</td></tr>`,
)}
</tbody></table>`,
        ),
      );
    })
    .post("/admin/deliveries/:id/retry", async (c) => {
      const id = c.req.param("id");
      const now = relay.clock.now();
      await db.transaction(async (tx) => {
        const [row] = await tx
          .update(outbox)
          .set({ state: "pending", attempts: 0, nextAttemptAt: now })
          .where(and(eq(outbox.id, id), eq(outbox.state, "failed")))
          .returning({ id: outbox.id, channel: outbox.channel, to: outbox.to });
        if (row)
          await appendAudit(tx, {
            at: now,
            actor: c.get("admin").user.email,
            action: "delivery.retried",
            data: { deliveryId: row.id, channel: row.channel, to: row.to },
            ...requestMeta(c, relay.env.TRUST_PROXY),
          });
      });
      return c.redirect("/admin/deliveries?done=delivery-retried", 303);
    });
}
