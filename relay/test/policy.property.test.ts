import { durationMs } from "@gatehouse/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluatePolicy } from "../src/core/policy/evaluate.ts";
import type { DirectoryUser, Flow, PolicySnapshot } from "../src/core/policy/model.ts";
import { simulate } from "../src/core/policy/simulate.ts";

/**
 * Properties of the engine over random directories and flows (fast-check):
 * whatever the policy, these must hold.
 */
const EMAILS = ["a@x.test", "b@x.test", "c@x.test", "d@x.test", "e@x.test", "f@x.test"];
const APPS = ["github", "jira", "notion"];
const GROUPS = ["g1", "g2"];

const userArb = (email: string) =>
  fc
    .record({
      managerEmail: fc.option(fc.constantFrom(...EMAILS), { nil: null }),
      active: fc.boolean(),
      isAdmin: fc.boolean(),
    })
    .map((u): DirectoryUser => ({ id: `id-${email}`, email, name: email, ...u }));

const refArb = fc.constantFrom("manager", "admins", ...EMAILS.map((e) => `user:${e}`), ...GROUPS.map((g) => `group:${g}`));

const flowArb = (i: number) =>
  fc
    .record({
      enabled: fc.boolean(),
      apps: fc.subarray(APPS, { minLength: 1 }),
      resources: fc.option(fc.constantFrom<string[]>(["repo-*"], ["other"], ["**"]), { nil: undefined }),
      requesters: fc.option(fc.subarray([...EMAILS.map((e) => `user:${e}`), "group:g1"], { minLength: 1 }), { nil: undefined }),
      condition: fc.option(fc.constantFrom(...Object.keys(CONDITIONS)), { nil: undefined }),
      auto: fc.boolean(),
      steps: fc.array(
        fc.record({
          approvers: fc.array(refArb, { minLength: 1, maxLength: 3 }),
          require: fc.constantFrom<"any" | "all" | number>("any", "all", 2, 3),
        }),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
    })
    .map(
      (f): Flow => ({
        id: `f${i}`,
        name: `f${i}`,
        enabled: f.enabled,
        definition: {
          apps: f.apps,
          resources: f.resources,
          requesters: f.requesters,
          condition: f.condition,
          approval: f.auto ? "auto" : { steps: f.steps },
          durations: { choices: ["1h"] },
          requireReason: false,
        },
      }),
    );

const snapshotArb = fc
  .record({
    users: fc.tuple(...EMAILS.map(userArb)),
    groups: fc.tuple(fc.subarray(EMAILS), fc.subarray(EMAILS)),
    flows: fc.integer({ min: 0, max: 5 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => flowArb(i)))),
    fallback: fc.boolean(),
  })
  .map(
    (s): PolicySnapshot => ({
      usersByEmail: new Map(s.users.map((u) => [u.email, u])),
      groups: new Map([
        ["g1", s.groups[0]],
        ["g2", s.groups[1]],
      ]),
      flows: s.flows,
      fallback: { enabled: s.fallback, max: "4h" },
    }),
  );

const inputArb = fc.record({
  requesterEmail: fc.constantFrom(...EMAILS, "stranger@x.test"),
  app: fc.constantFrom(...APPS),
  resourceId: fc.constantFrom("repo-a", "other", "repo-b/x"),
  at: fc.integer({ min: 0, max: 23 }).map((h) => new Date(Date.UTC(2026, 10, 2, h, 30))),
});

type Input = { requesterEmail: string; app: string; resourceId: string; at: Date };

/**
 * CEL conditions the random flows carry, each with its meaning written out
 * in plain code: the oracle below decides matches without the engine.
 */
const CONDITIONS: Record<string, (s: PolicySnapshot, i: Input) => boolean> = {
  "'g1' in requester.groups": (s, i) => (s.groups.get("g1") ?? []).includes(i.requesterEmail),
  "request.time.getHours('UTC') >= 12": (_s, i) => i.at.getUTCHours() >= 12,
  "resource.id.startsWith('repo')": (_s, i) => i.resourceId.startsWith("repo"),
  "request.time.getHours('Asia/Tokyo') < 9": (_s, i) => (i.at.getUTCHours() + 9) % 24 < 9,
};

/** Whether a flow covers a request, by the documented rules, written independently of the engine. */
function oracleMatches(s: PolicySnapshot, flow: Flow, i: Input): boolean {
  const d = flow.definition;
  if (!flow.enabled || !d.apps.includes(i.app)) return false;
  const glob = (p: string) =>
    p === "**"
      ? true
      : p.endsWith("*")
        ? i.resourceId.startsWith(p.slice(0, -1)) && !i.resourceId.slice(p.length - 1).includes("/")
        : p === i.resourceId;
  if (d.resources && !d.resources.some(glob)) return false;
  const inGroup = (g: string) => (s.groups.get(g) ?? []).includes(i.requesterEmail);
  if (d.requesters && !d.requesters.some((r) => r === `user:${i.requesterEmail}` || (r.startsWith("group:") && inGroup(r.slice(6)))))
    return false;
  if (d.condition && !CONDITIONS[d.condition]?.(s, i)) return false;
  return true;
}

