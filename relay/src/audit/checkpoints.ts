import { appendFileSync } from "node:fs";
import { count, desc, gt } from "drizzle-orm";
import type { Relay } from "../context.ts";
import type { Checkpoint } from "../core/audit-chain.ts";
import { chainCommitted, lockChain } from "../db/audit-chainer.ts";
import { auditCheckpoints, auditEvents } from "../db/schema/index.ts";
import { unitOfWork } from "../db/unit-of-work.ts";
import { signCheckpoint } from "../keys/signing.ts";

/**
 * Signs the audit chain's head when it moved since the last checkpoint, and
 * exports the checkpoint: to the log always, and as a JSON line to
 * AUDIT_CHECKPOINT_FILE when set (point it at storage the database's admins
 * cannot rewrite). Safe on many instances at once: the chain's lock makes
 * them take turns, and the second finds the head already signed.
 */
export async function writeCheckpoint(relay: Relay): Promise<{ checkpoint: Checkpoint; jws: string } | null> {
  // What has committed is chained first, so the signed head covers it.
  await chainCommitted(relay.database.db);
  const written = await unitOfWork(relay.database.db, async (tx) => {
    // No event is appended while the head is read and counted.
    await lockChain(tx);
    const [head] = await tx.select({ id: auditEvents.id, hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.id)).limit(1);
    const [last] = await tx.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.headId)).limit(1);
    if (!head || head.id === last?.headId) return null;
    // Counted from the last checkpoint on, so a long trail is not counted from the start each time.
    const [since] = await tx
      .select({ n: count() })
      .from(auditEvents)
      .where(gt(auditEvents.id, last?.headId ?? 0));
    const at = new Date(Math.floor(relay.clock.now().getTime() / 1000) * 1000);
    const checkpoint: Checkpoint = { headId: head.id, headHash: head.hash, count: (last?.count ?? 0) + Number(since?.n ?? 0), at };
    const jws = await signCheckpoint(relay.keys, relay.env.publicUrl, checkpoint);
    await tx.insert(auditCheckpoints).values({ ...checkpoint, kid: relay.keys.kid, jws });
    return { checkpoint, jws };
  });
  if (!written) return null;
  const { checkpoint, jws } = written;
  relay.log.info("audit checkpoint", { headId: checkpoint.headId, count: checkpoint.count, jws });
  if (relay.env.AUDIT_CHECKPOINT_FILE)
    appendFileSync(relay.env.AUDIT_CHECKPOINT_FILE, `${JSON.stringify({ at: checkpoint.at.toISOString(), jws })}\n`);
  return written;
}

/** The checkpoint JWSs in an exported file: JSON lines with `jws`, or bare JWS lines (copied from the log). */
export function checkpointsInFile(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => (line.startsWith("{") ? String((JSON.parse(line) as { jws?: unknown }).jws ?? "") : line));
}
