import { asc, desc, inArray, sql } from "drizzle-orm";
import { eventHash, GENESIS_HASH } from "../core/audit-chain.ts";
import { chunks } from "./chunks.ts";
import type { Db, Tx } from "./client.ts";
import { auditEvents, auditInbox } from "./schema/index.ts";

/**
 * Chains audit events after their transactions commit, off the write path.
 *
 * Writers put events in `audit_inbox` without a hash and without a lock, so
 * concurrent transactions never wait on each other for the trail. A chain
 * pass — one at a time in the whole cluster, under an advisory lock that
 * only passes (and checkpoint writers) take — moves the inbox rows it can
 * see into `audit_events`, each hashed onto the one before. A pass sees only
 * committed rows, and `audit_events` ids are assigned by the pass itself, so
 * the chain grows in the order transactions committed (give or take a pass)
 * and nothing is ever inserted behind its head; a transaction's own events
 * stay together and in their order. `audit_events` stays what it was — ids
 * in chain order, every row hashed — so verification, checkpoints and
 * exports read it as before.
 */

/** The lock chain passes (and checkpoint writers, which read the head) take turns on. */
export const CHAIN_LOCK = 7_202_611;
const BATCH = 2_000;

export async function lockChain(tx: Tx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`);
}

/** One pass: chains what is safe to chain, in batches. Returns the inbox ids it moved. */
export async function chainCommitted(db: Db): Promise<number[]> {
  const moved: number[] = [];
  for (;;) {
    const ids = await db.transaction(async (tx) => {
      await lockChain(tx);
      // What this pass sees has committed; what commits meanwhile is the next pass's.
      const oldest = tx.select({ id: auditInbox.id }).from(auditInbox).orderBy(asc(auditInbox.id)).limit(BATCH);
      const rows = await tx.delete(auditInbox).where(inArray(auditInbox.id, oldest)).returning();
      if (rows.length === 0) return [];
      // RETURNING has no order. By transaction, then inbox id: concurrent writers' ids interleave, and a transaction's
      // events stay together in the order it wrote them (xid8 is 64-bit: compared as BigInt).
      rows.sort((a, b) => {
        const x = BigInt(a.xid) - BigInt(b.xid);
        return x !== 0n ? (x < 0n ? -1 : 1) : a.id - b.id;
      });
      const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.id)).limit(1);
      let prevHash = last?.hash ?? GENESIS_HASH;
      const chained = rows.map(({ id: _id, xid: _xid, ...fields }) => {
        const hash = eventHash(prevHash, fields);
        const row = { ...fields, prevHash, hash };
        prevHash = hash;
        return row;
      });
      // Identity values are taken in the order of the VALUES list; chunks stay within the parameter limit, in order.
      for (const part of chunks(chained)) await tx.insert(auditEvents).values(part);
      return rows.map((r) => r.id);
    });
    moved.push(...ids);
    if (ids.length < BATCH) return moved;
  }
}

/** Which of these inbox rows are still waiting. */
async function stillWaiting(db: Db, ids: number[]): Promise<number[]> {
  const rows = await db.select({ id: auditInbox.id }).from(auditInbox).where(inArray(auditInbox.id, ids));
  return rows.map((r) => r.id);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs chain passes for one database, sharing them: a unit of work that has
 * just committed waits for the next pass that starts after its commit, and
 * every writer that committed meanwhile waits for that same pass, so under
 * load one pass chains many transactions (a group commit for the trail).
 */
export class AuditChainer {
  readonly #db: Db;
  #running: Promise<Set<number>> | null = null;
  #next: Promise<Set<number>> | null = null;

  constructor(db: Db) {
    this.#db = db;
  }

  /** A pass that starts after now. Resolves to the inbox ids it moved. */
  pass(): Promise<Set<number>> {
    if (!this.#running) return this.#start();
    this.#next ??= this.#running
      .catch(() => new Set<number>())
      .then(() => {
        this.#next = null;
        return this.#start();
      });
    return this.#next;
  }

  #start(): Promise<Set<number>> {
    const run = chainCommitted(this.#db)
      .then((ids) => new Set(ids))
      .finally(() => {
        if (this.#running === run) this.#running = null;
      });
    this.#running = run;
    return run;
  }

  /**
   * Waits until these (committed) inbox rows are chained, so whoever made them
   * reads them in the trail when the call returns. Normally the next pass
   * takes them; a pass on another instance may have taken them first. After
   * `giveUpMs` (the database went away) the wait ends quietly: the relay's
   * chain loop takes them later.
   */
  async chained(ids: number[], giveUpMs = 5_000): Promise<void> {
    let left = ids;
    let delay = 1;
    const until = Date.now() + giveUpMs;
    for (;;) {
      const moved = await this.pass();
      left = left.filter((id) => !moved.has(id));
      if (left.length === 0) return;
      left = await stillWaiting(this.#db, left);
      if (left.length === 0 || Date.now() > until) return;
      await sleep(delay);
      delay = Math.min(delay * 2, 50);
    }
  }
}

const chainers = new WeakMap<object, AuditChainer>();

/** The chainer of a database handle (one per handle, shared by all its units of work). */
export function chainerOf(db: Db): AuditChainer {
  let c = chainers.get(db);
  if (!c) {
    c = new AuditChainer(db);
    chainers.set(db, c);
  }
  return c;
}

/** Writes events straight into the chain, in the caller's transaction (databases whose transactions run one at a time only: db/serial.ts). */
export async function chainInTransaction(tx: Tx, events: Omit<typeof auditEvents.$inferInsert, "prevHash" | "hash">[]): Promise<void> {
  const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.id)).limit(1);
  let prevHash = last?.hash ?? GENESIS_HASH;
  const rows = events.map((fields) => {
    const hash = eventHash(prevHash, fields as Parameters<typeof eventHash>[1]);
    const row = { ...fields, prevHash, hash };
    prevHash = hash;
    return row;
  });
  for (const part of chunks(rows)) await tx.insert(auditEvents).values(part);
}
