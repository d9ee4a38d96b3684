import { and, eq, gt, inArray, sql } from "drizzle-orm";
import { buildProvider, type ProviderEntry } from "../adapters/providers/registry.ts";
import { type ProviderCall, ProviderError, type ProviderResult } from "../adapters/providers/types.ts";
import { networkReason } from "../adapters/providers/webhook.ts";
import type { Relay } from "../context.ts";
import type { GrantEvent, ProviderAction } from "../core/grant-lifecycle.ts";
import { chunks } from "../db/chunks.ts";
import type { Tx } from "../db/client.ts";
import { loggableError } from "../db/faults.ts";
import { grants, outbox, settings, users } from "../db/schema/index.ts";
import { appendAudit, unitOfWork } from "../db/unit-of-work.ts";
import { PROVIDERS_SETTING } from "../policy/snapshot.ts";
import { applyGrantEvent, applyGrantEvents } from "./lifecycle.ts";
import { taskDesk } from "./task-desk.ts";

/**
 * Provider calls, the durable effects of the grant ledger. Each is an
 * outbox row (`channel = 'provider'`) written in the transaction that decided
 * it, keyed `<grant>:<action>:<generation>`; the outbox worker claims it
 * (FOR UPDATE SKIP LOCKED, with a heartbeat-renewed lease), calls the
 * provider with that key after commit, and records the outcome together
 * with the grant's transition in one transaction — only while its claim
 * still holds, so a call that another instance took over is recorded once.
 */
type OutboxRow = typeof outbox.$inferSelect;

/**
 * How many times a provider call is tried before it is dead-lettered: about an hour of
 * backoff for failures; for "pending" answers never confirmed, this many deadlines.
 */
export const MAX_PROVIDER_ATTEMPTS = 12;

/** Backoff after the n-th failed attempt: 2 s, 4 s, 8 s… capped at 30 min, with ±25 % jitter so retries of many grants spread. */
export function providerRetryDelayMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(2_000 * 2 ** (attempts - 1), 1_800_000);
  return Math.round(base * (0.75 + random() * 0.5));
}

export const callbackUrl = (relay: Relay) => `${relay.env.publicUrl}/api/v1/provisioning/callback`;

type Outcome =
  | { kind: "done"; detail?: string | undefined }
  | { kind: "pending"; detail?: string | undefined; deadlineMs: number }
  | { kind: "error"; message: string; permanent: boolean; retryAfterMs: number | null }
  | { kind: "wait" }
  /** The grant no longer wants this call (a grant call for a grant that is ending): never sent. */
  | { kind: "cancel"; reason: string };

type GrantWithUser = { g: typeof grants.$inferSelect; u: typeof users.$inferSelect };

/** The state a grant must be in for a call of each action still to be wanted. */
const WANTED_IN = { grant: "provisioning", revoke: "revoking", extend: "active" } as const;

/** What a batch of calls needs, read once for all of them: their grants and people, calls still in flight, the providers. */
async function loadBatch(relay: Relay, rows: OutboxRow[]) {
  const { db } = relay.database;
  const now = relay.clock.now();
  const grantIds = [...new Set(rows.flatMap((r) => (r.grantId ? [r.grantId] : [])))];
  const found: GrantWithUser[] = grantIds.length
    ? await db
        .select({ g: grants, u: users })
        .from(grants)
        .innerJoin(users, eq(users.id, grants.userId))
        .where(inArray(grants.id, grantIds))
    : [];
  const inFlight = grantIds.length
    ? await db
        .select({ id: outbox.id, grantId: outbox.grantId })
        .from(outbox)
        .where(
          and(
            inArray(outbox.grantId, grantIds),
            eq(outbox.state, "pending"),
            gt(outbox.leasedUntil, now),
            // A call whose sender died is not in flight: it is being taken over.
            relay.database.instanceAlive ? relay.database.instanceAlive(outbox.claimedBy) : undefined,
          ),
        )
    : [];
  const [setting] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, PROVIDERS_SETTING));
  return {
    grantOf: new Map(found.map((f) => [f.g.id, f])),
    inFlight,
    entries: (setting?.value as ProviderEntry[] | undefined) ?? [],
    built: new Map<string, ReturnType<typeof buildProvider>>(),
  };
}

