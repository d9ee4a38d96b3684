/**
 * A grant's life, as a pure state machine: `transition(grant, event)` says
 * what changes (`patch`) and what must happen because of it (`effects`:
 * provider calls, notices, audit events, alerts), or why the event does not
 * apply. No I/O and no clock here: the caller passes `now`, loads the grant
 * under a row lock, writes the patch and hands the effects on in one
 * transaction (grants/lifecycle.ts), so every transition is atomic with its
 * audit event, notices and queued provider calls.
 *
 *   approved ─┬─► scheduled ──────────┐
 *             ├─► awaiting_start ─────┼─► provisioning ──► active ──► revoking ──► expired | revoked | released
 *             └───────────────────────┘        │             │  ▲         │
 *                                              ▼             └──┘ extend  ▼
 *                                            failed ◄─────────────────── failed
 *
 * `failed` remembers which call gave up (`failedAction`): an admin's retry
 * goes back to `provisioning` or `revoking`. A grant without a provider
 * (nothing configured to change in the app) goes straight to `active` and
 * ends without a call.
 */

import type { GrantState } from "@gatehouse/shared";

export { GRANT_STATES, type GrantState } from "@gatehouse/shared";

export const ENDED_STATES = ["expired", "revoked", "released"] as const satisfies readonly GrantState[];
export type EndReason = "expired" | "revoked" | "released" | "not_started";
export type ProviderAction = "grant" | "revoke" | "extend";

/** What the machine needs to know of a grant. */
export interface GrantFacts {
  state: GrantState;
  /** The approved length in ms; null: until revoked. */
  durationMs: number | null;
  startsAt: Date | null;
  endsAt: Date | null;
  /** Whether a provider is configured: the grant changes something in the app. */
  hasProvider: boolean;
  /** Whether a grant call was ever queued (then an end must call revoke, even if the grant call never confirmed). */
  grantQueued: boolean;
  endReason: EndReason | null;
  failedAction: "grant" | "revoke" | null;
  extensions: number;
}

/** The flow's extension rules, as the relay stores them. */
export interface ExtendRules {
  allowed: boolean;
  /** How many times (omitted: no limit). */
  times?: number | undefined;
  /** The longest total, from the first start (omitted: no limit beyond each extension's length). */
  maxTotalMs?: number | null | undefined;
}

export type GrantEvent =
  | { type: "start"; now: Date }
  | { type: "scheduled_due"; now: Date }
  | { type: "start_window_passed"; now: Date }
  | { type: "provider_done"; action: ProviderAction; now: Date }
  | { type: "provider_gave_up"; action: ProviderAction; error: string; now: Date }
  | { type: "due"; now: Date }
  | { type: "release"; now: Date }
  | { type: "revoke"; now: Date; by: string; reason: string }
  | { type: "extend"; now: Date; byMs: number; rules: ExtendRules }
  | { type: "retry"; now: Date };

export type GrantEffect =
  | { kind: "call"; action: ProviderAction; generation: number }
  /** Stop queued (not yet sent) calls of this action: a grant that is ending must not be provisioned afterwards. */
  | { kind: "cancel_calls"; action: ProviderAction }
  | { kind: "notice"; notice: GrantNotice }
  | { kind: "audit"; action: string; data: Record<string, unknown> }
  /** Admins must look: a call gave up. */
  | { kind: "alert_admins"; action: ProviderAction; error: string };

export type GrantNotice = "grant.started" | "grant.failed" | "grant.extended" | "grant.ended" | "grant.ending";

export interface GrantPatch {
  state?: GrantState;
  startsAt?: Date;
  endsAt?: Date | null;
  endedAt?: Date | null;
  endReason?: EndReason | null;
  failedAction?: "grant" | "revoke" | null;
  failure?: string | null;
  extensions?: number;
}

export type Transition = { ok: true; patch: GrantPatch; effects: GrantEffect[] } | { ok: false; problem: GrantProblem; detail: string };

export type GrantProblem = "grant_not_active" | "extend_not_allowed" | "extend_limit" | "not_applicable";

const no = (problem: GrantProblem, detail: string): Transition => ({ ok: false, problem, detail });
const ok = (patch: GrantPatch, effects: GrantEffect[] = []): Transition => ({ ok: true, patch, effects });

/**
 * The state a new grant starts in, and its first effects. `startAt` in the
 * future schedules it; `on_start` waits for the requester (until `startBy`).
 */
