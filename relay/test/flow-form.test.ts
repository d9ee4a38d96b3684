import { describe, expect, it } from "vitest";
import { fieldOf, flowToForm, formToFlow, withStep } from "../src/admin/flow-form.ts";
import { parseConfig } from "../src/config/load.ts";

const FLOWS = parseConfig(`admins: []
directory: { users: [{ email: p@acme.test, name: P }], groups: [{ id: security, name: S, members: [p@acme.test] }] }
flows:
  - { id: a, name: A, apps: [github, gitlab], resources: ["acme/*", "ops/x"], requesters: [group:security], condition: "request.reason != ''", approval: { steps: [{ approvers: [manager], require: any }, { approvers: [group:security, user:p@acme.test], require: 2 }] }, durations: { choices: [1h, 4h], default: 4h, max: 1d }, requireReason: true, ticket: "^OPS-[0-9]+$", extend: { allowed: true, times: 3 }, grant: { manual: "Add them in the console" } }
  - { id: b, name: B, enabled: false, apps: [jira], approval: auto, durations: { fixed: 30m } }
  - { id: c, name: C, apps: [vault], approval: { steps: [{ approvers: [admins], require: all }] }, durations: { custom: true, max: 8h }, grant: { webhook: "https://hooks.acme.test/vault" } }
`).flows;

describe("the flow editor's form", () => {
  it.each(FLOWS.map((f) => [f.id, f] as const))("round-trips flow %s exactly", (_id, flow) => {
    const back = parseConfig(
      `flows: [${JSON.stringify(formToFlow(flowToForm(flow)))}]\nfallback: { enabled: true }\ndirectory: { users: [{ email: p@acme.test, name: P }], groups: [{ id: security, name: S, members: [p@acme.test] }] }`,
    ).flows[0];
    expect(back).toEqual(flow);
  });

  it("adds and removes steps without losing what was typed", () => {
    const form = flowToForm(FLOWS[0] ?? null);
    const added = withStep(form, "add");
    expect(added["steps.2.approvers"]).toBe("");
    const removed = withStep(added, { remove: 0 });
    expect(removed["steps.0.approvers"]).toBe("group:security\nuser:p@acme.test");
    expect(removed["steps.0.require"]).toBe("2");
    expect(removed.name).toBe("A");
  });

  it("puts each problem beside its field", () => {
    expect(fieldOf(["approval", "steps", 1, "approvers", 0])).toBe("steps.1.approvers");
    expect(fieldOf(["approval", "steps"])).toBe("steps.0.approvers");
    expect(fieldOf(["durations", "choices", 2])).toBe("durations.choices");
    expect(fieldOf(["durations"])).toBe("durations.mode");
    expect(fieldOf(["condition"])).toBe("condition");
    expect(fieldOf(["grant", "webhook"])).toBe("grant.value");
  });
});
