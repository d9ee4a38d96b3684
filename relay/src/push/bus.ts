import type { NoticeKind } from "@gatehouse/shared";
import type { Database, Tx } from "../db/client.ts";
import { appendNotice, NOTICE_CHANNEL } from "../db/unit-of-work.ts";

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
    this.#unlisten = await database.listen(
      NOTICE_CHANNEL,
      (userId) => {
        for (const fn of this.#listeners.get(userId) ?? []) fn();
      },
      // The listening connection was lost: notices committed meanwhile were never announced, so every stream looks.
      () => {
        for (const set of this.#listeners.values()) for (const fn of set) fn();
      },
    );
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

/**
 * Records a notice for a requester in the caller's transaction. It is written
 * with the audit events at the end of the transaction, under the chain's lock,
 * so notice ids grow in commit order and a reconnecting cursor never skips one.
 */
export async function addNotice(
  tx: Tx,
  n: { userId: string; kind: NoticeKind; requestId: string; grantId?: string | null },
  now: Date,
): Promise<void> {
  await appendNotice(tx, { ...n, grantId: n.grantId ?? null, createdAt: now });
}
