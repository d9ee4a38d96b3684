import { describe, expect, it } from "vitest";
import { evaluatePolicy, fallbackDurations } from "../src/core/policy/evaluate.ts";
import type { DirectoryUser, Flow, PolicySnapshot } from "../src/core/policy/model.ts";
import { simulate } from "../src/core/policy/simulate.ts";

const user = (email: string, extra: Partial<DirectoryUser> = {}): DirectoryUser => ({
  id: email,
  email,
  name: email.split("@")[0] ?? email,
  managerEmail: null,
  active: true,
  isAdmin: false,
  ...extra,
});

const flow = (id: string, apps: string[], approvers: string[], extra: Partial<Flow["definition"]> = {}): Flow => ({
  id,
  name: id,
  enabled: true,
  definition: {
    apps,
    approval: { steps: [{ approvers, require: "any" }] },
    durations: { choices: ["1h", "4h"] },
    requireReason: false,
    ...extra,
  },
});

function snapshot(flows: Flow[], fallbackEnabled = true): PolicySnapshot {
  const users = [
    user("dana@acme.test", { managerEmail: "lee@acme.test" }),
    user("lee@acme.test"),
    user("priya@acme.test"),
    user("ops@acme.test", { isAdmin: true }),
    user("gone@acme.test", { active: false }),
    user("ex@acme.test", { managerEmail: "gone@acme.test" }),
  ];
  return {
    usersByEmail: new Map(users.map((u) => [u.email, u])),
    groups: new Map([["security", ["priya@acme.test", "dana@acme.test"]]]),
    flows,
    fallback: { enabled: fallbackEnabled, max: "4h" },
  };
}

const ask = (s: PolicySnapshot, requesterEmail: string, app: string) => evaluatePolicy(s, { requesterEmail, app, resourceId: "x" });

describe("policy evaluation", () => {
  it("takes the first matching flow and explains the ones skipped", () => {
    const s = snapshot([flow("a", ["jira"], ["manager"]), flow("b", ["github"], ["manager"]), flow("c", ["github"], ["admins"])]);
    const e = ask(s, "dana@acme.test", "github");
    expect(e).toMatchObject({ outcome: "matched", flow: { id: "b" } });
    expect(e.explain).toEqual(["a: app 'github' is not one of jira"]);
  });

  it("resolves manager, groups and admins, never the requester", () => {
    const s = snapshot([flow("sec", ["github"], ["group:security", "manager"])]);
    const e = ask(s, "dana@acme.test", "github");
    if (e.outcome !== "matched") throw new Error("no match");
    expect(e.steps[0]?.approvers.map((u) => u.email)).toEqual(["lee@acme.test", "priya@acme.test"]);
  });

  it("routes a step that resolves to nobody (an inactive manager) to the admins", () => {
    const s = snapshot([flow("m", ["github"], ["manager"])]);
    const e = ask(s, "ex@acme.test", "github");
    if (e.outcome !== "matched") throw new Error("no match");
    expect(e.steps[0]?.approvers.map((u) => u.email)).toEqual(["ops@acme.test"]);
    // The only admin asking for themselves: nobody is left, and simulate says what the server would (no_approver).
    const alone = simulate(snapshot([flow("m", ["github"], ["manager"])]), {
      requester: "ops@acme.test",
      app: "github",
      resource: "x",
      duration: "1h",
    });
    expect(alone).toMatchObject({ outcome: "denied", code: "no_approver", flow: "m" });
    expect(alone.explain.at(-1)).toBe("m: step 1 resolves to nobody, not even an admin");
    // Durations come back written the one way: 120m is 2h.
    const custom = simulate(snapshot([flow("c", ["vault"], ["manager"], { durations: { custom: true, max: "4h" } })]), {
      requester: "dana@acme.test",
      app: "vault",
      resource: "x",
      duration: "120m",
    });
    expect(custom).toMatchObject({ outcome: "needs_approval", duration: "2h" });
  });

  it("falls back to the admins for at most 4h, or denies when the fallback is off", () => {
    const on = ask(snapshot([]), "dana@acme.test", "figma");
    expect(on).toMatchObject({ outcome: "matched", flow: { id: "fallback" }, durations: ["1h", "2h", "4h"], requireReason: true });
    expect(ask(snapshot([], false), "dana@acme.test", "figma")).toMatchObject({ outcome: "denied", code: "no_flow" });
    expect(fallbackDurations("90m")).toEqual(["1h"]);
    expect(fallbackDurations("30m")).toEqual(["30m"]);
  });

  it("refuses unknown and inactive requesters", () => {
    expect(ask(snapshot([]), "who@acme.test", "github")).toMatchObject({ outcome: "denied", code: "unknown_requester" });
    expect(ask(snapshot([]), "gone@acme.test", "github")).toMatchObject({ outcome: "denied", code: "inactive_requester" });
  });

  it("skips disabled flows", () => {
    const s = snapshot([{ ...flow("off", ["github"], ["manager"]), enabled: false }, flow("on", ["github"], ["admins"])]);
    expect(ask(s, "dana@acme.test", "github")).toMatchObject({ flow: { id: "on" } });
  });
});

