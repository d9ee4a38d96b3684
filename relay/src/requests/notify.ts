import type { NoticeKind } from "@gatehouse/shared";
import { and, eq, gt, inArray, isNull } from "drizzle-orm";
import { type ApproverReason, approverHeadline, type Outcome, outcomeLine } from "../channels/message.ts";
import { enqueue, enqueueMail } from "../channels/outbox.ts";
import { slackApproverMessage, slackDecidedMessage } from "../channels/slack.ts";
import { teamsApproverCard, teamsOutcomeCard } from "../channels/teams.ts";
import type { WebhookEvent, WebhookPayload } from "../channels/webhook.ts";
import type { Relay } from "../context.ts";
import type { Tx } from "../db/client.ts";
import { devices, grants, outbox, users } from "../db/schema/index.ts";
import { ONLINE_WINDOW_MS } from "../devices/service.ts";
import { signDecisionLink } from "../keys/signing.ts";
import { approvalMail, requesterUpdateMail } from "../mail/templates.ts";
import { addNotice } from "../push/bus.ts";
import { randomToken } from "../secrets.ts";
import { loadRequestContext, type RequestContext, type RequestRow } from "./context.ts";

/**
 * Who hears what, through which channel. Everything here only queues rows
 * in the caller's transaction (outbox, notices): nothing is sent unless the
 * state change commits, and a channel that fails later cannot undo it.
 */

/** The review page a shared channel links to: it sends each approver a personal link. */
export const reviewUrl = (relay: Relay, requestId: string) => `${relay.env.publicUrl}/review/${requestId}`;

/** Signs a decision link for one approver at the request's current step and round. */
export async function decisionLink(relay: Relay, request: RequestRow, approverId: string, now: Date): Promise<string> {
  const token = await signDecisionLink(
    relay.keys,
    relay.env.publicUrl,
    { approverId, requestId: request.id, step: request.step, round: request.round, jti: randomToken() },
    now,
    relay.env.LINK_TTL / 1000,
  );
  return `${relay.env.publicUrl}/decide/${token}`;
}

/**
 * Tells approvers of the request's current step, through the request's
 * channels: a mail and a Slack DM each carry the approver's own link; a Slack
 * or Teams channel gets one message pointing at the review page. A channel the
 * relay has no credentials for is recorded as a failed delivery, so admins see
 * it, and the others still go.
 */
export async function notifyApprovers(
  relay: Relay,
  tx: Tx,
  request: RequestRow,
  approverIds: string[],
  reason: ApproverReason,
  now: Date,
  /** What the caller already has: the request's context, and the approvers' names and addresses. */
  known: { ctx?: RequestContext; people?: readonly { id: string; email: string; name: string }[] } = {},
): Promise<void> {
  if (approverIds.length === 0) return;
  const context = known.ctx ?? (await loadRequestContext(tx, request));
  const channels = new Set(request.channels);
  const { env } = relay;
  const event = `approval.${reason.kind}`;
  const byId = new Map((known.people ?? []).map((u) => [u.id, u]));
  const approvers = approverIds.every((id) => byId.has(id))
    ? approverIds.map((id) => byId.get(id) as { id: string; email: string; name: string })
    : await tx.select({ id: users.id, email: users.email, name: users.name }).from(users).where(inArray(users.id, approverIds));
  for (const approver of approvers) {
    const link = await decisionLink(relay, request, approver.id, now);
    if (channels.has("email")) {
      await enqueueMail(
        tx,
        approvalMail({ to: approver.email, approverName: approver.name, ctx: context, reason, link }),
        now,
        !env.SMTP_URL,
        {
          requestId: request.id,
          event,
        },
      );
    }
    if (channels.has("slack") && env.SLACK_BOT_TOKEN) {
      // The same link, marked so the audit trail says the decision came through Slack.
      const message = slackApproverMessage(context, reason, { personal: `${link}?via=slack` });
      await enqueue(
        tx,
        {
          channel: "slack",
          to: approver.email,
          subject: message.text,
          text: message.text,
          payload: { kind: "dm", message },
          requestId: request.id,
          event,
        },
        now,
      );
    }
  }
  if (channels.has("slack") && !env.SLACK_BOT_TOKEN) {
    const message = slackApproverMessage(context, reason, { review: reviewUrl(relay, request.id) });
    const d = {
      channel: "slack" as const,
      to: "channel",
      subject: message.text,
      text: message.text,
      payload: { kind: "webhook", message },
      requestId: request.id,
      event,
    };
    if (env.SLACK_WEBHOOK_URL) await enqueue(tx, d, now);
    else await enqueue(tx, d, now, "failed", "Slack is not configured: set SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL");
  }
  if (channels.has("teams")) {
    const card = teamsApproverCard(context, reason, reviewUrl(relay, request.id));
    const headline = approverHeadline(context, reason);
    const d = { channel: "teams" as const, to: "channel", subject: headline, text: headline, payload: card, requestId: request.id, event };
    if (env.TEAMS_WEBHOOK_URL) await enqueue(tx, d, now);
    else await enqueue(tx, d, now, "failed", "Teams is not configured: set TEAMS_WEBHOOK_URL");
  }
}

