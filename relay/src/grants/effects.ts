import { and, eq, gt, inArray, ne, sql } from "drizzle-orm";
import { buildProvider, type ProviderEntry } from "../adapters/providers/registry.ts";
import { type ProviderCall, ProviderError, type ProviderResult } from "../adapters/providers/types.ts";
import { networkReason } from "../adapters/providers/webhook.ts";
import { appendAudit } from "../audit/chain.ts";
import type { Relay } from "../context.ts";
import type { ProviderAction } from "../core/grant-lifecycle.ts";
import type { Tx } from "../db/client.ts";
import { grants, outbox, settings, users } from "../db/schema/index.ts";
import { PROVIDERS_SETTING } from "../policy/snapshot.ts";
import { applyGrantEvent } from "./lifecycle.ts";
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

/** How many times a provider call is tried before it is dead-lettered (about 1 h 20 min of backoff). */
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
  | { kind: "wait" };

/** Loads what the call needs; "wait" while an earlier call of the same grant is still being sent. */
async function prepare(relay: Relay, row: OutboxRow): Promise<{ call: Omit<ProviderCall, "signal">; entry: ProviderEntry } | "wait"> {
  const { db } = relay.database;
  const now = relay.clock.now();
  if (!row.grantId || !row.action) throw new ProviderError("a provider call without its grant", true);
  // Calls of one grant go in order: a revoke never overtakes the grant call it undoes.
  const inFlight = await db
    .select({ id: outbox.id })
    .from(outbox)
    .where(and(eq(outbox.grantId, row.grantId), ne(outbox.id, row.id), eq(outbox.state, "pending"), gt(outbox.leasedUntil, now)))
    .limit(1);
  if (inFlight.length && row.action !== "grant") return "wait";
  const [found] = await db
    .select({ g: grants, u: users })
    .from(grants)
    .innerJoin(users, eq(users.id, grants.userId))
    .where(eq(grants.id, row.grantId));
  if (!found) throw new ProviderError("the grant no longer exists", true);
  const { g, u } = found;
  const [setting] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, PROVIDERS_SETTING));
  const entry = ((setting?.value as ProviderEntry[] | undefined) ?? []).find((p) => p.id === g.providerId);
  if (!entry) throw new ProviderError(`provider '${g.providerId}' is no longer configured (providers: in the policy)`, true);
  return {
    entry,
    call: {
      action: row.action as ProviderAction,
      idempotencyKey: row.key ?? row.id,
      grant: { id: g.id, app: g.app, resourceId: g.resourceId, scope: g.scope, endsAt: g.endsAt?.toISOString() ?? null },
      user: { email: u.email, name: u.name, accounts: u.accounts ?? {} },
      target: g.target ?? {},
      callbackUrl: callbackUrl(relay),
    },
  };
}

/** Sends one claimed provider call and records what came of it. */
export async function sendProviderCall(relay: Relay, row: OutboxRow): Promise<void> {
  let outcome: Outcome;
  try {
    const prepared = await prepare(relay, row);
    if (prepared === "wait") outcome = { kind: "wait" };
    else {
      let built: ReturnType<typeof buildProvider>;
      try {
        built = buildProvider(prepared.entry);
      } catch (e) {
        throw new ProviderError((e as Error).message, true);
      }
      const { provider, timeoutMs } = built;
      const call: ProviderCall = { ...prepared.call, signal: AbortSignal.timeout(timeoutMs), tasks: taskDesk(relay) };
      const fn = call.action === "grant" ? provider.grant : call.action === "revoke" ? provider.revoke : provider.extend;
      // A provider without an extend call keeps the access as it is: nothing to tell it.
      const result: ProviderResult = fn ? await fn.call(provider, call) : { status: "done", detail: "nothing to do" };
      outcome =
        result.status === "done"
          ? { kind: "done", detail: result.detail }
          : { kind: "pending", detail: result.detail, deadlineMs: result.deadlineMs ?? 900_000 };
    }
  } catch (err) {
    outcome =
      err instanceof ProviderError
        ? { kind: "error", message: err.message, permanent: err.permanent, retryAfterMs: err.retryAfterMs }
        : { kind: "error", message: `unexpected: ${networkReason(err)}`, permanent: false, retryAfterMs: null };
  }
  await recordOutcome(relay, row, outcome);
}

/** The outcome and the grant's transition, in one transaction, only while this claim holds. */
async function recordOutcome(relay: Relay, row: OutboxRow, outcome: Outcome): Promise<void> {
  const now = relay.clock.now();
  const ours = and(eq(outbox.id, row.id), eq(outbox.state, "pending"), eq(outbox.attempts, row.attempts));
  if (outcome.kind === "wait") {
    await relay.database.db
      .update(outbox)
      .set({ attempts: sql`${outbox.attempts} - 1`, nextAttemptAt: new Date(now.getTime() + 1_000), leasedUntil: null })
      .where(ours);
    return;
  }
  const action = row.action as ProviderAction;
  const grantId = row.grantId as string;
  await relay.database.db.transaction(async (tx) => {
    const final = outcome.kind === "error" && (outcome.permanent || row.attempts >= MAX_PROVIDER_ATTEMPTS);
    const set =
      outcome.kind === "done"
        ? { state: "sent" as const, sentAt: now, lastError: null, leasedUntil: null }
        : outcome.kind === "pending"
          ? {
              state: "waiting" as const,
              nextAttemptAt: new Date(now.getTime() + outcome.deadlineMs),
              lastError: outcome.detail ?? null,
              leasedUntil: null,
            }
          : {
              state: final ? ("failed" as const) : ("pending" as const),
              lastError: outcome.message.slice(0, 500),
              nextAttemptAt: new Date(now.getTime() + (outcome.retryAfterMs ?? providerRetryDelayMs(row.attempts))),
              leasedUntil: null,
            };
    const changed = await tx.update(outbox).set(set).where(ours).returning({ id: outbox.id });
    if (changed.length === 0) return; // another instance took the call over (or a callback recorded it first)
    await auditAttempt(tx, row, outcome, final, now);
    if (outcome.kind === "done") await applyGrantEvent(relay, tx, grantId, { type: "provider_done", action, now }, "relay");
    if (final && outcome.kind === "error")
      await applyGrantEvent(relay, tx, grantId, { type: "provider_gave_up", action, error: outcome.message, now }, "relay");
  });
  if (outcome.kind === "error")
    relay.log.warn("provider call failed", {
      id: row.id,
      action,
      attempts: row.attempts,
      error: outcome.message,
      final: outcome.permanent,
    });
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
      ...(outcome.kind !== "error" && outcome.kind !== "wait" && outcome.detail ? { detail: outcome.detail } : {}),
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
  return relay.database.db.transaction((tx) =>
    recordAnswer(relay, tx, row, {
      status,
      actor: `provider:${row.to}`,
      audit: "grant.callback",
      data: detail ? { detail: detail.slice(0, 500) } : {},
      error: `the provider reported failure: ${detail ?? "no detail"}`,
    }),
  );
}
