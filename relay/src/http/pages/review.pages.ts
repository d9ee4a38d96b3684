import { and, eq, gt } from "drizzle-orm";
import { Hono } from "hono";
import { html } from "hono/html";
import type { Relay } from "../../context.ts";
import { approvals, outbox, requests, users } from "../../db/schema/index.ts";
import { appendAudit, unitOfWork } from "../../db/unit-of-work.ts";
import { notifyApprovers } from "../../requests/notify.ts";
import { isIn, OPEN_FOR_APPROVERS } from "../../requests/states.ts";
import { requestMeta } from "../auth.ts";
import { checkCsrfToken, issueCsrfToken } from "../csrf.ts";
import { page } from "./layout.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** One personal link per approver and request every two minutes, however often the button is pressed. */
const RESEND_MS = 2 * 60_000;

/**
 * The review page that shared channels (a Slack channel, a Teams channel)
 * link to. A channel message is seen by many, so it never carries a
 * decision link; here an approver asks for their own, which goes to their
 * mailbox. The page says the same whoever asks, so it reveals nobody.
 */
export function reviewPages(relay: Relay) {
  const secure = relay.env.publicUrl.startsWith("https:");
  const gone = () =>
    page(
      "Request",
      html`<h1>Nothing to review</h1><p class="notice info" data-testid="review-closed">This request is not waiting for a decision.</p>`,
    );

  return new Hono()
    .get("/review/:id", async (c) => {
      const id = c.req.param("id");
      if (!UUID.test(id)) return c.html(gone(), 404);
      const [row] = await relay.database.db
        .select({ r: requests, name: users.name })
        .from(requests)
        .innerJoin(users, eq(users.id, requests.requesterId))
        .where(eq(requests.id, id));
      if (!row || !isIn(OPEN_FOR_APPROVERS, row.r.state)) return c.html(gone(), 404);
      const csrf = issueCsrfToken(c, secure, relay.csrfKey);
      return c.html(
        page(
          "Review a request",
          html`<h1>${row.name} asks for access to ${row.r.app}</h1>
<p>Decision links are personal. If you are an approver of this request, Gatehouse mails you a link of your own.</p>
<form method="post"><input type="hidden" name="csrf" value="${csrf}">
<label for="email">Your work email</label><input id="email" name="email" type="email" required autocomplete="email" data-testid="review-email">
<div class="actions"><button class="primary" type="submit" data-testid="review-send">Email me my decision link</button></div></form>`,
        ),
      );
    })
    .post("/review/:id", async (c) => {
      const form = await c.req.parseBody();
      if (!checkCsrfToken(c, form.csrf, relay.csrfKey))
        return c.html(page("Form expired", html`<h1>Form expired</h1><p class="notice bad">Open the review page again.</p>`), 403);
      const id = c.req.param("id");
      const email = typeof form.email === "string" ? form.email.trim().toLowerCase().slice(0, 320) : "";
      if (UUID.test(id) && email) await sendPersonalLink(relay, id, email, requestMeta(c, relay.env.TRUST_PROXY));
      return c.html(
        page(
          "Check your mail",
          html`<h1>Check your mail</h1><p class="notice info" data-testid="review-sent">If ${email} belongs to an approver of this request, their decision link is on its way.</p>`,
        ),
      );
    });
}

async function sendPersonalLink(
  relay: Relay,
  requestId: string,
  email: string,
  meta: { ip: string | null; userAgent: string | null },
): Promise<void> {
  const now = relay.clock.now();
  await unitOfWork(relay.database.db, async (tx) => {
    // No row lock: this page is open to anyone with the URL, and must not hold up decisions or the sweeps.
    const [request] = await tx.select().from(requests).where(eq(requests.id, requestId));
    if (!request || !isIn(OPEN_FOR_APPROVERS, request.state)) return;
    const [approver] = await tx.select().from(users).where(eq(users.email, email));
    if (!approver?.active) return;
    const [approval] = await tx
      .select()
      .from(approvals)
      .where(
        and(
          eq(approvals.requestId, requestId),
          eq(approvals.step, request.step),
          eq(approvals.approverId, approver.id),
          eq(approvals.state, "pending"),
        ),
      );
    if (!approval) return;
    const recent = await tx
      .select({ id: outbox.id })
      .from(outbox)
      .where(
        and(
          eq(outbox.requestId, requestId),
          eq(outbox.to, approver.email),
          eq(outbox.channel, "email"),
          gt(outbox.createdAt, new Date(now.getTime() - RESEND_MS)),
        ),
      )
      .limit(1);
    if (recent.length) return;
    await notifyApprovers(relay, tx, { ...request, channels: ["email"] }, [approver.id], { kind: "opened" }, now);
    // Whoever pressed the button is not known (the link went to the approver's own mailbox): the page is the actor.
    await appendAudit(tx, {
      at: now,
      actor: "review-page",
      action: "approval.link_requested",
      requestId,
      data: { step: request.step, approver: approver.email },
      ...meta,
    });
  });
}
