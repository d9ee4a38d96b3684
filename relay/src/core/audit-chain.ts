import { createHash } from "node:crypto";

/**
 * The audit trail's hash chain and its verification, as pure functions over
 * rows: the relay's database walk (audit/chain.ts), the CLI and the tamper
 * property test all feed the same verifier.
 *
 * A chain alone shows edits, removals and reordering, but not a trail cut
 * short or rewritten from some event on with every hash recomputed. So the
 * relay signs its head on a schedule (a checkpoint: the head's id, hash and
 * the number of events up to it, as an Ed25519 JWS) and exports it. Verified
 * against a checkpoint, the chain must reach that head with that hash after
 * exactly that many events; whatever was changed before it cannot be hidden
 * without the signing key, and events after the newest checkpoint are
 * reported as not yet anchored.
 */
export const GENESIS_HASH = "0".repeat(64);

export interface AuditFields {
  at: Date;
  actor: string;
  action: string;
  requestId: string | null;
  grantId: string | null;
  data: Record<string, unknown>;
  ip: string | null;
  userAgent: string | null;
}

export interface ChainRow extends AuditFields {
  id: number;
  prevHash: string;
  hash: string;
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
export function eventHash(prevHash: string, e: AuditFields): string {
  const body = canonicalJson({
    prev: prevHash,
    at: e.at.toISOString(),
    actor: e.actor,
    action: e.action,
    requestId: e.requestId,
    grantId: e.grantId,
    data: e.data,
    ip: e.ip,
    userAgent: e.userAgent,
  });
  return createHash("sha256").update(body).digest("hex");
}

/** What a checkpoint says, once its signature has been verified. */
export interface Checkpoint {
  headId: number;
  headHash: string;
  /** Events from the first up to and including the head. */
  count: number;
  at: Date;
}

export type ChainProblem =
  | "prev_hash"
  | "hash"
  | "order"
  | "checkpoint_mismatch"
  | "checkpoint_missing_head"
  | "truncated"
  | "unanchored"
  | "checkpoint_signature";

export type ChainCheck =
  | {
      ok: true;
      count: number;
      /** The newest checkpoint the chain was verified against (null: none yet). */
      anchoredTo: Checkpoint | null;
      /** Events after that checkpoint, not yet covered by one. */
      unanchored: number;
    }
  | { ok: false; count: number; brokenAt: number | null; reason: ChainProblem; detail: string };

export interface VerifyOptions {
  /**
   * Events after the newest checkpoint are a failure once older than this
   * (the relay should have anchored them by then); 0 demands that the chain
   * end at the newest checkpoint exactly, as when checking a copy against
   * the checkpoint exported with it.
   */
  unanchoredGraceMs: number;
  now: Date;
}

/**
 * Walks a chain row by row (ascending id), the whole trail never held in
 * memory, and stops at the first thing that does not verify.
 */
export class ChainVerifier {
  #prev = GENESIS_HASH;
  #lastId = 0;
  #count = 0;
  #pending: Checkpoint[];
  #newest: Checkpoint | null;
  #anchoredTo: Checkpoint | null = null;
  #unanchored = 0;
  #oldestUnanchored: Date | null = null;
  #failure: Extract<ChainCheck, { ok: false }> | null = null;
  readonly #opts: VerifyOptions;

  constructor(checkpoints: Checkpoint[], opts: VerifyOptions) {
    this.#pending = [...checkpoints].sort((a, b) => a.headId - b.headId);
    this.#newest = this.#pending.at(-1) ?? null;
    this.#opts = opts;
  }

  get failed(): boolean {
    return this.#failure !== null;
  }

  #fail(reason: ChainProblem, brokenAt: number | null, detail: string): Extract<ChainCheck, { ok: false }> {
    this.#failure = { ok: false, count: this.#count, brokenAt, reason, detail };
    return this.#failure;
  }

  push(row: ChainRow): void {
    if (!this.#failure) this.#check(row);
  }

  #check(row: ChainRow): unknown {
    if (row.id <= this.#lastId) return this.#fail("order", row.id, `event ${row.id} comes after event ${this.#lastId}`);
    const due = this.#pending[0];
    if (due && row.id > due.headId)
      return this.#fail("checkpoint_missing_head", row.id, `the event ${due.headId} a checkpoint signed as the head is gone`);
    if (row.prevHash !== this.#prev)
      return this.#fail("prev_hash", row.id, `event ${row.id} does not follow the event before it (removed or inserted)`);
    if (eventHash(this.#prev, row) !== row.hash)
      return this.#fail("hash", row.id, `event ${row.id} does not match its hash (changed after it was written)`);
    this.#prev = row.hash;
    this.#lastId = row.id;
    this.#count++;
    if (due && row.id === due.headId) {
      this.#pending.shift();
      if (row.hash !== due.headHash || this.#count !== due.count)
        return this.#fail(
          "checkpoint_mismatch",
          row.id,
          `the checkpoint of ${due.at.toISOString()} signed event ${due.headId} as event number ${due.count} with another hash: the trail before it was rewritten`,
        );
      this.#anchoredTo = due;
    }
    if (this.#newest === null || row.id > this.#newest.headId) {
      this.#unanchored++;
      this.#oldestUnanchored ??= row.at;
    }
    return null;
  }

  finish(): ChainCheck {
    if (this.#failure) return this.#failure;
    const missing = this.#pending[0];
    if (missing)
      return this.#fail(
        "truncated",
        null,
        `the trail ends at event ${this.#lastId} (${this.#count} events) but a checkpoint of ${missing.at.toISOString()} signed event ${missing.headId} (${missing.count} events): the newest events were removed`,
      );
    const { unanchoredGraceMs, now } = this.#opts;
    if (this.#newest && this.#oldestUnanchored && now.getTime() - this.#oldestUnanchored.getTime() >= unanchoredGraceMs)
      return this.#fail(
        "unanchored",
        null,
        `${this.#unanchored} events after the newest checkpoint (event ${this.#newest.headId}) are older than any checkpoint should let them be: appended without the relay`,
      );
    return { ok: true, count: this.#count, anchoredTo: this.#anchoredTo, unanchored: this.#unanchored };
  }
}

/** Verifies rows in memory (a copy of the chain): the property test's and small trails' way in. */
export function verifyRows(rows: Iterable<ChainRow>, checkpoints: Checkpoint[], opts: VerifyOptions): ChainCheck {
  const v = new ChainVerifier(checkpoints, opts);
  for (const row of rows) {
    v.push(row);
    if (v.failed) break;
  }
  return v.finish();
}
