import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type GrantEvent,
  type GrantFacts,
  type GrantPatch,
  grantsAccess,
  initialGrant,
  nextWarningAt,
  transition,
} from "../src/core/grant-lifecycle.ts";

/** The grant lifecycle machine on its own: no database, no clock. */
const T0 = new Date("2026-12-01T09:00:00Z");
const at = (min: number) => new Date(T0.getTime() + min * 60_000);
const HOUR = 3_600_000;

const grant = (over: Partial<GrantFacts> = {}): GrantFacts => ({
  state: "provisioning",
  durationMs: HOUR,
  startsAt: T0,
  endsAt: null,
  hasProvider: true,
  grantQueued: true,
  endReason: null,
  failedAction: null,
  extensions: 0,
  ...over,
});

const apply = (g: GrantFacts, p: GrantPatch): GrantFacts => ({ ...g, ...p }) as GrantFacts;

describe("the grant lifecycle", () => {
  it("starts provisioning with a provider, active without one, and waits for on_start or a scheduled start", () => {
    expect(initialGrant({ now: T0, durationMs: HOUR, hasProvider: true, activation: "on_approval" })).toMatchObject({
      state: "provisioning",
      endsAt: null,
      effects: [{ kind: "call", action: "grant", generation: 0 }, { kind: "audit" }],
    });
    const direct = initialGrant({ now: T0, durationMs: HOUR, hasProvider: false, activation: "on_approval" });
    expect(direct).toMatchObject({ state: "active", endsAt: at(60) });
    expect(direct.effects).toContainEqual({ kind: "notice", notice: "grant.started" });
    expect(initialGrant({ now: T0, durationMs: HOUR, hasProvider: true, activation: "on_start" }).state).toBe("awaiting_start");
    expect(initialGrant({ now: T0, durationMs: HOUR, hasProvider: true, activation: "on_approval", startAt: at(30) })).toMatchObject({
      state: "scheduled",
      startsAt: at(30),
    });
  });

  it("starts the clock when the provider confirms, and tells the requester only then", () => {
    const t = transition(grant(), { type: "provider_done", action: "grant", now: at(5) });
    expect(t).toMatchObject({ ok: true, patch: { state: "active", startsAt: at(5), endsAt: at(65) } });
    expect(t.ok && t.effects).toContainEqual({ kind: "notice", notice: "grant.started" });
  });

  it("ends an active grant through revoking when a call was queued, and directly when nothing was provisioned", () => {
    const active = grant({ state: "active", endsAt: at(60) });
    const due = transition(active, { type: "due", now: at(60) });
    expect(due).toMatchObject({ ok: true, patch: { state: "revoking", endReason: "expired", endsAt: at(60) } });
    expect(due.ok && due.effects).toContainEqual({ kind: "call", action: "revoke", generation: 0 });
    expect(due.ok && due.effects).toContainEqual({ kind: "cancel_calls", action: "grant" });
    const confirmed = transition(apply(active, due.ok ? due.patch : {}), { type: "provider_done", action: "revoke", now: at(61) });
    expect(confirmed).toMatchObject({ ok: true, patch: { state: "expired", endedAt: at(61) } });

    const plain = transition(grant({ state: "active", endsAt: at(60), hasProvider: false, grantQueued: false }), {
      type: "due",
      now: at(60),
    });
    expect(plain).toMatchObject({ ok: true, patch: { state: "expired", endedAt: at(60) } });
  });

  it("is not due before its end, and a late grant confirmation of an ending grant changes nothing", () => {
    expect(transition(grant({ state: "active", endsAt: at(60) }), { type: "due", now: at(59) }).ok).toBe(false);
    expect(transition(grant({ state: "revoking" }), { type: "provider_done", action: "grant", now: at(1) }).ok).toBe(false);
  });

  it("releases and revokes from every live state, including a grant still provisioning", () => {
    for (const state of ["active", "provisioning", "awaiting_start", "scheduled"] as const) {
      const queued = state === "active" || state === "provisioning";
      const r = transition(grant({ state, grantQueued: queued, endsAt: state === "active" ? at(60) : null }), {
        type: "revoke",
        now: at(10),
        by: "ops@acme.test",
        reason: "left",
      });
      expect(r.ok).toBe(true);
      expect(r.ok && r.patch.state).toBe(queued ? "revoking" : "revoked");
      expect(r.ok && r.patch.endsAt).toEqual(state === "active" ? at(10) : at(10));
    }
    expect(transition(grant({ state: "expired" }), { type: "release", now: at(1) })).toMatchObject({
      ok: false,
      problem: "grant_not_active",
    });
  });

  it("extends within the rules: allowed, how many times, the longest total", () => {
    const active = grant({ state: "active", endsAt: at(60) });
    const rules = { allowed: true, times: 2, maxTotalMs: 2 * HOUR };
    const once = transition(active, { type: "extend", now: at(50), byMs: 30 * 60_000, rules });
    expect(once).toMatchObject({ ok: true, patch: { endsAt: at(90), extensions: 1 } });
    expect(once.ok && once.effects).toContainEqual({ kind: "call", action: "extend", generation: 1 });
    const twice = apply(active, once.ok ? once.patch : {});
    expect(transition(twice, { type: "extend", now: at(80), byMs: 60 * 60_000, rules })).toMatchObject({
      ok: false,
      problem: "extend_limit",
    });
    const limited = apply(twice, { extensions: 2 });
    expect(transition(limited, { type: "extend", now: at(80), byMs: 60_000, rules })).toMatchObject({ ok: false, problem: "extend_limit" });
    expect(transition(active, { type: "extend", now: at(50), byMs: 60_000, rules: { allowed: false } })).toMatchObject({
      ok: false,
      problem: "extend_not_allowed",
    });
    expect(transition(grant({ state: "provisioning" }), { type: "extend", now: at(1), byMs: 60_000, rules })).toMatchObject({
      ok: false,
      problem: "grant_not_active",
    });
  });

  it("fails loudly when a call gives up, and an admin's retry goes back to the step that failed", () => {
    const failed = transition(grant(), { type: "provider_gave_up", action: "grant", error: "HTTP 404", now: at(1) });
    expect(failed).toMatchObject({ ok: true, patch: { state: "failed", failedAction: "grant", failure: "HTTP 404" } });
    expect(failed.ok && failed.effects).toContainEqual({ kind: "alert_admins", action: "grant", error: "HTTP 404" });
    const f = apply(grant(), failed.ok ? failed.patch : {});
    expect(transition(f, { type: "retry", now: at(2) })).toMatchObject({ ok: true, patch: { state: "provisioning" } });
    const r = transition(grant({ state: "revoking", endReason: "expired" }), {
      type: "provider_gave_up",
      action: "revoke",
      error: "x",
      now: at(1),
    });
    expect(r).toMatchObject({ ok: true, patch: { state: "failed", failedAction: "revoke" } });
    expect(transition(apply(grant(), r.ok ? r.patch : {}), { type: "retry", now: at(2) })).toMatchObject({ patch: { state: "revoking" } });
  });

  it("lapses an on_start grant nobody started, without a provider call", () => {
    const t = transition(grant({ state: "awaiting_start", grantQueued: false }), { type: "start_window_passed", now: at(1440) });
    expect(t).toMatchObject({ ok: true, patch: { state: "expired", endReason: "not_started" } });
    expect(t.ok && t.effects.some((e) => e.kind === "call")).toBe(false);
  });

  it("warns before the end, only with leads shorter than the grant and for grants long enough", () => {
    const w = [{ beforeMs: 10 * 60_000 }, { beforeMs: HOUR, minGrantMs: 4 * HOUR }];
    expect(nextWarningAt({ startsAt: T0, endsAt: at(60) }, w, T0)).toEqual(at(50));
    expect(nextWarningAt({ startsAt: T0, endsAt: at(300) }, w, T0)).toEqual(at(240));
    expect(nextWarningAt({ startsAt: T0, endsAt: at(300) }, w, at(240))).toEqual(at(290));
    expect(nextWarningAt({ startsAt: T0, endsAt: at(5) }, w, T0)).toBeNull();
    expect(nextWarningAt({ startsAt: T0, endsAt: null }, w, T0)).toBeNull();
  });

  it("never gives access after any sequence of events once its time is up, and ends through a revoke whenever a call was queued", () => {
    const event = fc.oneof(
      fc.constant<GrantEvent["type"]>("start"),
      fc.constant<GrantEvent["type"]>("due"),
      fc.constant<GrantEvent["type"]>("release"),
      fc.constant<GrantEvent["type"]>("revoke"),
      fc.constant<GrantEvent["type"]>("extend"),
      fc.constant<GrantEvent["type"]>("retry"),
      fc.constant<GrantEvent["type"]>("provider_done"),
      fc.constant<GrantEvent["type"]>("provider_gave_up"),
    );
    fc.assert(
      fc.property(
        fc.constantFrom<"on_approval" | "on_start">("on_approval", "on_start"),
        fc.boolean(),
        fc.array(
          fc.tuple(event, fc.constantFrom<"grant" | "revoke" | "extend">("grant", "revoke", "extend"), fc.integer({ min: 0, max: 90 })),
          {
            maxLength: 25,
          },
        ),
        (activation, hasProvider, steps) => {
          const start = initialGrant({ now: T0, durationMs: HOUR, hasProvider, activation });
          let g: GrantFacts = {
            ...grant({ hasProvider }),
            state: start.state,
            startsAt: start.startsAt,
            endsAt: start.endsAt,
            grantQueued: start.effects.some((e) => e.kind === "call" && e.action === "grant"),
          };
          let clock = 0;
          let everRevokeCall = false;
          for (const [type, action, dt] of steps) {
            clock += dt;
            const now = at(clock);
            const e: GrantEvent =
              type === "extend"
                ? { type, now, byMs: 30 * 60_000, rules: { allowed: true, times: 3, maxTotalMs: 3 * HOUR } }
                : type === "revoke"
                  ? { type, now, by: "a", reason: "" }
                  : type === "provider_done" || type === "provider_gave_up"
                    ? type === "provider_done"
                      ? { type, now, action }
                      : { type, now, action, error: "x" }
                    : ({ type, now } as GrantEvent);
            const t = transition(g, e);
            if (!t.ok) continue;
            if (t.effects.some((x) => x.kind === "call" && x.action === "grant")) g = { ...g, grantQueued: true };
            if (t.effects.some((x) => x.kind === "call" && x.action === "revoke")) everRevokeCall = true;
            const wasQueued = g.grantQueued && g.hasProvider;
            g = apply(g, t.patch);
            // An ending of a grant that reached (or may have reached) the app always asks the provider to remove it.
            if (["expired", "revoked", "released"].includes(g.state) && wasQueued) expect(everRevokeCall).toBe(true);
            // Access never outlives its end, nor exceeds the longest total.
            if (grantsAccess(g, now) && g.endsAt && g.startsAt)
              expect(g.endsAt.getTime() - g.startsAt.getTime()).toBeLessThanOrEqual(3 * HOUR);
            if (g.endsAt && now >= g.endsAt) expect(grantsAccess(g, now)).toBe(false);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
