import type { Notice, NoticeKind } from "@gatehouse/shared";
import type { Database, Tx } from "../db/client.ts";
import { loggableError } from "../db/faults.ts";
import { appendNotice, NOTICE_CHANNEL } from "../db/unit-of-work.ts";
import { type Logger, silentLogger } from "../log.ts";

/** Reads up to `limit` of a user's notices after `cursor`, oldest first. */
export type NoticeReader = (userId: string, cursor: number, limit: number) => Promise<Notice[]>;

/** A live stream as the bus sees it: where it is, and how to hand it notices. */
export interface NoticeSubscriber {
  /** The id of the last notice this stream has (its cursor). */
  readonly cursor: number;
  /** Notices newer than `cursor`, oldest first. */
  push(notices: Notice[]): void;
}

/**
 * Fans notices out to live streams. One LISTEN per process hears, after each
 * commit on any instance, which users have new notices (the NOTIFY carries
 * the user id only). For each such user the bus reads the new rows once,
 * from the oldest cursor among that user's open streams, and hands every
 * stream what it has not had: one query per notice however many streams are
 * open, instead of one per stream. A read already running for a user is
 * followed by one more when another NOTIFY comes meanwhile, so nothing
 * committed during a read is missed.
 */
export class NoticeBus {
  #subscribers = new Map<string, Set<NoticeSubscriber>>();
  #reading = new Map<string, Promise<void>>();
  #again = new Set<string>();
  #unlisten: (() => Promise<void>) | null = null;
  #read: NoticeReader | null = null;
  #log: Logger = silentLogger;

  /** Listens on `database`; `read` loads a user's notices after a cursor (push/list.ts, given by boot.ts). */
  async start(database: Database, read: NoticeReader, log: Logger = silentLogger): Promise<void> {
    this.#read = read;
    this.#log = log;
    this.#unlisten = await database.listen(
      NOTICE_CHANNEL,
      // The payload names every user with new notices in one transaction.
      (payload) => {
        for (const userId of payload.split(",")) if (userId) this.#announce(userId);
      },
      // The listening connection was lost: notices committed meanwhile were never announced, so every user's are read.
      () => {
        for (const userId of this.#subscribers.keys()) this.#announce(userId);
      },
    );
  }

  /** Other listeners of the process's database connection, ended with the bus (boot.ts adds the invalidations'). */
  readonly #alsoStop: (() => Promise<void>)[] = [];
  alsoStop(fn: () => Promise<void>): void {
    this.#alsoStop.push(fn);
  }

  async stop(): Promise<void> {
    await this.#unlisten?.();
    this.#unlisten = null;
    for (const fn of this.#alsoStop.splice(0)) await fn();
    await Promise.allSettled(this.#reading.values());
  }

  /** Hands `sub` every notice of `userId` committed from now on; returns the unsubscribe. */
  subscribe(userId: string, sub: NoticeSubscriber): () => void {
    const set = this.#subscribers.get(userId) ?? new Set();
    this.#subscribers.set(userId, set);
    set.add(sub);
    return () => {
      set.delete(sub);
      if (set.size === 0) this.#subscribers.delete(userId);
    };
  }

  /** Open streams (for tests and the push benchmark). */
  get streams(): number {
    let n = 0;
    for (const set of this.#subscribers.values()) n += set.size;
    return n;
  }

  #announce(userId: string): void {
    const read = this.#read;
    if (!this.#subscribers.has(userId) || !read) return;
    if (this.#reading.has(userId)) {
      this.#again.add(userId);
      return;
    }
    const reading = (async () => {
      for (;;) {
        this.#again.delete(userId);
        const subs = this.#subscribers.get(userId);
        if (!subs) return;
        // A loop, not Math.min(...cursors): a spread of many thousand streams can exceed the argument limit.
        let from = Number.POSITIVE_INFINITY;
        for (const s of subs) from = Math.min(from, s.cursor);
        const list = await read(userId, from, FANOUT_PAGE);
        for (const s of subs) {
          const fresh = list.filter((n) => n.id > s.cursor);
          if (fresh.length) s.push(fresh);
        }
        // More than a page waiting, or announced again while reading: read on.
        if (list.length < FANOUT_PAGE && !this.#again.has(userId)) return;
      }
    })()
      .catch((err: unknown) => this.#log.warn("reading notices for live streams failed", loggableError(err)))
      .finally(() => this.#reading.delete(userId));
    this.#reading.set(userId, reading);
  }
}

/** Notices read per round of a fan-out. */
const FANOUT_PAGE = 100;

/**
 * Records a notice for a requester in the caller's transaction. It is written
 * at the end of the transaction under that user's lock (db/unit-of-work.ts),
 * so a user's notice ids grow in commit order and a reconnecting cursor never
 * skips one.
 */
export async function addNotice(
  tx: Tx,
  n: { userId: string; kind: NoticeKind; requestId: string; grantId?: string | null },
  now: Date,
): Promise<void> {
  await appendNotice(tx, { ...n, grantId: n.grantId ?? null, createdAt: now });
}
