import { asc, desc, gt } from "drizzle-orm";
import type { CryptoKey } from "jose";
import { type ChainCheck, ChainVerifier, type Checkpoint } from "../core/audit-chain.ts";
import type { Db } from "../db/client.ts";
import { auditCheckpoints, auditEvents } from "../db/schema/index.ts";
import { loadPublicKeys, verifyCheckpoint } from "../keys/signing.ts";

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
