import { Hono } from "hono";
import { html } from "hono/html";
import { findDelivery, latestDeliveries, type OutboxRow } from "../../channels/outbox.ts";
import type { Relay } from "../../context.ts";
import { type Fragment, Table } from "./components.ts";
import { page } from "./layout.ts";

function outboxList(rows: OutboxRow[]): Fragment {
  return page(
    "Dev outbox",
    html`<h1>Dev mail outbox</h1>
<p class="muted">Embedded mode with no SMTP_URL: mail is kept here instead of being sent. Newest first.</p>
${Table({
  head: ["When", "To", "Subject"],
  rows: rows.map(
    (m) =>
      html`<tr><td>${m.createdAt.toISOString().slice(0, 19).replace("T", " ")}</td><td>${m.to}</td><td><a href="/dev/outbox/${m.id}">${m.subject}</a></td></tr>`,
  ),
})}`,
  );
}

function outboxMail(m: OutboxRow): Fragment {
  return page(
    m.subject,
    html`<p><a href="/dev/outbox">← Outbox</a></p><h1>${m.subject}</h1>
<dl><dt>To</dt><dd>${m.to}</dd><dt>State</dt><dd>${m.state}</dd></dl>
<pre class="mail">${m.text}</pre>`,
  );
}

/**
 * The development mail outbox: mail the relay would have sent, for embedded
 * mode without SMTP. Never mounted in production mode (it shows sign-in and
 * decision links).
 */
export function outboxPages(relay: Relay) {
  return new Hono()
    .get("/dev/outbox", async (c) => c.html(outboxList(await latestDeliveries(relay))))
    .get("/dev/outbox/:id{[0-9a-f-]{36}}", async (c) => {
      const m = await findDelivery(relay, c.req.param("id"));
      return m ? c.html(outboxMail(m)) : c.notFound();
    });
}
