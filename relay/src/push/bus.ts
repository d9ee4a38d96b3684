import type { NoticeKind } from "@gatehouse/shared";
import { sql } from "drizzle-orm";
import { lockChain } from "../audit/chain.ts";
import type { Database, Tx } from "../db/client.ts";
import { notices } from "../db/schema/index.ts";

const CHANNEL = "gatehouse_notices";

/**
 * Tells live connections that a user has new notices. The NOTIFY is sent in
 * the writing transaction, so it arrives only after commit, on every relay
 * instance (PostgreSQL) or in this process (PGlite). It carries the user id
 * only; the rows carry the data.
 */
export class NoticeBus {
  #listeners = new Map<string, Set<() => void>>();
  #unlisten: (() => Promise<void>) | null = null;

  async start(database: Database): Promise<void> {
    this.#unlisten = await database.listen(CHANNEL, (userId) => {
      for (const fn of this.#listeners.get(userId) ?? []) fn();
    });
  }

  async stop(): Promise<void> {
    await this.#unlisten?.();
    this.#unlisten = null;
  }

  /** Calls `fn` whenever `userId` may have new notices; returns the unsubscribe. */
  subscribe(userId: string, fn: () => void): () => void {
    const set = this.#listeners.get(userId) ?? new Set();
    this.#listeners.set(userId, set);
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.#listeners.delete(userId);
    };
  }
}

/** Records a notice for a requester in the caller's transaction and signals it. */
export async function addNotice(
  tx: Tx,
  n: { userId: string; kind: NoticeKind; requestId: string; grantId?: string | null },
  now: Date,
): Promise<void> {
  // Notice ids must grow in commit order or a reconnecting cursor could skip one.
  await lockChain(tx);
  await tx.insert(notices).values({ ...n, grantId: n.grantId ?? null, createdAt: now });
  await tx.execute(sql`select pg_notify(${CHANNEL}, ${n.userId})`);
}
