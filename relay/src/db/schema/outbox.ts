import { bigint, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * Every delivery (mail, Slack, Teams, signed webhook) is written in the same
 * transaction as the state change that caused it, and sent after commit by
 * the outbox worker (with retries and backoff). The row id is the delivery's
 * idempotency key (`webhook-id`, the mail's Message-ID). Without SMTP, mail
 * rows stay `held` and are readable at /dev/outbox in embedded mode.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** `email`, `slack`, `teams`, `webhook` (channels/) or `provider` (a grant's provisioning call, grants/effects.ts). */
    channel: text("channel").notNull().default("email"),
    /** An email address, a Slack user's email, or a channel/endpoint name. */
    to: text("to").notNull(),
    /** For chat and webhooks: the body to send, built when the row is written. */
    payload: jsonb("payload").$type<Record<string, unknown>>(),
    /** What the far end answered that later deliveries need (a Slack message's channel and ts). */
    response: jsonb("response").$type<Record<string, unknown>>(),
    /** A delivery that must be sent before this one (a Slack update waits for its message). */
    afterId: uuid("after_id"),
    requestId: uuid("request_id"),
    /** The event this delivery tells of (`request.created`…), for the admin UI and webhooks. */
    event: text("event"),
    subject: text("subject").notNull(),
    text: text("text").notNull(),
    html: text("html").notNull(),
    /** For provider calls: the grant, the action (`grant`, `revoke`, `extend`) and its idempotency key. */
    grantId: uuid("grant_id"),
    action: text("action"),
    key: text("key").unique(),
    /**
     * `waiting`: the far end accepted the work and will confirm by callback
     * (until `next_attempt_at`); `cancelled`: a call no longer wanted (a
     * grant that ended before it was provisioned).
     */
    state: text("state", { enum: ["pending", "sent", "failed", "held", "waiting", "cancelled"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull(),
    lastError: text("last_error"),
    /** While a worker is sending it: later calls of the same grant wait until it is done. */
    leasedUntil: timestamp("leased_until", { withTimezone: true }),
    /**
     * The relay instance sending it. On PostgreSQL each instance holds a
     * session advisory lock named by its id while it lives, so the rows of an
     * instance that died (kill -9) are taken over as soon as its session
     * ends, not when the lease runs out (db/client.ts, channels/outbox.ts).
     */
    claimedBy: text("claimed_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [
    index("outbox_due_idx").on(t.state, t.nextAttemptAt),
    index("outbox_request_idx").on(t.requestId),
    index("outbox_grant_idx").on(t.grantId),
  ],
);

/**
 * Notices for a requester's extension. Ids are taken under the audit chain's
 * lock, so they grow in commit order and a cursor never skips one.
 */
export const notices = pgTable(
  "notices",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: uuid("user_id").notNull(),
    kind: text("kind").notNull(),
    requestId: uuid("request_id").notNull(),
    grantId: uuid("grant_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("notices_user_idx").on(t.userId, t.id)],
);
