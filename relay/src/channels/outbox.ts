import { and, eq, inArray, lte, sql } from "drizzle-orm";
import type { Transporter } from "nodemailer";
import type { Relay } from "../context.ts";
import type { Tx } from "../db/client.ts";
import { outbox } from "../db/schema/index.ts";
import { DeliveryError, httpFailure } from "./http.ts";
import { slackApi } from "./slack.ts";
import { sendWebhook, type WebhookPayload } from "./webhook.ts";

export type DeliveryChannel = "email" | "slack" | "teams" | "webhook";
export type OutboxRow = typeof outbox.$inferSelect;

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** One message to send after commit. `subject` and `text` summarise it for the admin UI whatever the channel. */
export interface Delivery {
  channel: DeliveryChannel;
  to: string;
  subject: string;
  text: string;
  html?: string;
  payload?: Record<string, unknown>;
  requestId?: string | null;
  event?: string | null;
  afterId?: string | null;
}

/**
 * Queues a delivery in the caller's transaction: it is sent only if the
 * change that caused it commits, and a failing channel can never roll that
 * change back. `held` rows (mail without SMTP) are never sent; `failed` rows
 * record at once a delivery that cannot be made (a channel not configured),
 * so admins see it. Returns the row id, the delivery's idempotency key.
 */
export async function enqueue(
  tx: Tx,
  d: Delivery,
  now: Date,
  state: "pending" | "held" | "failed" = "pending",
  lastError: string | null = null,
): Promise<string> {
  const [row] = await tx
    .insert(outbox)
    .values({
      channel: d.channel,
      to: d.to,
      subject: d.subject,
      text: d.text,
      html: d.html ?? "",
      payload: d.payload ?? null,
      requestId: d.requestId ?? null,
      event: d.event ?? null,
      afterId: d.afterId ?? null,
      state,
      lastError,
      nextAttemptAt: now,
      createdAt: now,
    })
    .returning({ id: outbox.id });
  if (!row) throw new Error("outbox insert returned nothing");
  return row.id;
}

/** Queues a mail; without SMTP it is held for /dev/outbox. */
export async function enqueueMail(
  tx: Tx,
  mail: Mail,
  now: Date,
  held: boolean,
  extra: Pick<Delivery, "requestId" | "event"> = {},
): Promise<string> {
  return enqueue(tx, { channel: "email", ...mail, ...extra }, now, held ? "held" : "pending");
}

const MAX_ATTEMPTS = 8;
/**
 * A claimed row is retried by any instance after this, should its sender die.
 * Longer than a batch can take (10 rows, each at most two 10 s HTTP calls or
 * one SMTP exchange with 30 s socket timeouts).
 */
const LEASE_MS = 10 * 60_000;

/** Backoff after the n-th failed attempt: 5 s, 10 s, 20 s, … capped at 30 min. */
export function retryDelayMs(attempts: number): number {
  return Math.min(5_000 * 2 ** (attempts - 1), 1_800_000);
}

export interface Senders {
  mail: Transporter | null;
}

/**
 * Sends due deliveries of every channel: claims rows under `FOR UPDATE SKIP
 * LOCKED` by pushing their next attempt out by a lease (so several instances
 * share the work and a dead sender's rows come back), sends after commit,
 * then records the outcome. Returns how many rows it claimed.
 */
export async function deliverDue(relay: Relay, senders: Senders, batch = 10): Promise<number> {
  const { db } = relay.database;
  const now = relay.clock.now();
  const claimed = await db.transaction(async (tx) => {
    const due = await tx
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(eq(outbox.state, "pending"), lte(outbox.nextAttemptAt, now)))
      .orderBy(outbox.nextAttemptAt)
      .limit(batch)
      .for("update", { skipLocked: true });
    if (due.length === 0) return [];
    return tx
      .update(outbox)
      .set({ nextAttemptAt: new Date(now.getTime() + LEASE_MS), attempts: sql`${outbox.attempts} + 1` })
      .where(
        inArray(
          outbox.id,
          due.map((d) => d.id),
        ),
      )
      .returning();
  });
  // Oldest first, so a Slack update follows the message it updates when both are due together.
  claimed.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  for (const row of claimed) {
    // The outcome is written only while this claim still holds: if the lease ran out and another
    // instance claimed the row (attempts moved on), that instance owns it now.
    const ours = and(eq(outbox.id, row.id), eq(outbox.state, "pending"), eq(outbox.attempts, row.attempts));
    try {
      const response = await send(relay, senders, row);
      if (response === "wait") {
        // What it depends on is not sent yet: try again soon without spending an attempt.
        await db
          .update(outbox)
          .set({ attempts: sql`${outbox.attempts} - 1`, nextAttemptAt: new Date(relay.clock.now().getTime() + 5_000) })
          .where(ours);
        continue;
      }
      await db
        .update(outbox)
        .set({ state: "sent", sentAt: relay.clock.now(), lastError: null, response: response ?? null })
        .where(ours);
    } catch (err) {
      const e = err instanceof DeliveryError ? err : new DeliveryError((err as Error).message, false);
      const failed = e.permanent || row.attempts >= MAX_ATTEMPTS;
      relay.log.warn("delivery failed", { id: row.id, channel: row.channel, attempts: row.attempts, error: e.message, final: failed });
      await db
        .update(outbox)
        .set({
          state: failed ? "failed" : "pending",
          lastError: e.message.slice(0, 500),
          nextAttemptAt: new Date(relay.clock.now().getTime() + (e.retryAfterMs ?? retryDelayMs(row.attempts))),
        })
        .where(ours);
    }
  }
  return claimed.length;
}