describe("flow matching: resources, requesters and conditions", () => {
  const at = (iso: string) => new Date(iso);

  it("matches resource globs on the resource id", () => {
    const s = snapshot([
      flow("payments", ["github"], ["manager"], { resources: ["acme-corp/payments*"] }),
      flow("rest", ["github"], ["admins"]),
    ]);
    const hit = evaluatePolicy(s, { requesterEmail: "dana@acme.test", app: "github", resourceId: "acme-corp/payments-api" });
    expect(hit).toMatchObject({ outcome: "matched", flow: { id: "payments" } });
    const miss = evaluatePolicy(s, { requesterEmail: "dana@acme.test", app: "github", resourceId: "acme-corp/website" });
    expect(miss).toMatchObject({ outcome: "matched", flow: { id: "rest" } });
    expect(miss.explain[0]).toBe("payments: resource 'acme-corp/website' matches none of acme-corp/payments*");
    // `*` stays within a segment.
    expect(evaluatePolicy(s, { requesterEmail: "dana@acme.test", app: "github", resourceId: "acme-corp/payments/x" })).toMatchObject({
      flow: { id: "rest" },
    });
  });

  it("limits a flow to its requesters", () => {
    const s = snapshot([flow("sec", ["vault"], ["admins"], { requesters: ["group:security"] }), flow("other", ["vault"], ["admins"])]);
    expect(ask(s, "dana@acme.test", "vault")).toMatchObject({ flow: { id: "sec" } });
    const lee = ask(s, "lee@acme.test", "vault");
    expect(lee).toMatchObject({ flow: { id: "other" } });
    expect(lee.explain[0]).toContain("lee@acme.test is not among the requesters group:security");
  });

  it("evaluates CEL conditions over requester, resource and request, with time zones", () => {
    const office = flow("office-hours", ["aws-console"], ["manager"], {
      condition:
        "request.time.getHours(requester.timezone) >= 9 && request.time.getHours(requester.timezone) < 18 && !('contractors' in requester.groups)",
    });
    const s = snapshot([office, flow("after-hours", ["aws-console"], ["admins"])]);
    s.usersByEmail.set("dana@acme.test", { ...(s.usersByEmail.get("dana@acme.test") as DirectoryUser), timezone: "Europe/Berlin" });
    const morning = (iso: string) =>
      evaluatePolicy(s, { requesterEmail: "dana@acme.test", app: "aws-console", resourceId: "b", at: at(iso) });
    expect(morning("2026-11-23T08:30:00Z")).toMatchObject({ flow: { id: "office-hours" } }); // 09:30 in Berlin
    const early = morning("2026-11-23T07:30:00Z"); // 08:30 in Berlin
    expect(early).toMatchObject({ flow: { id: "after-hours" } });
    expect(early.explain[0]).toMatch(/^office-hours: condition is false/);

    // Snapshots are immutable (one per evaluation): a new one with Dana among the contractors.
    const s2: PolicySnapshot = { ...s, groups: new Map([...s.groups, ["contractors", ["dana@acme.test"]]]) };
    const contractor = evaluatePolicy(s2, {
      requesterEmail: "dana@acme.test",
      app: "aws-console",
      resourceId: "b",
      at: at("2026-11-23T10:00:00Z"),
    });
    expect(contractor).toMatchObject({ flow: { id: "after-hours" } });
  });

  it("gives conditions the resource's tags from the admins' patterns", () => {
    const s: PolicySnapshot = {
      ...snapshot([
        flow("pii", ["postgres"], ["admins"], { condition: "'pii' in resource.tags" }),
        flow("plain", ["postgres"], ["manager"]),
      ]),
      resourceTags: [
        { app: "postgres", resource: "prod/customers*", tags: ["pii", "prod"] },
        { app: "postgres", resource: "prod/*", tags: ["prod"] },
        { app: "mysql", resource: "**", tags: ["pii"] },
      ],
    };
    const ask = (resourceId: string) => evaluatePolicy(s, { requesterEmail: "dana@acme.test", app: "postgres", resourceId });
    expect(ask("prod/customers-eu")).toMatchObject({ flow: { id: "pii" } });
    expect(ask("prod/orders")).toMatchObject({ flow: { id: "plain" } });
    expect(ask("staging/customers")).toMatchObject({ flow: { id: "plain" } });
  });

  it("reads the request's duration and reason in conditions", () => {
    const s = snapshot([
      flow("short", ["db"], ["manager"], { condition: "request.duration <= duration('1h') && size(request.reason) > 3" }),
      flow("long", ["db"], ["admins"]),
    ]);
    const ask2 = (durationMs: number, reason: string) =>
      evaluatePolicy(s, { requesterEmail: "dana@acme.test", app: "db", resourceId: "x", durationMs, reason }).outcome === "matched" &&
      (evaluatePolicy(s, { requesterEmail: "dana@acme.test", app: "db", resourceId: "x", durationMs, reason }) as { flow: { id: string } })
        .flow.id;
    expect(ask2(3_600_000, "debugging")).toBe("short");
    expect(ask2(4 * 3_600_000, "debugging")).toBe("long");
    expect(ask2(3_600_000, "x")).toBe("long");
  });
});

