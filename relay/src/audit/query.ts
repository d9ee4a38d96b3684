import { stringify } from "csv-stringify/sync";
import { and, desc, eq, gt, gte, ilike, lt, lte, or, type SQL } from "drizzle-orm";
import type { Relay } from "../context.ts";
import type { ChainCheck } from "../core/audit-chain.ts";
import type { Db } from "../db/client.ts";
import { auditEvents } from "../db/schema/index.ts";
import { verifyChain } from "./chain.ts";

export type AuditRow = typeof auditEvents.$inferSelect;

/** What the audit log can be searched by (the admin UI's form, `gatehouse audit export`). */
export interface AuditFilter {
  /** Text found in the actor or the action (case-insensitive). */
  q?: string | undefined;
  /** An action, or a family of them: `request.` matches every request event. */
  action?: string | undefined;
  requestId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Only events with a smaller id (paging backwards from the newest). */
  before?: number | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** LIKE's own characters in user text match themselves. */
const likeText = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

function where(f: AuditFilter, after = 0): SQL | undefined {
  const parts: (SQL | undefined)[] = [];
  if (f.q?.trim()) {
    const text = `%${likeText(f.q.trim())}%`;
    parts.push(or(ilike(auditEvents.actor, text), ilike(auditEvents.action, text)));
  }
  if (f.action?.trim()) {
    const a = f.action.trim();
    parts.push(a.endsWith(".") ? ilike(auditEvents.action, `${likeText(a)}%`) : eq(auditEvents.action, a));
  }
  if (f.requestId?.trim())
    parts.push(UUID.test(f.requestId.trim()) ? eq(auditEvents.requestId, f.requestId.trim()) : eq(auditEvents.id, -1));
  if (f.from) parts.push(gte(auditEvents.at, f.from));
  if (f.to) parts.push(lte(auditEvents.at, f.to));
  if (f.before) parts.push(lt(auditEvents.id, f.before));
  if (after) parts.push(gt(auditEvents.id, after));
  return and(...parts);
}

/** One page of matching events, newest first. */
async function searchAudit(db: Db, f: AuditFilter, limit = 100): Promise<AuditRow[]> {
  return db.select().from(auditEvents).where(where(f)).orderBy(desc(auditEvents.id)).limit(limit);
}

/** Every matching event, oldest first, a page at a time: exports never hold the whole trail in memory. */
export async function* auditPages(db: Db, f: AuditFilter, pageSize = 1000): AsyncGenerator<AuditRow[]> {
  let after = 0;
  for (;;) {
    const rows = await db.select().from(auditEvents).where(where(f, after)).orderBy(auditEvents.id).limit(pageSize);
    if (rows.length) yield rows;
    if (rows.length < pageSize) return;
    after = rows.at(-1)?.id ?? after;
  }
}

/**
 * The admin's audit log: one page of matching events, newest first, and the
 * chain checked when asked (it reads the whole trail, so not on every view).
 */
export async function auditLog(
  relay: Relay,
  f: AuditFilter,
  o: { limit: number; verify: boolean },
): Promise<{ rows: AuditRow[]; chain: ChainCheck | null }> {
  const { db } = relay.database;
  const [rows, chain] = await Promise.all([
    searchAudit(db, f, o.limit),
    o.verify ? verifyChain(db, { publicKeys: relay.keys.publicKeys, now: relay.clock.now() }) : null,
  ]);
  return { rows, chain };
}

/** Every matching event for an export (the admin's CSV and JSON Lines downloads), oldest first, a page at a time. */
export function auditExport(relay: Relay, f: AuditFilter): AsyncGenerator<AuditRow[]> {
  return auditPages(relay.database.db, f);
}

/** An event as exported: every stored field, hashes included, so the chain can be checked outside. */
export function exportedEvent(r: AuditRow) {
  return {
    id: r.id,
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    requestId: r.requestId,
    grantId: r.grantId,
    data: r.data,
    ip: r.ip,
    userAgent: r.userAgent,
    prevHash: r.prevHash,
    hash: r.hash,
  };
}

export const CSV_COLUMNS = ["id", "at", "actor", "action", "requestId", "grantId", "data", "ip", "userAgent", "prevHash", "hash"] as const;

/**
 * A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or a
 * return first) is written with a leading `'`: actors and user agents are
 * untrusted text. The JSON Lines export keeps every value exactly.
 */
const cell = (v: unknown) => {
  const text = v === null || v === undefined ? "" : String(v);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
};

/** Rows as CSV lines (RFC 4180 quoting by csv-stringify); `data` as JSON in one cell. */
export function csvLines(rows: AuditRow[], header: boolean): string {
  return stringify(
    rows.map((r) => {
      const e = exportedEvent(r);
      return CSV_COLUMNS.map((k) => cell(k === "data" ? JSON.stringify(e.data) : e[k]));
    }),
    { header, columns: header ? [...CSV_COLUMNS] : undefined },
  );
}

export function jsonLines(rows: AuditRow[]): string {
  return rows.map((r) => `${JSON.stringify(exportedEvent(r))}\n`).join("");
}