/**
 * Once a request is decided (or ends undecided), the chat messages about it
 * say so: each Slack DM is edited in place (after it was sent), and a shared
 * Slack or Teams channel that was told of the request gets the outcome.
 */
export async function announceOutcome(relay: Relay, tx: Tx, request: RequestRow, outcome: Outcome, now: Date): Promise<void> {
  // Chat messages exist only where the request's channels (frozen when it was made) name a chat.
  if (!request.channels.some((c) => c === "slack" || c === "teams")) return;
  const sent = await tx
    .select({ id: outbox.id, channel: outbox.channel, payload: outbox.payload, state: outbox.state, event: outbox.event })
    .from(outbox)
    .where(and(eq(outbox.requestId, request.id), inArray(outbox.channel, ["slack", "teams"])));
  if (sent.length === 0) return;
  const ctx = await loadRequestContext(tx, request);
  const event = `request.${outcome.kind}`;
  const line = outcomeLine(outcome);
  const decided = slackDecidedMessage(ctx, outcome);
  const slack = (payload: Record<string, unknown>, to: string, afterId: string | null = null) =>
    enqueue(tx, { channel: "slack", to, subject: line, text: decided.text, payload, afterId, requestId: request.id, event }, now);
  // Each Slack DM an approver got is edited in place, once it has been sent.
  for (const row of sent) {
    if (row.channel === "slack" && row.state !== "failed" && (row.payload as { kind?: string } | null)?.kind === "dm")
      await slack({ kind: "update", message: decided }, "update", row.id);
  }
  const toChannel = (channel: string, kind?: string) =>
    sent.some(
      (r) => r.channel === channel && r.event?.startsWith("approval.") && (!kind || (r.payload as { kind?: string } | null)?.kind === kind),
    );
  // A webhook's channel message cannot be edited: the outcome follows it.
  if (toChannel("slack", "webhook") && relay.env.SLACK_WEBHOOK_URL) await slack({ kind: "webhook", message: decided }, "channel");
  if (toChannel("teams") && relay.env.TEAMS_WEBHOOK_URL) {
    await enqueue(
      tx,
      { channel: "teams", to: "channel", subject: line, text: line, payload: teamsOutcomeCard(ctx, outcome), requestId: request.id, event },
      now,
    );
  }
}

/** Titles of the requester's mail, by notice. */
const REQUESTER_TITLES: Partial<Record<NoticeKind, string>> = {
  "grant.started": "Access granted",
  "request.approved": "Access request approved",
  "grant.failed": "Access could not be set up",
  "grant.expiring": "Access ending soon",
  "request.rejected": "Access request rejected",
  "request.advanced": "Access request moved on",
  "request.info_requested": "An approver has a question",
  "request.escalated": "Access request escalated",
  "request.expired": "Access request expired",
  "request.cancelled": "Access request cancelled",
  "request.error": "Access request needs an admin",
};

