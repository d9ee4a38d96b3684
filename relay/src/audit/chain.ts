import { asc, desc, gt, sql } from "drizzle-orm";
import type { CryptoKey } from "jose";
import { type ChainCheck, ChainVerifier, type Checkpoint, eventHash, GENESIS_HASH } from "../core/audit-chain.ts";
import { chunks } from "../db/chunks.ts";
import type { Db, Tx } from "../db/client.ts";
import { auditCheckpoints, auditEvents, notices } from "../db/schema/index.ts";
import { loadPublicKeys, verifyCheckpoint } from "../keys/signing.ts";

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

export type { ChainCheck };

export interface ChainVerifyOptions {
  /** Public keys that checkpoints must verify with (default: those in the database). */
  publicKeys?: Map<string, CryptoKey>;
  /** Checkpoint JWSs kept outside the database (the exported file or log lines), checked besides its own. */
  external?: string[];
  /** See VerifyOptions; default: a minute. */
  unanchoredGraceMs?: number;
  now?: Date;
  pageSize?: number;
}

/**
 * Walks the whole chain in id order, a page at a time (the trail grows
 * without bound), against the newest checkpoint in the database and every
 * external one, and names the first thing that does not verify: an event
 * that does not follow the one before it (removed or inserted) or does not
 * match its hash (edited), a checkpoint the trail no longer reaches
 * (truncated) or reaches with another hash (rewritten), a checkpoint whose
 * signature fails (forged), or events older than any checkpoint should have
 * left unanchored (appended behind the relay's back).
 */
export async function verifyChain(db: Db, opts: ChainVerifyOptions = {}): Promise<ChainCheck> {
  const publicKeys = opts.publicKeys ?? (await loadPublicKeys(db));
  const [newest] = await db.select({ jws: auditCheckpoints.jws }).from(auditCheckpoints).orderBy(desc(auditCheckpoints.headId)).limit(1);
  const checkpoints: Checkpoint[] = [];
  for (const jws of [...(newest ? [newest.jws] : []), ...(opts.external ?? [])]) {
    const cp = await verifyCheckpoint(publicKeys, jws);
    if (!cp)
      return {
        ok: false,
        count: 0,
        brokenAt: null,
        reason: "checkpoint_signature",
        detail: "a checkpoint's signature does not verify with the relay's keys (forged or altered)",
      };
    if (!checkpoints.some((c) => c.headId === cp.headId && c.headHash === cp.headHash && c.count === cp.count)) checkpoints.push(cp);
  }
  const verifier = new ChainVerifier(checkpoints, { unanchoredGraceMs: opts.unanchoredGraceMs ?? 60_000, now: opts.now ?? new Date() });
  const pageSize = opts.pageSize ?? 1000;
  let lastId = 0;
  for (;;) {
    const rows = await db.select().from(auditEvents).where(gt(auditEvents.id, lastId)).orderBy(asc(auditEvents.id)).limit(pageSize);
    for (const row of rows) verifier.push(row);
    if (rows.length < pageSize || verifier.failed) return verifier.finish();
    lastId = rows.at(-1)?.id ?? lastId;
  }
}