describe("quorum steps", () => {
  const quorum = (require: number, approvers: string[]) =>
    ({ approval: { steps: [{ approvers, require }] } }) as Partial<Flow["definition"]>;

  it("asks for N distinct people of the set, never the requester", () => {
    const s = snapshot([flow("q", ["vault"], [], quorum(2, ["group:security", "user:lee@acme.test", "user:ops@acme.test"]))]);
    const e = ask(s, "dana@acme.test", "vault");
    expect(e).toMatchObject({ outcome: "matched", steps: [{ require: 2 }] });
    if (e.outcome === "matched")
      expect(e.steps[0]?.approvers.map((a) => a.email)).toEqual(["lee@acme.test", "ops@acme.test", "priya@acme.test"]);
  });

  it("fills a quorum the set cannot meet with the admins, and asks all of them when even that is short", () => {
    const s = snapshot([flow("q", ["vault"], [], quorum(2, ["group:security"]))]);
    const e = ask(s, "dana@acme.test", "vault"); // security minus Dana is only Priya
    if (e.outcome !== "matched") throw new Error("expected a match");
    expect(e.steps[0]?.approvers.map((a) => a.email)).toEqual(["ops@acme.test", "priya@acme.test"]);
    expect(e.steps[0]?.require).toBe("all");
    const big = snapshot([flow("q", ["vault"], [], quorum(5, ["group:security"]))]);
    const e5 = ask(big, "dana@acme.test", "vault");
    if (e5.outcome !== "matched") throw new Error("expected a match");
    expect(e5.steps[0]?.require).toBe("all");
  });
});

describe("resource owners", () => {
  it("resolve resource_owner to the owners of matching resources, people and groups", () => {
    const s: PolicySnapshot = {
      ...snapshot([flow("owned", ["github"], ["resource_owner"])]),
      resourceOwners: [
        { app: "github", resource: "acme-corp/payments*", owners: ["user:lee@acme.test", "group:security"] },
        { app: "github", resource: "acme-corp/web", owners: ["user:ops@acme.test"] },
        { app: "jira", resource: "**", owners: ["user:ops@acme.test"] },
      ],
    };
    const e = evaluatePolicy(s, { requesterEmail: "dana@acme.test", app: "github", resourceId: "acme-corp/payments-api" });
    if (e.outcome !== "matched") throw new Error("expected a match");
    // Dana is in security but never approves her own request.
    expect(e.steps[0]?.approvers.map((a) => a.email)).toEqual(["lee@acme.test", "priya@acme.test"]);
    // No owner for the resource: the step goes to the admins.
    const none = evaluatePolicy(s, { requesterEmail: "dana@acme.test", app: "github", resourceId: "acme-corp/other" });
    if (none.outcome !== "matched") throw new Error("expected a match");
    expect(none.steps[0]?.approvers.map((a) => a.email)).toEqual(["ops@acme.test"]);
  });
});
