import { randomUUID } from "node:crypto";
import { and, desc, eq, inArray, isNotNull, lte, or, sql } from "drizzle-orm";
import type { Transporter } from "nodemailer";
import type { Relay } from "../context.ts";
import type { Tx } from "../db/client.ts";
import { loggableError } from "../db/faults.ts";
import { outbox } from "../db/schema/index.ts";
import { appendOutbox, unitOfWork } from "../db/unit-of-work.ts";
import { DeliveryError, httpFailure } from "./http.ts";
import { slackApi } from "./slack.ts";
import { sendWebhook, type WebhookPayload } from "./webhook.ts";

export type DeliveryChannel = "email" | "slack" | "teams" | "webhook" | "provider";
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
  // Written at the end of the caller's unit of work with its other rows: the id is made here, so callers can chain deliveries (afterId).
  const id = randomUUID();
  await appendOutbox(tx, {
    id,
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
  });
  return id;
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

/** The newest deliveries of every channel, newest first: what the dev outbox lists. */
export async function latestDeliveries(relay: Relay, limit = 100): Promise<OutboxRow[]> {
  return relay.database.db.select().from(outbox).orderBy(desc(outbox.createdAt)).limit(limit);
}

/** One delivery by its id, or null. */
export async function findDelivery(relay: Relay, id: string): Promise<OutboxRow | null> {
  const [row] = await relay.database.db.select().from(outbox).where(eq(outbox.id, id));
  return row ?? null;
}

const MAX_ATTEMPTS = 8;
/**
 * A claimed row comes back to any instance after this, should its sender
 * die (kill -9, a lost machine): a live sender renews the lease of what it
 * is still sending every LEASE_MS / 3, so a slow SMTP exchange keeps its
 * row and a dead sender's rows return within seconds, not minutes.
 */
export const LEASE_MS = 15_000;
/** Provider calls claimed at once: they are sent side by side and recorded in one transaction (grants/effects.ts). */
const PROVIDER_BATCH = 100;

/** Backoff after the n-th failed attempt: 5 s, 10 s, 20 s, … capped at 30 min. */
export function retryDelayMs(attempts: number): number {
  return Math.min(5_000 * 2 ** (attempts - 1), 1_800_000);
}

export interface Senders {
  mail: Transporter | null;
  /** Sends claimed provider calls and records their outcomes (grants/effects.ts); absent: provider rows are left alone. */
  provider?: (relay: Relay, rows: OutboxRow[]) => Promise<void>;
}

/**
 * Claims due rows under `FOR UPDATE SKIP LOCKED` by pushing their next
 * attempt out by a lease, so several instances share the work. A provider
 * call whose callback did not come before its deadline (`waiting`) is due
 * again as a retry.
 */
async function claim(relay: Relay, batch: number, channels: "providers" | "others"): Promise<OutboxRow[]> {
  const now = relay.clock.now();
  const alive = relay.database.instanceAlive;
  return unitOfWork(relay.database.db, async (tx) => {
    const due = await tx
      .select({ id: outbox.id })
      .from(outbox)
      .where(
        and(
          or(
            and(inArray(outbox.state, ["pending", "waiting"]), lte(outbox.nextAttemptAt, now)),
            // Claimed by an instance that has died (its session, and with it its lock, is gone): taken over now, not at lease end.
            alive
              ? and(
                  eq(outbox.state, "pending"),
                  isNotNull(outbox.leasedUntil),
                  isNotNull(outbox.claimedBy),
                  sql`not ${alive(outbox.claimedBy)}`,
                )
              : undefined,
          ),
          channels === "providers" ? eq(outbox.channel, "provider") : sql`${outbox.channel} <> 'provider'`,
        ),
      )
      .orderBy(outbox.nextAttemptAt)
      .limit(batch)
      .for("update", { skipLocked: true });
    if (due.length === 0) return [];
    const until = new Date(now.getTime() + LEASE_MS);
    return tx
      .update(outbox)
      .set({
        nextAttemptAt: until,
        leasedUntil: until,
        claimedBy: relay.database.instanceId,
        attempts: sql`${outbox.attempts} + 1`,
        state: "pending",
        lastError: sql`case when ${outbox.state} = 'waiting' then 'no callback came before the deadline' else ${outbox.lastError} end`,
      })
      .where(
        inArray(
          outbox.id,
          due.map((d) => d.id),
        ),
      )
      .returning();
  });
}

