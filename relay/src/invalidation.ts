import { sql } from "drizzle-orm";
import type { Database, Tx } from "./db/client.ts";
import { afterCommit } from "./db/unit-of-work.ts";

/**
 * Dropping what instances cached, when what it was made from changes. The
 * relay keeps a few things in memory to spare the database a query per call
 * — the policy snapshot's version, authenticated devices — and every change
 * to them says so here, in its transaction: a NOTIFY tells every instance
 * after commit, and this one drops its copies at once after commit (before
 * the writer's response, so a change is visible to the next call). A
 * listener that lost its connection drops everything, since NOTIFYs sent
 * meanwhile are gone; caches also expire on their own after a few seconds.
 */
export const INVALIDATE_CHANNEL = "gatehouse_invalidate";

/** `policy`: the policy or the directory; `device:<id>`: one device; `*`: everything. */
export type Topic = "policy" | "*" | `device:${string}`;

const listeners = new Set<(topic: Topic) => void>();
let listening = 0;

/** Calls `fn` with every topic invalidated on any instance. */
export function onInvalidate(fn: (topic: Topic) => void): void {
  listeners.add(fn);
}

function dropLocally(topic: Topic): void {
  for (const fn of listeners) fn(topic);
}

/** In the changing transaction: every instance drops what it cached of `topic` once it commits. */
export async function invalidate(tx: Tx, topic: Topic): Promise<void> {
  await tx.execute(sql`select pg_notify(${INVALIDATE_CHANNEL}, ${topic})`);
  afterCommit(tx, () => dropLocally(topic));
}

/** Listens for other instances' invalidations (boot.ts). Caches trust their copies only while some relay in this process listens. */
export async function listenForInvalidations(database: Database): Promise<() => Promise<void>> {
  const unlisten = await database.listen(
    INVALIDATE_CHANNEL,
    (topic) => dropLocally(topic as Topic),
    () => dropLocally("*"),
  );
  listening++;
  return async () => {
    listening--;
    await unlisten();
  };
}

/** Whether cached copies can be trusted between checks (an invalidation would reach them). */
export const invalidationsHeard = () => listening > 0;