export function initialGrant(input: {
  now: Date;
  durationMs: number | null;
  hasProvider: boolean;
  activation: "on_approval" | "on_start";
  startAt?: Date | null;
}): { state: GrantState; startsAt: Date; endsAt: Date | null; effects: GrantEffect[] } {
  const { now, durationMs } = input;
  if (input.activation === "on_start")
    return { state: "awaiting_start", startsAt: now, endsAt: null, effects: [{ kind: "audit", action: "grant.awaiting_start", data: {} }] };
  if (input.startAt && input.startAt > now)
    return {
      state: "scheduled",
      startsAt: input.startAt,
      endsAt: null,
      effects: [{ kind: "audit", action: "grant.scheduled", data: { startAt: input.startAt.toISOString() } }],
    };
  return { ...begin(now, durationMs, input.hasProvider), startsAt: now };
}

/** Starting: with a provider, provisioning (the clock starts when it confirms); without one, active at once. */
function begin(
  now: Date,
  durationMs: number | null,
  hasProvider: boolean,
): { state: GrantState; endsAt: Date | null; effects: GrantEffect[] } {
  if (hasProvider)
    return {
      state: "provisioning",
      endsAt: null,
      effects: [
        { kind: "call", action: "grant", generation: 0 },
        { kind: "audit", action: "grant.provisioning", data: {} },
      ],
    };
  const endsAt = durationMs === null ? null : new Date(now.getTime() + durationMs);
  return {
    state: "active",
    endsAt,
    effects: [
      { kind: "audit", action: "grant.started", data: { endsAt: endsAt?.toISOString() ?? null, provisioned: false } },
      { kind: "notice", notice: "grant.started" },
    ],
  };
}

/** Ending: a grant whose call was queued is revoked at the provider first; one that never reached it ends at once. */
function end(g: GrantFacts, now: Date, reason: EndReason, audit: Record<string, unknown>): Transition {
  if (g.hasProvider && g.grantQueued)
    return ok({ state: "revoking", endReason: reason, endsAt: g.endsAt && g.endsAt < now ? g.endsAt : now }, [
      { kind: "cancel_calls", action: "grant" },
      { kind: "cancel_calls", action: "extend" },
      { kind: "call", action: "revoke", generation: 0 },
      { kind: "audit", action: "grant.revoking", data: { reason, ...audit } },
      { kind: "notice", notice: "grant.ending" },
    ]);
  const state = reason === "not_started" ? "expired" : reason;
  return ok({ state, endReason: reason, endedAt: now, endsAt: g.endsAt && g.endsAt < now ? g.endsAt : now }, [
    { kind: "audit", action: `grant.${state}`, data: { reason, ...audit } },
    { kind: "notice", notice: "grant.ended" },
  ]);
}