type SendResult = Record<string, unknown> | null | "wait";

async function send(relay: Relay, senders: Senders, row: OutboxRow): Promise<SendResult> {
  const { env } = relay;
  switch (row.channel) {
    case "email":
      if (!senders.mail) throw new DeliveryError("no SMTP_URL is configured", true);
      await senders.mail.sendMail({
        from: env.MAIL_FROM,
        to: row.to,
        subject: row.subject,
        text: row.text,
        html: row.html,
        messageId: `<${row.id}@gatehouse>`,
      });
      return null;
    case "slack":
      return sendSlack(relay, row);
    case "teams": {
      if (!env.TEAMS_WEBHOOK_URL) throw new DeliveryError("TEAMS_WEBHOOK_URL is not configured", true);
      await postJson(env.TEAMS_WEBHOOK_URL, row.payload ?? {}, "teams");
      return null;
    }
    case "webhook": {
      if (!env.WEBHOOK_URL || !env.WEBHOOK_SECRET) throw new DeliveryError("WEBHOOK_URL is not configured", true);
      await sendWebhook(env.WEBHOOK_URL, env.WEBHOOK_SECRET, row.id, row.payload as unknown as WebhookPayload, relay.clock.now());
      return null;
    }
    default:
      throw new DeliveryError(`unknown channel '${row.channel}'`, true);
  }
}

interface SlackPayload {
  kind: "dm" | "update" | "webhook";
  message: { text: string; blocks: unknown[] };
}

async function sendSlack(relay: Relay, row: OutboxRow): Promise<SendResult> {
  const { env } = relay;
  const p = row.payload as unknown as SlackPayload;
  if (p.kind === "webhook") {
    if (!env.SLACK_WEBHOOK_URL) throw new DeliveryError("SLACK_WEBHOOK_URL is not configured", true);
    await postJson(env.SLACK_WEBHOOK_URL, p.message, "slack webhook");
    return null;
  }
  const token = env.SLACK_BOT_TOKEN;
  if (!token) throw new DeliveryError("SLACK_BOT_TOKEN is not configured", true);
  if (p.kind === "dm") {
    const found = await slackApi(env.SLACK_API_URL, token, "users.lookupByEmail", { email: row.to });
    const userId = (found.user as { id?: string } | undefined)?.id;
    if (!userId) throw new DeliveryError("slack users.lookupByEmail: no user id", true);
    const posted = await slackApi(env.SLACK_API_URL, token, "chat.postMessage", { channel: userId, ...p.message, unfurl_links: false });
    return { channel: posted.channel, ts: posted.ts };
  }
  // An update edits the DM it follows; it waits until that DM is sent, and gives up if it never will be.
  const [original] = row.afterId ? await relay.database.db.select().from(outbox).where(eq(outbox.id, row.afterId)) : [];
  if (!original || original.state === "failed") throw new DeliveryError("the message to update was never sent", true);
  if (original.state !== "sent") return "wait";
  const ref = original.response as { channel?: string; ts?: string } | null;
  if (!ref?.channel || !ref.ts) throw new DeliveryError("the message to update has no channel and ts", true);
  await slackApi(env.SLACK_API_URL, token, "chat.update", { channel: ref.channel, ts: ref.ts, ...p.message });
  return null;
}

async function postJson(url: string, body: unknown, what: string): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw await httpFailure(res, what);
}
