import { createHash } from "node:crypto";
import { asc, desc, gt, sql } from "drizzle-orm";
import { chunks } from "../db/chunks.ts";
import type { Db, Tx } from "../db/client.ts";
import { auditEvents, notices } from "../db/schema/index.ts";

export const GENESIS_HASH = "0".repeat(64);

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

/** JSON with object keys sorted, so jsonb's key reordering cannot change a hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
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

/** The hash of an event given the hash before it. */
export function eventHash(prevHash: string, e: AuditInput): string {
  const fields = storedFields(e);
  const body = canonicalJson({ prev: prevHash, ...fields, at: fields.at.toISOString() });
  return createHash("sha256").update(body).digest("hex");
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
 * What a transaction adds to the chain. Audit events and notices are held
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
 * Makes every transaction of `db` collect its audit events and notices and
 * write them at its end. db/client.ts installs it on each database it opens.
 */
export function collectChainWrites(db: Db): void {
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: (tx: Tx) => Promise<unknown>, config?: unknown) =>
    transaction(async (tx) => {
      const writes: ChainWrites = { events: [], notices: [] };
      pending.set(tx, writes);
      const result = await fn(tx);
      pending.delete(tx);
      await writeChain(tx, writes);
      return result;
    }, config as never)) as Db["transaction"];
}

/** Writes events chained to the last hash, then notices, under the chain lock. */
async function writeChain(tx: Tx, w: ChainWrites): Promise<void> {
  if (w.events.length === 0 && w.notices.length === 0) return;
  await lockChain(tx);
  if (w.events.length) {
    const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.id)).limit(1);
    let prevHash = last?.hash ?? GENESIS_HASH;
    const rows = w.events.map((e) => {
      const row = { ...storedFields(e), prevHash, hash: eventHash(prevHash, e) };
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

export type ChainCheck =
  | { ok: true; count: number }
  | { ok: false; count: number; brokenAt: number; reason: "prev_hash" | "hash"; detail: string };

/**
 * Walks the whole chain in id order, a page at a time (the trail grows
 * without bound), and names the first event that does not verify: its
 * `prev_hash` is not the hash of the event before it (an event was removed
 * or inserted), or its own hash does not match its content (it was edited).
 */
export async function verifyChain(db: Db, pageSize = 1000): Promise<ChainCheck> {
  let prev = GENESIS_HASH;
  let lastId = 0;
  let count = 0;
  for (;;) {
    const rows = await db.select().from(auditEvents).where(gt(auditEvents.id, lastId)).orderBy(asc(auditEvents.id)).limit(pageSize);
    for (const row of rows) {
      if (row.prevHash !== prev)
        return {
          ok: false,
          count,
          brokenAt: row.id,
          reason: "prev_hash",
          detail: `event ${row.id} does not follow the event before it (removed or inserted)`,
        };
      if (eventHash(prev, row) !== row.hash)
        return {
          ok: false,
          count,
          brokenAt: row.id,
          reason: "hash",
          detail: `event ${row.id} does not match its hash (changed after it was written)`,
        };
      prev = row.hash;
      count++;
    }
    if (rows.length < pageSize) return { ok: true, count };
    lastId = rows.at(-1)?.id ?? lastId;
  }
}