export function transition(g: GrantFacts, e: GrantEvent): Transition {
  const { now } = e;
  switch (e.type) {
    case "start":
      if (g.state !== "awaiting_start")
        return no("not_applicable", `This grant is ${g.state}; only a grant waiting to start can be started`);
      return started(g, now);
    case "scheduled_due":
      if (g.state !== "scheduled") return no("not_applicable", `grant is ${g.state}`);
      return started(g, now);
    case "start_window_passed":
      if (g.state !== "awaiting_start") return no("not_applicable", `grant is ${g.state}`);
      return end({ ...g, grantQueued: false }, now, "not_started", {});

    case "provider_done":
      if (e.action === "grant") {
        // A late confirmation of a grant that is already ending changes nothing: its revoke is queued.
        if (g.state !== "provisioning") return no("not_applicable", `grant is ${g.state}`);
        const endsAt = g.durationMs === null ? null : new Date(now.getTime() + g.durationMs);
        return ok({ state: "active", startsAt: now, endsAt }, [
          { kind: "audit", action: "grant.started", data: { endsAt: endsAt?.toISOString() ?? null, provisioned: true } },
          { kind: "notice", notice: "grant.started" },
        ]);
      }
      if (e.action === "revoke") {
        if (g.state !== "revoking") return no("not_applicable", `grant is ${g.state}`);
        const state = g.endReason === "revoked" || g.endReason === "released" ? g.endReason : "expired";
        return ok({ state, endedAt: now }, [
          { kind: "audit", action: `grant.${state}`, data: { reason: g.endReason, confirmed: true } },
          { kind: "notice", notice: "grant.ended" },
        ]);
      }
      return ok({}, [{ kind: "audit", action: "grant.extend_confirmed", data: {} }]);

    case "provider_gave_up": {
      // An extension the provider could not record leaves the grant as it is (its end stands either way).
      if (e.action === "extend") return ok({}, [{ kind: "audit", action: "grant.extend_failed", data: { error: e.error } }]);
      const expected = e.action === "grant" ? "provisioning" : "revoking";
      if (g.state !== expected) return no("not_applicable", `grant is ${g.state}`);
      return ok({ state: "failed", failedAction: e.action, failure: e.error }, [
        { kind: "audit", action: "grant.failed", data: { action: e.action, error: e.error } },
        { kind: "notice", notice: "grant.failed" },
        { kind: "alert_admins", action: e.action, error: e.error },
      ]);
    }

    case "due":
      if (g.state !== "active" || !g.endsAt || g.endsAt > now) return no("not_applicable", `grant is ${g.state}`);
      return end(g, now, "expired", { lateByMs: now.getTime() - g.endsAt.getTime() });

    case "release":
      if (!["active", "provisioning", "awaiting_start", "scheduled"].includes(g.state))
        return no("grant_not_active", `This grant is ${g.state} and cannot be released`);
      return end(g, now, "released", {});

    case "revoke":
      if (
        !["active", "provisioning", "awaiting_start", "scheduled"].includes(g.state) &&
        !(g.state === "failed" && g.failedAction === "grant")
      )
        return no("grant_not_active", `This grant is ${g.state} and cannot be revoked`);
      return end(g, now, "revoked", { by: e.by, note: e.reason });

    case "extend": {
      if (g.state !== "active") return no("grant_not_active", `Only active access can be extended; this grant is ${g.state}`);
      if (!e.rules.allowed) return no("extend_not_allowed", "This access flow does not allow extending access");
      if (g.endsAt === null) return no("extend_not_allowed", "This access has no end to extend");
      if (e.rules.times !== undefined && g.extensions >= e.rules.times)
        return no(
          "extend_limit",
          `This access was extended ${g.extensions} time${g.extensions === 1 ? "" : "s"} already, the most its flow allows`,
        );
      const endsAt = new Date(Math.max(g.endsAt.getTime(), now.getTime()) + e.byMs);
      if (e.rules.maxTotalMs != null && g.startsAt && endsAt.getTime() - g.startsAt.getTime() > e.rules.maxTotalMs)
        return no("extend_limit", "Extending would make this access last longer than its flow allows in total");
      const extensions = g.extensions + 1;
      return ok({ endsAt, extensions }, [
        ...(g.hasProvider ? [{ kind: "call", action: "extend", generation: extensions } as const] : []),
        { kind: "audit", action: "grant.extended", data: { endsAt: endsAt.toISOString(), extensions } },
        { kind: "notice", notice: "grant.extended" },
      ]);
    }

    case "retry":
      if (g.state !== "failed" || !g.failedAction) return no("not_applicable", `grant is ${g.state}`);
      return ok({ state: g.failedAction === "grant" ? "provisioning" : "revoking", failedAction: null, failure: null }, [
        { kind: "audit", action: "grant.retried", data: { action: g.failedAction } },
      ]);
  }
}

function started(g: GrantFacts, now: Date): Transition {
  const b = begin(now, g.durationMs, g.hasProvider);
  return ok({ state: b.state, startsAt: now, endsAt: b.endsAt }, b.effects);
}

/** Whether the grant gives access at `now`: read from `ends_at`, so a late worker never extends access. */
export function grantsAccess(g: Pick<GrantFacts, "state" | "endsAt">, now: Date): boolean {
  return g.state === "active" && (g.endsAt === null || g.endsAt > now);
}

/**
 * When to warn before the end: each lead time that is shorter than the
 * grant itself (a warning that would come at once is no warning) and whose
 * `minGrantMs` the grant reaches. Returns the first warning time after `from`
 * (the last warning sent, or the start), or null.
 */
export function nextWarningAt(
  g: { startsAt: Date; endsAt: Date | null },
  warnings: { beforeMs: number; minGrantMs?: number | null | undefined }[],
  after: Date,
): Date | null {
  const end = g.endsAt?.getTime();
  if (end === undefined) return null;
  const length = end - g.startsAt.getTime();
  const times = warnings
    .filter((w) => w.beforeMs < length && (w.minGrantMs == null || length >= w.minGrantMs))
    .map((w) => end - w.beforeMs)
    .filter((t) => t > after.getTime())
    .sort((a, b) => a - b);
  return times.length ? new Date(times[0] as number) : null;
}
