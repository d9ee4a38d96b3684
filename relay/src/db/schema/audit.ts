import { sql } from "drizzle-orm";
import { bigint, customType, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** PostgreSQL's 64-bit transaction id (never wraps), as text. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => "xid8" });

/**
 * Append-only audit trail. Each event carries the hash of the previous one, so
 * any edit or deletion breaks the chain (see `audit/chain.ts`).
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    requestId: uuid("request_id"),
    grantId: uuid("grant_id"),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    ip: text("ip"),
    userAgent: text("user_agent"),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull().unique(),
  },
  (t) => [index("audit_request_idx").on(t.requestId)],
);

/**
 * Signed heads of the audit chain (audit/checkpoints.ts). Each row's `jws` is
 * the whole truth (an Ed25519 JWS over head id, head hash and count); the
 * columns beside it are for queries. Exported as they are written, so a copy
 * outside the database anchors the trail even if these rows are removed.
 */
export const auditCheckpoints = pgTable("audit_checkpoints", {
  headId: bigint("head_id", { mode: "number" }).primaryKey(),
  headHash: text("head_hash").notNull(),
  count: bigint("count", { mode: "number" }).notNull(),
  at: timestamp("at", { withTimezone: true }).notNull(),
  kid: text("kid").notNull(),
  jws: text("jws").notNull(),
});

/**
 * Audit events committed but not chained yet. A unit of work writes its
 * events here, with no hash and no lock, so writers never wait on each
 * other; the chainer (db/audit-chainer.ts) moves them into `audit_events`
 * after commit, hashing each onto the last. Rows stay here for milliseconds.
 */
export const auditInbox = pgTable(
  "audit_inbox",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** The writing transaction (pg_current_xact_id()): which events were written together, should the inbox ever need reading by hand. */
    xid: xid8("xid").notNull().default(sql`pg_current_xact_id()`),
    at: timestamp("at", { withTimezone: true }).notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    requestId: uuid("request_id"),
    grantId: uuid("grant_id"),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [index("audit_inbox_xid_idx").on(t.xid, t.id)],
);