/** Which of these people have an extension online now (seen in the last few minutes), in one query. */
export async function onlineUsers(tx: Tx, userIds: string[], now: Date): Promise<Set<string>> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return new Set();
  const rows = await tx
    .selectDistinct({ userId: devices.userId })
    .from(devices)
    .where(
      and(
        inArray(devices.userId, ids),
        isNull(devices.revokedAt),
        gt(devices.expiresAt, now),
        gt(devices.lastSeenAt, new Date(now.getTime() - ONLINE_WINDOW_MS)),
      ),
    );
  return new Set(rows.map((r) => r.userId));
}

/**
 * Tells the requester: a notice for their extension (pushed live, replayed
 * from a cursor), and a mail too when no extension of theirs has been online
 * in the last few minutes, so a decision never goes unseen.
 */
export async function notifyRequester(
  relay: Relay,
  tx: Tx,
  request: RequestRow,
  kind: NoticeKind,
  line: string,
  now: Date,
  grantId: string | null = null,
  /** Whether an extension of theirs is online, when the caller already knows (it asked for many at once). */
  knownOnline?: boolean,
): Promise<void> {
  await addNotice(tx, { userId: request.requesterId, kind, requestId: request.id, grantId }, now);
  const title = REQUESTER_TITLES[kind];
  if (!title) return;
  const online = knownOnline ?? (await onlineUsers(tx, [request.requesterId], now)).has(request.requesterId);
  if (online) return;
  const ctx = await loadRequestContext(tx, request);
  await enqueueMail(tx, requesterUpdateMail({ to: ctx.requester.email, ctx, title, line }), now, !relay.env.SMTP_URL, {
    requestId: request.id,
    event: kind,
  });
}

/** A request as webhook receivers see it. */
async function eventData(tx: Tx, request: RequestRow): Promise<Record<string, unknown>> {
  const [requester] = await tx.select({ email: users.email, name: users.name }).from(users).where(eq(users.id, request.requesterId));
  const [grant] = await tx.select().from(grants).where(eq(grants.requestId, request.id));
  return {
    request: {
      id: request.id,
      state: request.state,
      requester: requester ?? null,
      app: request.app,
      resource: { id: request.resourceId, name: request.resourceName, url: request.resourceUrl },
      flow: { id: request.flowId, name: request.flowName },
      duration: request.duration,
      reason: request.reason,
      ticket: request.ticket,
      step: request.step,
      stepCount: request.steps.length,
      createdAt: request.createdAt.toISOString(),
      decidedAt: request.decidedAt?.toISOString() ?? null,
      decisionNote: request.decisionNote,
    },
    grant: grant
      ? {
          id: grant.id,
          state: grant.state,
          scope: grant.scope,
          startsAt: grant.startsAt.toISOString(),
          endsAt: grant.endsAt?.toISOString() ?? null,
          endedAt: grant.endedAt?.toISOString() ?? null,
        }
      : null,
  };
}

/**
 * Queues an event for the generic webhook (when one is configured), with the
 * request as it is after the change. `request` must be the updated row.
 */
export async function publishEvent(
  relay: Relay,
  tx: Tx,
  type: WebhookEvent,
  request: RequestRow,
  extra: Record<string, unknown>,
  now: Date,
): Promise<void> {
  if (!relay.env.WEBHOOK_URL) return;
  const payload: WebhookPayload = { type, timestamp: now.toISOString(), data: { ...(await eventData(tx, request)), ...extra } };
  await enqueue(
    tx,
    {
      channel: "webhook",
      to: "webhook",
      subject: type,
      text: `${type} ${request.id}`,
      payload: payload as unknown as Record<string, unknown>,
      requestId: request.id,
      event: type,
    },
    now,
  );
}
