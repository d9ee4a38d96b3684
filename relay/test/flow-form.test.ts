import { parseHTML } from "linkedom";
import { describe, expect, it } from "vitest";
import { fieldOf, flowToForm, formToFlow, withStep } from "../src/admin/flow-form.ts";
import { readConfig } from "../src/config/export.ts";
import { parseConfig } from "../src/config/load.ts";
import { AdminBrowser } from "./admin-harness.ts";
import { engines, signedInSuite } from "./harness.ts";

const PROVIDERS = `providers:
  - { id: gh, type: github, org: acme, token: "\${env:GITHUB_TOKEN}" }
  - { id: vault-hook, type: webhook, url: "https://hooks.acme.test/vault", secret: "\${env:VAULT_HOOK_SECRET}" }
`;
const FLOWS = parseConfig(`admins: []
${PROVIDERS}directory: { users: [{ email: p@acme.test, name: P }], groups: [{ id: security, name: S, members: [p@acme.test] }] }
flows:
  - { id: a, name: A, apps: [github, gitlab], resources: ["acme/*", "ops/x"], requesters: [group:security], condition: "request.reason != ''", approval: { steps: [{ approvers: [manager], require: any }, { approvers: [group:security, user:p@acme.test], require: 2 }] }, durations: { choices: [1h, 4h], default: 4h, max: 1d }, requireReason: true, ticket: "^OPS-[0-9]+$", extend: { allowed: true, times: 3, reapprove: true }, grant: { provider: gh, target: { team: "{{ resource.id }}" } } }
  - { id: b, name: B, enabled: false, apps: [jira], approval: auto, durations: { fixed: 30m } }
  - { id: c, name: C, apps: [vault], approval: { steps: [{ approvers: [admins], require: all }] }, durations: { custom: true, max: 8h }, grant: { provider: vault-hook, target: { path: "secret/{{ resource.id }}" } }, activation: on_start, startWithin: 2h }
`).flows;

describe("the flow editor's form", () => {
  it.each(FLOWS.map((f) => [f.id, f] as const))("round-trips flow %s exactly", (_id, flow) => {
    const back = parseConfig(
      `${PROVIDERS}flows: [${JSON.stringify(formToFlow(flowToForm(flow)))}]\nfallback: { enabled: true }\ndirectory: { users: [{ email: p@acme.test, name: P }], groups: [{ id: security, name: S, members: [p@acme.test] }] }`,
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
    expect(fieldOf(["grant", "target", "team"])).toBe("grant.target");
    expect(fieldOf(["grant", "provider"])).toBe("grant.provider");
    expect(fieldOf(["extend", "by"])).toBe("extend.by");
  });
});

/** A textarea's content as a browser reads it (character references decoded; linkedom leaves them). */
const decodeText = (raw: string) =>
  raw.replace(/&(#39|quot|lt|gt|amp);/g, (_m, e: string) => ({ "#39": "'", quot: '"', lt: "<", gt: ">", amp: "&" })[e] ?? "");

/** The values a browser would submit for a rendered form: inputs, checked boxes, textareas, selected options. */
function submittedValues(page: string): Record<string, string> {
  const { document } = parseHTML(page);
  const form = document.querySelector("[data-testid=flow-form]");
  const out: Record<string, string> = {};
  for (const el of form?.querySelectorAll("input, textarea, select") ?? []) {
    const name = el.getAttribute("name");
    if (!name || name === "csrf") continue;
    if (el.tagName === "INPUT" && el.getAttribute("type") === "checkbox") {
      if (el.hasAttribute("checked")) out[name] = "on";
    } else if (el.tagName === "TEXTAREA") out[name] = decodeText(el.innerHTML);
    else if (el.tagName === "SELECT")
      out[name] = el.querySelector("option[selected]")?.getAttribute("value") ?? el.querySelector("option")?.getAttribute("value") ?? "";
    else out[name] = el.getAttribute("value") ?? "";
  }
  return out;
}

describe.each(engines)("the flow editor's page ($name)", (engine) => {
  const suite = signedInSuite(engine, "dana@acme.test");
  const EDGE =
    parseConfig(`directory: { users: [{ email: p@acme.test, name: P }, { email: q@acme.test, name: Q }], groups: [{ id: security, name: S, members: [p@acme.test] }] }
flows:
  - { id: quorum7, name: Seven of them, apps: [vault], approval: { steps: [{ approvers: [group:security, admins, manager], require: 7 }] }, durations: { fixed: 1h, max: 2h }, notify: [email, teams], allowWholeApp: true }
`).flows;

  // The test relay's directory has Priya, not P.
  const ours = [...FLOWS, ...EDGE].map((f) => JSON.parse(JSON.stringify(f).replaceAll("p@acme.test", "priya@acme.test")) as typeof f);
  it.each(ours.map((f) => [f.id, f] as const))(
    "renders flow %s so that saving the page unchanged stores it unchanged",
    async (id, flow) => {
      const b = new AdminBrowser(suite.t);
      if (b.cookies.size === 0) await b.signIn("ops@acme.test");
      // Store the flow, then load its page and submit exactly what the browser would.
      const created = await b.submit("/admin/flows/new", { intent: "save", ...flowToForm(flow) }, "/admin/flows/new");
      expect(created.status, created.text).toBe(303);
      const page = await b.get(`/admin/flows/${id}`);
      const saved = await b.submit(`/admin/flows/${id}`, { intent: "save", ...submittedValues(page.text) });
      expect(saved.status, saved.text).toBe(303);
      const stored = (await readConfig(suite.t.relay.database.db)).flows?.find((f) => f.id === id);
      const normal = parseConfig(
        `${PROVIDERS}flows: [${JSON.stringify(stored)}]\ndirectory: { users: [{ email: priya@acme.test, name: P }], groups: [{ id: security, name: S, members: [priya@acme.test] }] }`,
      ).flows[0];
      expect(normal).toEqual(flow);
    },
  );
});
