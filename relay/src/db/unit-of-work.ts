import { sql } from "drizzle-orm";
import { chainerOf, chainInTransaction } from "./audit-chainer.ts";
import { chunks } from "./chunks.ts";
import type { Db, Tx } from "./client.ts";
import { auditInbox, notices, outbox } from "./schema/index.ts";
import { isSerial } from "./serial.ts";

export { chainCommitted, lockChain } from "./audit-chainer.ts";

export interface AuditInput {
  at: Date;
  actor: string;
  action: string;
  requestId?: string | null;
  grantId?: string | null;
  data?: Record<string, unknown>;
  ip?: string | null;
  userAgent?: string | null;
}

/** An event's fields as stored (and hashed): absent ones as null. */
function storedFields(e: AuditInput) {
  return {
    at: e.at,
    actor: e.actor,
    action: e.action,
    requestId: e.requestId ?? null,
    grantId: e.grantId ?? null,
    data: e.data ?? {},
    ip: e.ip ?? null,
    userAgent: e.userAgent ?? null,
  };
}

/** The NOTIFY channel that wakes live connections (push/bus.ts listens). */
export const NOTICE_CHANNEL = "gatehouse_notices";

export interface NoticeInput {
  userId: string;
  kind: string;
  requestId: string;
  grantId: string | null;
  createdAt: Date;
}

/**
 * What a unit of work adds to the trail and the push stream, held until its
 * end and written together just before commit.
 */
interface TrailWrites {
  events: AuditInput[];
  notices: NoticeInput[];
  /** Inbox ids of the events written, to wait for their chaining after commit. */
  written: number[];
  /** What to do once the transaction has committed (afterCommit). */
  after: (() => void)[];
  /** Outbox rows (deliveries, queued by channels/outbox.ts), written with the rest at the end. */
  outbox: (typeof outbox.$inferInsert)[];
  /** Events go straight into the chain (a database that runs one transaction at a time). */
  inline?: boolean;
}
const pending = new WeakMap<object, TrailWrites>();

/** Advisory-lock key space of the per-user notice locks (the second key is the user id's hash). */
const NOTICE_LOCK_SPACE = 7_202_612;
/** NOTIFY payloads are limited to 8000 bytes: user ids are sent in groups well below it. */
const NOTIFY_IDS = 150;

/**
 * The unit of work: a transaction that collects its audit events and notices
 * (appendAudit, appendNotice) and writes them at its end. No lock is shared
 * by all writers: events go to the audit inbox and are chained after commit
 * (db/audit-chainer.ts), which this waits for before returning, so the
 * caller reads its own events in the trail; notices take a lock per user
 * they are for, so each user's notice ids grow in commit order (the cursor a
 * stream resumes from never skips one) while writers for different people
 * never wait on each other; and one NOTIFY names every user with new notices.
 */
export async function unitOfWork<T>(db: Db | Tx, fn: (tx: Tx) => Promise<T>, config?: Parameters<Db["transaction"]>[1]): Promise<T> {
  const writes: TrailWrites = { events: [], notices: [], written: [], after: [], outbox: [], inline: isSerial(db) };
  const result = await db.transaction(async (tx) => {
    pending.set(tx, writes);
    const result = await fn(tx);
    pending.delete(tx);
    await writeTrail(tx, writes);
    return result;
  }, config);
  // Committed.
  for (const fn of writes.after) fn();
  // Chaining can fail (the database went away just now): the change stands, and the relay's chain loop catches up.
  if (writes.written.length > 0 && !pending.has(db))
    await chainerOf(db as Db)
      .chained(writes.written)
      .catch(() => undefined);
  return result;
}

/**
 * Writes what the unit of work collected — outbox rows, audit events to the
 * inbox, notices under their users' locks, one NOTIFY for them — as one
 * pipeline: every statement is issued at once, so they travel to the
 * database in one write and come back in one round trip (the server runs
 * them in order; one failing fails the transaction).
 */
async function writeTrail(tx: Tx, w: TrailWrites): Promise<void> {
  const statements: Promise<unknown>[] = [];
  for (const part of chunks(w.outbox))
    statements.push(
      tx
        .insert(outbox)
        .values(part)
        .then(() => undefined),
    );
  if (w.inline && w.events.length) statements.push(chainInTransaction(tx, w.events.map(storedFields)));
  else
    for (const part of chunks(w.events.map(storedFields)))
      statements.push(
        tx
          .insert(auditInbox)
          .values(part)
          .returning({ id: auditInbox.id })
          .then((ids) => {
            w.written.push(...ids.map((r) => r.id));
          }),
      );
  if (w.notices.length) {
    // Sorted, so two transactions for the same people take their locks in the same order; before the inserts, in the pipeline's order.
    const users = [...new Set(w.notices.map((n) => n.userId))].sort();
    for (const userId of users) statements.push(tx.execute(sql`select pg_advisory_xact_lock(${NOTICE_LOCK_SPACE}, hashtext(${userId}))`));
    for (const part of chunks(w.notices))
      statements.push(
        tx
          .insert(notices)
          .values(part)
          .then(() => undefined),
      );
    // Delivered after commit, on every instance: ids only, the rows carry the data.
    for (let i = 0; i < users.length; i += NOTIFY_IDS)
      statements.push(tx.execute(sql`select pg_notify(${NOTICE_CHANNEL}, ${users.slice(i, i + NOTIFY_IDS).join(",")})`));
  }
  // allSettled first, so no statement is left running when the first failure is thrown.
  const settled = await Promise.allSettled(statements);
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/**
 * Queues an outbox row in the caller's unit of work, written with the rest
 * at its end (outside one, at once). The caller gives the row its id.
 */
export async function appendOutbox(tx: Tx, row: typeof outbox.$inferInsert & { id: string }): Promise<void> {
  const w = pending.get(tx);
  if (w) w.outbox.push(row);
  else await tx.insert(outbox).values(row);
}

/** Appends one event in the caller's transaction (same commit as the change). */
export async function appendAudit(tx: Tx, event: AuditInput): Promise<void> {
  const w = pending.get(tx);
  if (w) w.events.push(event);
  else await writeTrail(tx, { events: [event], notices: [], written: [], after: [], outbox: [] });
}

/** Records a notice for a requester in the caller's transaction; live connections hear of it after commit. */
export async function appendNotice(tx: Tx, notice: NoticeInput): Promise<void> {
  const w = pending.get(tx);
  if (w) w.notices.push(notice);
  else await writeTrail(tx, { events: [], notices: [notice], written: [], after: [], outbox: [] });
}

/**
 * Runs `fn` once the caller's unit of work has committed (nothing when it
 * rolls back). Outside a unit of work there is no commit to wait for: `fn`
 * runs at once.
 */
export function afterCommit(tx: Tx, fn: () => void): void {
  const w = pending.get(tx);
  if (w) w.after.push(fn);
  else fn();
}