describe("policy engine properties", () => {
  it("never makes requesters approve their own request", () => {
    fc.assert(
      fc.property(snapshotArb, inputArb, (snapshot, input) => {
        const e = evaluatePolicy(snapshot, input);
        if (e.outcome !== "matched") return;
        for (const step of e.steps) expect(step.approvers.map((a) => a.email)).not.toContain(input.requesterEmail);
      }),
      { numRuns: 500 },
    );
  });

  it("matches exactly the flow an independent reading of the rules picks (apps, globs, requesters, CEL conditions)", () => {
    fc.assert(
      fc.property(snapshotArb, inputArb, (snapshot, input) => {
        const e = evaluatePolicy(snapshot, input);
        const requester = snapshot.usersByEmail.get(input.requesterEmail);
        if (!requester?.active) {
          expect(e.outcome).toBe("denied");
          return;
        }
        const expected =
          snapshot.flows.find((f) => oracleMatches(snapshot, f, input))?.id ?? (snapshot.fallback.enabled ? "fallback" : null);
        if (expected === null) expect(e).toMatchObject({ outcome: "denied", code: "no_flow" });
        else expect(e).toMatchObject({ outcome: "matched", flow: { id: expected } });
      }),
      { numRuns: 1000 },
    );
  });

  it("picks exactly the first matching flow, else the fallback, else denies with a code", () => {
    fc.assert(
      fc.property(snapshotArb, inputArb, (snapshot, input) => {
        const e = evaluatePolicy(snapshot, input);
        const requester = snapshot.usersByEmail.get(input.requesterEmail);
        if (!requester) {
          expect(e).toMatchObject({ outcome: "denied", code: "unknown_requester" });
          return;
        }
        if (!requester.active) {
          expect(e).toMatchObject({ outcome: "denied", code: "inactive_requester" });
          return;
        }
        // Every flow before the chosen one was explained away; the chosen one matches.
        const chosen = e.outcome === "matched" ? e.flow.id : null;
        const index = snapshot.flows.findIndex((f) => f.id === chosen);
        const skipped = index === -1 ? snapshot.flows.length : index;
        expect(e.explain.slice(0, skipped).map((x) => x.split(":")[0])).toEqual(snapshot.flows.slice(0, skipped).map((f) => f.id));
        if (index === -1) {
          if (snapshot.fallback.enabled) expect(e).toMatchObject({ outcome: "matched", flow: { id: "fallback" } });
          else expect(e).toMatchObject({ outcome: "denied", code: "no_flow" });
        }
      }),
      { numRuns: 500 },
    );
  });

  it("never grants longer than the flow's maximum", () => {
    const rulesArb = fc.oneof(
      fc.record({
        choices: fc.constant<string[]>(["15m", "1h", "4h", "1d", "indefinite"]),
        max: fc.constantFrom<string>("1h", "4h", "1d"),
      }),
      fc.record({ custom: fc.constant(true), max: fc.constantFrom<string>("30m", "2h", "8h") }),
      fc.record({ fixed: fc.constantFrom<string>("15m", "1h") }),
    );
    fc.assert(
      fc.property(
        snapshotArb,
        inputArb,
        rulesArb,
        fc.constantFrom("5m", "15m", "1h", "90m", "4h", "1d", "7d", "indefinite"),
        (snapshot, input, rules, duration) => {
          const flows = snapshot.flows.map((f) => ({ ...f, definition: { ...f.definition, durations: rules } }));
          const result = simulate(
            { ...snapshot, flows },
            { requester: input.requesterEmail, app: input.app, resource: input.resourceId, duration, reason: "r" },
          );
          if (result.outcome === "denied" || result.flow === "fallback") return;
          const max = "max" in rules ? rules.max : rules.fixed;
          const granted = durationMs(result.duration ?? "") ?? Number.POSITIVE_INFINITY;
          expect(granted).toBeLessThanOrEqual(durationMs(max) ?? 0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("gives the same answer whatever the order of the directory's entries", () => {
    fc.assert(
      fc.property(snapshotArb, inputArb, fc.integer(), (snapshot, input, seed) => {
        const shuffle = <T>(xs: T[]) =>
          xs
            .map((x, i) => [((i + 1) * (seed | 1)) % 1009, x] as const)
            .sort((a, b) => a[0] - b[0])
            .map(([, x]) => x);
        const reordered: PolicySnapshot = {
          ...snapshot,
          usersByEmail: new Map(shuffle([...snapshot.usersByEmail])),
          groups: new Map(shuffle([...snapshot.groups]).map(([id, members]) => [id, shuffle(members)])),
        };
        const a = evaluatePolicy(snapshot, input);
        const b = evaluatePolicy(reordered, input);
        const view = (e: typeof a) =>
          e.outcome === "matched"
            ? { flow: e.flow.id, steps: e.steps.map((s) => ({ require: s.require, approvers: s.approvers.map((u) => u.email) })) }
            : e;
        expect(view(b)).toEqual(view(a));
      }),
      { numRuns: 300 },
    );
  });
});
