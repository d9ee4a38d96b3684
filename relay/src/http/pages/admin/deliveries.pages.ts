import { Hono } from "hono";
import { html } from "hono/html";
import {
  DELIVERY_LISTS,
  type DeliveryList,
  type DeliveryListRow,
  deliveryCounts,
  listDeliveries,
  retryDelivery,
} from "../../../admin/deliveries.ts";
import type { Relay } from "../../../context.ts";
import { callRetriesGrant } from "../../../grants/admin.ts";
import { requestMeta } from "../../auth.ts";
import { type Fragment, Table, TitleRow, when } from "../components.ts";
import { ActionButton } from "../fields.ts";
import { isUuid } from "../params.ts";
import { deliveryState, StateFilter } from "./components.ts";
import { type AdminEnv, adminPage } from "./layout.ts";

const isList = (s: string | undefined): s is DeliveryList => (DELIVERY_LISTS as (string | undefined)[]).includes(s);

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
function RetryCell({ row: { d, grant }, csrf }: { row: DeliveryListRow; csrf: string }): Fragment | "" {
  if (d.state !== "failed") return "";
  const retry = (label: string) => ActionButton({ csrf, action: `/admin/deliveries/${d.id}/retry`, label, testid: `retry-${d.id}` });
  if (d.channel !== "provider") return retry("Retry");
  if (callRetriesGrant(d, grant?.state ? grant : null)) return retry(`Retry ${d.action === "revoke" ? "revoke" : "grant"}`);
  return d.requestId ? html`<a href="/admin/requests/${d.requestId}" data-testid="grant-of-${d.id}">See the grant</a>` : "";
}

function DeliveryRow({ row, csrf }: { row: DeliveryListRow; csrf: string }): Fragment {
  const { d } = row;
  return html`<tr data-delivery="${d.id}" data-state="${deliveryState(d)}"><td>${when(d.createdAt)}</td><td>${d.channel}</td><td>${d.to}</td>
<td>${d.subject}${d.requestId ? html`<br><a class="muted" href="/admin/requests/${d.requestId}">request ${d.requestId.slice(0, 8)}</a>` : ""}</td>
<td>${deliveryState(d)}</td><td>${d.attempts}</td><td>${d.lastError ?? ""}</td>
<td class="row-actions">${RetryCell({ row, csrf })}</td></tr>`;
}

function DeliveriesView(p: { list: DeliveryList; rows: DeliveryListRow[]; failed: number; retrying: number; csrf: string }): Fragment {
  return html`${TitleRow({
    children: html`<h1>Deliveries</h1>
${StateFilter({ options: DELIVERY_LISTS.map((s) => [s, s]), selected: p.list })}`,
  })}
<p class="${p.failed ? "notice bad" : "muted"}" data-testid="delivery-summary">${p.failed} failed, ${p.retrying} retrying. Mail, Slack, Teams and webhook deliveries are retried with backoff (5 s, 10 s, 20 s … up to 30 min, 8 attempts); a failing channel never holds up a decision. Retrying a provider call retries its grant, as on the request's page.</p>
${Table({
  testid: "delivery-list",
  head: ["Queued (UTC)", "Channel", "To", "What", "State", "Attempts", "Last error", ""],
  rows: p.rows.map((row) => DeliveryRow({ row, csrf: p.csrf })),
})}`;
}

/** Deliveries: every mail, chat message, webhook and provider call the relay queued, with its state, and a retry for failed ones. */
export function deliveryPages(relay: Relay) {
  return new Hono<AdminEnv>()
    .get("/admin/deliveries", async (c) => {
      const state = c.req.query("state");
      const list = isList(state) ? state : "all";
      const rows = await listDeliveries(relay, list);
      const counts = await deliveryCounts(relay);
      return c.html(adminPage(c, "deliveries", "Deliveries", DeliveriesView({ list, rows, ...counts, csrf: c.get("csrf") })));
    })
    .post("/admin/deliveries/:id/retry", async (c) => {
      const id = c.req.param("id");
      if (!isUuid(id)) return c.redirect("/admin/deliveries", 303);
      const retry = await retryDelivery(relay, c.get("admin").user.email, id, requestMeta(c, relay.env.TRUST_PROXY));
      const done = retry.call === "message" ? "delivery-retried" : retry.retried ? "grant-retried" : "delivery-not-retried";
      return c.redirect(`/admin/deliveries?done=${done}`, 303);
    });
}
