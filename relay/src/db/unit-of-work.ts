import { desc, sql } from "drizzle-orm";
import { eventHash, GENESIS_HASH } from "../core/audit-chain.ts";
import { chunks } from "./chunks.ts";
import type { Db, Tx } from "./client.ts";
import { auditEvents, notices } from "./schema/index.ts";

/** One lock id for the chain: appends are serialised, so each sees the last hash. */
const CHAIN_LOCK = 7_202_611;

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

/** Takes the chain lock for the rest of the transaction (writes whose ids must follow commit order). */
export async function lockChain(tx: Tx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`);
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
 * What a unit of work adds to the chain. Audit events and notices are held
 * here and written together just before commit, so the chain's lock — which
 * serialises every writer, to keep ids in commit order — is held for a few
 * statements at the end instead of the whole transaction.
 */
interface ChainWrites {
  events: AuditInput[];
  notices: NoticeInput[];
}
const pending = new WeakMap<object, ChainWrites>();

/**
 * The unit of work: a transaction that collects its audit events and notices
 * (appendAudit, appendNotice) and writes them at its end, chained, under the
 * chain's lock, so the lock that serialises writers is held for a few
 * statements instead of the whole transaction. Every write of the relay goes
 * through it; a bare `db.transaction` still records correctly (each append
 * then writes at once and holds the lock to commit), only slower.
 */
export function unitOfWork<T>(db: Db | Tx, fn: (tx: Tx) => Promise<T>, config?: Parameters<Db["transaction"]>[1]): Promise<T> {
  return db.transaction(async (tx) => {
    const writes: ChainWrites = { events: [], notices: [] };
    pending.set(tx, writes);
    const result = await fn(tx);
    pending.delete(tx);
    await writeChain(tx, writes);
    return result;
  }, config);
}

/** Writes events chained to the last hash, then notices, under the chain lock. */
async function writeChain(tx: Tx, w: ChainWrites): Promise<void> {
  if (w.events.length === 0 && w.notices.length === 0) return;
  await lockChain(tx);
  if (w.events.length) {
    const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.id)).limit(1);
    let prevHash = last?.hash ?? GENESIS_HASH;
    const rows = w.events.map((e) => {
      const fields = storedFields(e);
      const row = { ...fields, prevHash, hash: eventHash(prevHash, fields) };
      prevHash = row.hash;
      return row;
    });
    // Identity values are taken in the order of the VALUES list; chunks stay within the parameter limit, in order.
    for (const part of chunks(rows)) await tx.insert(auditEvents).values(part);
  }
  if (w.notices.length) {
    for (const part of chunks(w.notices)) await tx.insert(notices).values(part);
    // Delivered after commit, on every instance: ids only, the rows carry the data.
    for (const userId of new Set(w.notices.map((n) => n.userId))) await tx.execute(sql`select pg_notify(${NOTICE_CHANNEL}, ${userId})`);
  }
}

/** Appends one event in the caller's transaction (same commit as the change). */
export async function appendAudit(tx: Tx, event: AuditInput): Promise<void> {
  const w = pending.get(tx);
  if (w) w.events.push(event);
  else await writeChain(tx, { events: [event], notices: [] });
}

/** Records a notice for a requester in the caller's transaction; live connections hear of it after commit. */
export async function appendNotice(tx: Tx, notice: NoticeInput): Promise<void> {
  const w = pending.get(tx);
  if (w) w.notices.push(notice);
  else await writeChain(tx, { events: [], notices: [notice] });
}
