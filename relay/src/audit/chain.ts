import { createHash } from "node:crypto";
import { asc, desc, gt, sql } from "drizzle-orm";
import type { Db, Tx } from "../db/client.ts";
import { auditEvents } from "../db/schema/index.ts";

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

/** The hash of an event given the hash before it. */
export function eventHash(prevHash: string, e: AuditInput): string {
  const body = canonicalJson({
    prev: prevHash,
    at: e.at.toISOString(),
    actor: e.actor,
    action: e.action,
    requestId: e.requestId ?? null,
    grantId: e.grantId ?? null,
    data: e.data ?? {},
    ip: e.ip ?? null,
    userAgent: e.userAgent ?? null,
  });
  return createHash("sha256").update(body).digest("hex");
}

/**
 * Takes the chain lock for the rest of the transaction. Call it before writing
 * anything whose id must follow commit order (audit events and notices).
 */
export async function lockChain(tx: Tx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`);
}

/** Appends one event inside the caller's transaction (same commit as the change). */
export async function appendAudit(tx: Tx, event: AuditInput): Promise<void> {
  await lockChain(tx);
  const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.id)).limit(1);
  const prevHash = last?.hash ?? GENESIS_HASH;
  await tx.insert(auditEvents).values({
    at: event.at,
    actor: event.actor,
    action: event.action,
    requestId: event.requestId ?? null,
    grantId: event.grantId ?? null,
    data: event.data ?? {},
    ip: event.ip ?? null,
    userAgent: event.userAgent ?? null,
    prevHash,
    hash: eventHash(prevHash, event),
  });
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