/** Loads what one call needs; "wait" while an earlier call of the same grant is still being sent. */
function prepare(
  relay: Relay,
  row: OutboxRow,
  batch: Awaited<ReturnType<typeof loadBatch>>,
): { call: Omit<ProviderCall, "signal">; entry: ProviderEntry } | "wait" | { cancel: string } {
  if (!row.grantId || !row.action) throw new ProviderError("a provider call without its grant", true);
  // Calls of one grant go in order: a revoke never overtakes the grant call it undoes.
  if (row.action !== "grant" && batch.inFlight.some((f) => f.grantId === row.grantId && f.id !== row.id)) return "wait";
  const found = batch.grantOf.get(row.grantId);
  if (!found) throw new ProviderError("the grant no longer exists", true);
  const { g, u } = found;
  const action = row.action as ProviderAction;
  // A grant call taken up again after its grant began ending (its first sender died mid-call) is not sent:
  // the revoke, queued when the end began, removes whatever that call did.
  if (g.state !== WANTED_IN[action]) return { cancel: `no longer wanted: the grant is ${g.state}` };
  const entry = batch.entries.find((p) => p.id === g.providerId);
  if (!entry) throw new ProviderError(`provider '${g.providerId}' is no longer configured (providers: in the policy)`, true);
  return {
    entry,
    call: {
      action,
      idempotencyKey: row.key ?? row.id,
      grant: { id: g.id, app: g.app, resourceId: g.resourceId, scope: g.scope, endsAt: g.endsAt?.toISOString() ?? null },
      user: { email: u.email, name: u.name, accounts: u.accounts ?? {} },
      target: g.target ?? {},
      callbackUrl: callbackUrl(relay),
    },
  };
}

/** Sends one prepared call to its provider; every failure becomes an outcome, never a throw. */
async function send(relay: Relay, row: OutboxRow, batch: Awaited<ReturnType<typeof loadBatch>>): Promise<Outcome> {
  try {
    const prepared = prepare(relay, row, batch);
    if (prepared === "wait") return { kind: "wait" };
    if ("cancel" in prepared) return { kind: "cancel", reason: prepared.cancel };
    // Built once per provider and batch: credentials are read (and the entry checked) once, not per call.
    let built = batch.built.get(prepared.entry.id);
    if (!built)
      try {
        built = buildProvider(prepared.entry);
        batch.built.set(prepared.entry.id, built);
      } catch (e) {
        throw new ProviderError((e as Error).message, true);
      }
    const { provider, timeoutMs } = built;
    const call: ProviderCall = { ...prepared.call, signal: AbortSignal.timeout(timeoutMs), tasks: taskDesk(relay) };
    const fn = call.action === "grant" ? provider.grant : call.action === "revoke" ? provider.revoke : provider.extend;
    // A provider without an extend call keeps the access as it is: nothing to tell it.
    const result: ProviderResult = fn ? await fn.call(provider, call) : { status: "done", detail: "nothing to do" };
    return result.status === "done"
      ? { kind: "done", detail: result.detail }
      : { kind: "pending", detail: result.detail, deadlineMs: result.deadlineMs ?? 900_000 };
  } catch (err) {
    return err instanceof ProviderError
      ? { kind: "error", message: err.message, permanent: err.permanent, retryAfterMs: err.retryAfterMs }
      : { kind: "error", message: `unexpected: ${networkReason(err)}`, permanent: false, retryAfterMs: null };
  }
}

/** Provider calls one instance sends at once (each may wait on a slow API). */
const CONCURRENCY = 16;

/**
 * Sends a claimed batch of provider calls side by side and records what
 * came of them in one transaction (one unit of work with the grants'
 * transitions). Should that transaction fail, each outcome is recorded on
 * its own, so one bad row cannot hold up the others.
 */
export async function sendProviderCalls(relay: Relay, rows: OutboxRow[]): Promise<void> {
  if (rows.length === 0) return;
  const batch = await loadBatch(relay, rows);
  const outcomes: Outcome[] = new Array(rows.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, rows.length) }, async () => {
      while (next < rows.length) {
        const i = next++;
        outcomes[i] = await send(relay, rows[i] as OutboxRow, batch);
      }
    }),
  );
  const results = rows.map((row, i) => ({ row, outcome: unconfirmedGivesUp(row, outcomes[i] as Outcome) }));
  try {
    await recordOutcomes(relay, results);
  } catch (err) {
    relay.log.warn("recording provider calls together failed; recording each", loggableError(err));
    for (const one of results)
      await recordOutcomes(relay, [one]).catch((e: Error) => relay.log.error("recording a provider call failed", { error: e.message }));
  }
  for (const { row, outcome } of results)
    if (outcome.kind === "error")
      relay.log.warn("provider call failed", {
        id: row.id,
        action: row.action,
        attempts: row.attempts,
        error: outcome.message,
        final: outcome.permanent,
      });
}

/**
 * A call answered "pending" round after round (a receiver that accepts with 202 and
 * never calls back) is dead-lettered like one that keeps failing: the grant fails and
 * admins are told, instead of waiting for ever.
 */
