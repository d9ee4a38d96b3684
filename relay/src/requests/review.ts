import { and, eq, gt } from "drizzle-orm";
import type { Relay } from "../context.ts";
import { isIn, OPEN_FOR_APPROVERS } from "../core/request-lifecycle.ts";
import { approvals, outbox, requests, users } from "../db/schema/index.ts";
import { appendAudit, unitOfWork } from "../db/unit-of-work.ts";
import type { RequestMeta } from "../devices/service.ts";
import { notifyApprovers } from "./notify.ts";

/** One personal link per approver and request every two minutes, however often the button is pressed. */
const RESEND_MS = 2 * 60_000;

/**
 * The review page that shared channels (a Slack channel, a Teams channel)
 * link to: what it shows of a request still waiting for its approvers, or
 * null. It names the requester and the app only, as the channel did.
 */
export async function findReviewable(relay: Relay, requestId: string): Promise<{ requesterName: string; app: string } | null> {
  const [row] = await relay.database.db
    .select({ r: requests, name: users.name })
    .from(requests)
    .innerJoin(users, eq(users.id, requests.requesterId))
    .where(eq(requests.id, requestId));
  if (!row || !isIn(OPEN_FOR_APPROVERS, row.r.state)) return null;
  return { requesterName: row.name, app: row.r.app };
}

/**
 * An approver asks the review page for their own decision link: it is mailed
 * to them when `email` is an active approver of the request's current step
 * whose approval is pending, at most once per RESEND_MS. Whoever asked learns
 * nothing either way (the page says the same), so it reveals nobody.
 */
export async function sendPersonalLink(relay: Relay, requestId: string, email: string, meta: RequestMeta): Promise<void> {
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
