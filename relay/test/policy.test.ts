import { describe, expect, it } from "vitest";
import { evaluatePolicy, fallbackDurations } from "../src/policy/evaluate.ts";
import type { DirectoryUser, Flow, PolicySnapshot } from "../src/policy/model.ts";

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