function unconfirmedGivesUp(row: OutboxRow, outcome: Outcome): Outcome {
  if (outcome.kind !== "pending" || row.attempts < MAX_PROVIDER_ATTEMPTS) return outcome;
  return {
    kind: "error",
    message: `accepted ${row.attempts} times but never confirmed${outcome.detail ? ` (${outcome.detail})` : ""}`,
    permanent: true,
    retryAfterMs: null,
  };
}

/** Sends one claimed provider call and records what came of it. */
export const sendProviderCall = (relay: Relay, row: OutboxRow): Promise<void> => sendProviderCalls(relay, [row]);

/** The row's new state for an outcome other than done (those are recorded together, in one statement). */
function outcomeSet(outcome: Exclude<Outcome, { kind: "wait" | "done" }>, row: OutboxRow, now: Date, final: boolean) {
  switch (outcome.kind) {
    case "cancel":
      return { state: "cancelled" as const, lastError: outcome.reason, leasedUntil: null };
    case "pending":
      return {
        state: "waiting" as const,
        nextAttemptAt: new Date(now.getTime() + outcome.deadlineMs),
        lastError: outcome.detail ?? null,
        leasedUntil: null,
      };
    case "error":
      return {
        state: final ? ("failed" as const) : ("pending" as const),
        lastError: outcome.message.slice(0, 500),
        nextAttemptAt: new Date(now.getTime() + (outcome.retryAfterMs ?? providerRetryDelayMs(row.attempts))),
        leasedUntil: null,
      };
  }
}

/**
 * Outcomes and the grants' transitions, in one transaction, each only while
 * its claim holds (another instance that took a call over, or a callback
 * that recorded it first, wins and this outcome is dropped).
 */
async function recordOutcomes(relay: Relay, results: { row: OutboxRow; outcome: Outcome }[]): Promise<void> {
  const now = relay.clock.now();
  const ours = (row: OutboxRow) => and(eq(outbox.id, row.id), eq(outbox.state, "pending"), eq(outbox.attempts, row.attempts));
  const waits = results.filter((r) => r.outcome.kind === "wait").map((r) => r.row);
  // Not an attempt: it goes back, due again in a second, with its attempt given back.
  for (const row of waits)
    await relay.database.db
      .update(outbox)
      .set({ attempts: sql`${outbox.attempts} - 1`, nextAttemptAt: new Date(now.getTime() + 1_000), leasedUntil: null })
      .where(ours(row));
  const recorded = results.filter((r) => r.outcome.kind !== "wait") as { row: OutboxRow; outcome: Exclude<Outcome, { kind: "wait" }> }[];
  if (recorded.length === 0) return;
  await unitOfWork(relay.database.db, async (tx) => {
    const events: { grantId: string; event: GrantEvent }[] = [];
    // The common case, confirmed calls, in one statement; each still only while its claim holds.
    const done = recorded.filter((r) => r.outcome.kind === "done").map((r) => r.row);
    const doneIds = new Set<string>();
    for (const part of chunks(done, 500)) {
      const claims = part.map((row) => sql`(${row.id}::uuid, ${row.attempts}::int)`);
      const changed = await tx
        .update(outbox)
        .set({ state: "sent", sentAt: now, lastError: null, leasedUntil: null })
        .where(and(eq(outbox.state, "pending"), sql`(${outbox.id}, ${outbox.attempts}) in (${sql.join(claims, sql`, `)})`))
        .returning({ id: outbox.id });
      for (const c of changed) doneIds.add(c.id);
    }
    for (const { row, outcome } of recorded) {
      const final = outcome.kind === "error" && (outcome.permanent || row.attempts >= MAX_PROVIDER_ATTEMPTS);
      if (outcome.kind === "done") {
        if (!doneIds.has(row.id)) continue;
      } else {
        const changed = await tx
          .update(outbox)
          .set(outcomeSet(outcome, row, now, final))
          .where(ours(row))
          .returning({ id: outbox.id });
        if (changed.length === 0) continue;
      }
      await auditAttempt(tx, row, outcome, final, now);
      const action = row.action as ProviderAction;
      const grantId = row.grantId as string;
      if (outcome.kind === "done") events.push({ grantId, event: { type: "provider_done", action, now } });
      if (final && outcome.kind === "error")
        events.push({ grantId, event: { type: "provider_gave_up", action, error: outcome.message, now } });
    }
    await applyToGrants(relay, tx, events);
  });
}

/**
 * Applies events to their grants as one unit of work, locking the grants
 * first. Two events for one grant (rare: its grant and extend calls in one
 * batch) go in turns, each seeing what the one before left.
 */
