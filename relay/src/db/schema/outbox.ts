import { bigint, index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * Mail written in the same transaction as the state change that caused it, and
 * sent after commit by the outbox worker (with retries). Without SMTP the rows
 * stay `held` and are readable at /dev/outbox in embedded mode.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    to: text("to").notNull(),
    subject: text("subject").notNull(),
    text: text("text").notNull(),
    html: text("html").notNull(),
    state: text("state", { enum: ["pending", "sent", "failed", "held"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull(),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [index("outbox_due_idx").on(t.state, t.nextAttemptAt)],
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
