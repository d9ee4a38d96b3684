import { desc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { html } from "hono/html";
import type { Relay } from "../../context.ts";
import { outbox } from "../../db/schema/index.ts";
import { page } from "./layout.ts";

/**
 * The development mail outbox: mail the relay would have sent, for embedded
 * mode without SMTP. Never mounted in production mode (it shows sign-in and
 * decision links).
 */
export function outboxPages(relay: Relay) {
  return new Hono()
    .get("/dev/outbox", async (c) => {
      const rows = await relay.database.db.select().from(outbox).orderBy(desc(outbox.createdAt)).limit(100);
      return c.html(
        page(
          "Dev outbox",
          html`<h1>Dev mail outbox</h1>
<p class="muted">Embedded mode with no SMTP_URL: mail is kept here instead of being sent. Newest first.</p>
<table><thead><tr><th>When</th><th>To</th><th>Subject</th></tr></thead><tbody>
${rows.map(
  (m) =>
    html`<tr><td>${m.createdAt.toISOString().slice(0, 19).replace("T", " ")}</td><td>${m.to}</td><td><a href="/dev/outbox/${m.id}">${m.subject}</a></td></tr>`,
)}
</tbody></table>`,
        ),
      );
    })
    .get("/dev/outbox/:id{[0-9a-f-]{36}}", async (c) => {
      const [m] = await relay.database.db
        .select()
        .from(outbox)
        .where(eq(outbox.id, c.req.param("id")));
      if (!m) return c.notFound();
      return c.html(
        page(
          m.subject,
          html`<p><a href="/dev/outbox">← Outbox</a></p><h1>${m.subject}</h1>
<dl><dt>To</dt><dd>${m.to}</dd><dt>State</dt><dd>${m.state}</dd></dl>
<pre class="mail">${m.text}</pre>`,
        ),
      );
    });
}