async function applyToGrants(relay: Relay, tx: Tx, events: { grantId: string; event: GrantEvent }[]): Promise<void> {
  let left = events;
  while (left.length) {
    const seen = new Set<string>();
    const round = left.filter((e) => !seen.has(e.grantId) && seen.add(e.grantId));
    left = left.filter((e) => !round.includes(e));
    const locked = await tx
      .select()
      .from(grants)
      .where(
        inArray(
          grants.id,
          round.map((e) => e.grantId),
        ),
      )
      .orderBy(grants.id)
      .for("update");
    const byId = new Map(locked.map((g) => [g.id, g]));
    await applyGrantEvents(
      relay,
      tx,
      round.flatMap((e) => {
        const grant = byId.get(e.grantId);
        return grant ? [{ grant, event: e.event }] : [];
      }),
      "relay",
    );
  }
}

async function auditAttempt(tx: Tx, row: OutboxRow, outcome: Outcome, final: boolean, now: Date): Promise<void> {
  await appendAudit(tx, {
    at: now,
    actor: "relay",
    action: "grant.call",
    requestId: row.requestId,
    grantId: row.grantId,
    data: {
      provider: row.to,
      action: row.action,
      key: row.key,
      attempt: row.attempts,
      outcome: outcome.kind === "error" ? (final ? "gave_up" : "retry") : outcome.kind,
      ...(outcome.kind === "error" ? { error: outcome.message.slice(0, 500) } : {}),
      ...(outcome.kind === "cancel" ? { detail: outcome.reason } : {}),
      ...((outcome.kind === "done" || outcome.kind === "pending") && outcome.detail ? { detail: outcome.detail } : {}),
    },
  });
}

/** A waiting call's answer, from whoever may give it: a webhook receiver's signed callback, or an operator on a task page. */
export interface CallAnswer {
  status: "done" | "failed";
  /** For the audit: `provider:<id>` for a callback, the operator's email for a manual task. */
  actor: string;
  /** The audit event's action (`grant.callback`, `grant.task_answered`) and data beside the key and status. */
  audit: string;
  data?: Record<string, unknown>;
  /** Why it failed, as the grant and the admins' alert say it. */
  error?: string;
  /** Stored on the call's row with the outcome (a manual task's answer). */
  response?: Record<string, unknown>;
  ip?: string | null;
  userAgent?: string | null;
}

/**
 * Records a waiting call's answer once, in the caller's transaction: only a
 * call still waiting (or still under claim: the answer may come before the
 * worker recorded its "pending") changes, so a duplicate answers nothing;
 * then the grant moves on, done or given up for good.
 */
export async function recordAnswer(
  relay: Relay,
  tx: Tx,
  row: OutboxRow,
  answer: CallAnswer,
): Promise<"recorded" | "already_recorded" | "not_waiting"> {
  const now = relay.clock.now();
  const error = (answer.error ?? "the provider reported failure").slice(0, 500);
  const changed = await tx
    .update(outbox)
    .set({
      ...(answer.status === "done"
        ? { state: "sent" as const, sentAt: now, lastError: null, leasedUntil: null }
        : { state: "failed" as const, lastError: error, leasedUntil: null }),
      ...(answer.response ? { response: answer.response } : {}),
    })
    .where(and(eq(outbox.id, row.id), inArray(outbox.state, ["waiting", "pending"])))
    .returning({ id: outbox.id });
  if (changed.length === 0) return row.state === "sent" || row.state === "failed" ? "already_recorded" : "not_waiting";
  const action = row.action as ProviderAction;
  const grantId = row.grantId as string;
  await appendAudit(tx, {
    at: now,
    actor: answer.actor,
    action: answer.audit,
    requestId: row.requestId,
    grantId,
    data: { action, key: row.key, status: answer.status, ...answer.data },
    ip: answer.ip ?? null,
    userAgent: answer.userAgent ?? null,
  });
  const meta = { ip: answer.ip ?? null, userAgent: answer.userAgent ?? null };
  if (answer.status === "done") await applyGrantEvent(relay, tx, grantId, { type: "provider_done", action, now }, answer.actor, meta);
  else await applyGrantEvent(relay, tx, grantId, { type: "provider_gave_up", action, error, now }, answer.actor, meta);
  return "recorded";
}

/**
 * A provider's asynchronous answer (the webhook provider's 202, confirmed
 * later): finds the call by its idempotency key, records it once — a
 * duplicate callback changes nothing — and moves the grant on.
 */
export async function recordCallback(
  relay: Relay,
  row: OutboxRow,
  status: "done" | "failed",
  detail: string | undefined,
): Promise<"recorded" | "already_recorded" | "not_waiting"> {
  return unitOfWork(relay.database.db, (tx) =>
    recordAnswer(relay, tx, row, {
      status,
      actor: `provider:${row.to}`,
      audit: "grant.callback",
      data: detail ? { detail: detail.slice(0, 500) } : {},
      error: `the provider reported failure: ${detail ?? "no detail"}`,
    }),
  );
}