/** Renews the leases of rows still being sent, until stopped. */
function heartbeat(relay: Relay, rows: OutboxRow[], busy: Set<string>): () => void {
  const timer = setInterval(() => {
    const live = rows.filter((r) => busy.has(r.id));
    if (live.length === 0) return;
    const until = new Date(relay.clock.now().getTime() + LEASE_MS);
    void relay.database.db
      .update(outbox)
      .set({ nextAttemptAt: until, leasedUntil: until })
      .where(
        and(
          inArray(
            outbox.id,
            live.map((r) => r.id),
          ),
          eq(outbox.state, "pending"),
          // A row whose outcome is recorded has no lease: renewing it would push back its retry.
          isNotNull(outbox.leasedUntil),
        ),
      )
      .catch((err: unknown) => relay.log.warn("lease renewal failed", loggableError(err)));
  }, LEASE_MS / 3);
  timer.unref?.();
  return () => clearInterval(timer);
}

/**
 * Sends due deliveries of every channel, and provider calls when a provider
 * sender is given: claims a batch, sends it after commit, records each
 * outcome, and goes on while full batches come. Chat and mail go one by
 * one, oldest first (a Slack update follows its message); provider calls
 * are claimed in larger batches of their own and sent side by side, so a
 * thousand revokes at one second do not queue behind mail. Returns how many
 * rows it claimed.
 */
export async function deliverDue(relay: Relay, senders: Senders, batch = 20): Promise<number> {
  const drain = async (channels: "providers" | "others", size: number, send: (rows: OutboxRow[]) => Promise<void>) => {
    let total = 0;
    for (;;) {
      const claimed = await claim(relay, size, channels);
      total += claimed.length;
      if (claimed.length === 0) break;
      const busy = new Set(claimed.map((r) => r.id));
      const stop = heartbeat(relay, claimed, busy);
      try {
        await send(claimed);
      } finally {
        busy.clear();
        stop();
      }
      if (claimed.length < size) break;
    }
    return total;
  };
  const sendProviders = senders.provider;
  const [others, calls] = await Promise.all([
    drain("others", batch, async (rows) => {
      const ordered = [...rows].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
      for (const row of ordered) await deliverOne(relay, senders, row);
    }),
    sendProviders ? drain("providers", Math.max(batch, PROVIDER_BATCH), (rows) => sendProviders(relay, rows)) : Promise.resolve(0),
  ]);
  return others + calls;
}

async function deliverOne(relay: Relay, senders: Senders, row: OutboxRow): Promise<void> {
  const { db } = relay.database;
  // The outcome is written only while this claim still holds: if the lease ran out and another
  // instance claimed the row (attempts moved on), that instance owns it now.
  const ours = and(eq(outbox.id, row.id), eq(outbox.state, "pending"), eq(outbox.attempts, row.attempts));
  try {
    const response = await send(relay, senders, row);
    if (response === "wait") {
      // What it depends on is not sent yet: try again soon without spending an attempt.
      await db
        .update(outbox)
        .set({ attempts: sql`${outbox.attempts} - 1`, nextAttemptAt: new Date(relay.clock.now().getTime() + 5_000), leasedUntil: null })
        .where(ours);
      return;
    }
    await db
      .update(outbox)
      .set({ state: "sent", sentAt: relay.clock.now(), lastError: null, response: response ?? null, leasedUntil: null })
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
        leasedUntil: null,
      })
      .where(ours);
  }
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
