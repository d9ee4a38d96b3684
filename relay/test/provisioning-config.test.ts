import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.ts";
import { snapshotFromConfig } from "../src/config/snapshot.ts";
import { simulate } from "../src/core/policy/simulate.ts";
import { configErrors } from "./harness.ts";

/** `providers:` and flows' `grant:` as the policy file states them: every mistake named, credentials only by reference. */
const REF = (name: string) => ["$", `{env:${name}}`].join("");
const base = (providers: string, grant: string) => `directory:
  users:
    - { email: dana@acme.test, name: Dana, accounts: { github: dana-w } }
  groups:
    - { id: eng, name: Eng, members: [dana@acme.test] }
providers:
${providers}
flows:
  - { id: gh, name: GitHub, apps: [github], approval: auto, durations: { choices: [1h] }, ${grant} }
`;
const GH = `  - { id: github-acme, type: github, org: acme, token: "${REF("GITHUB_TOKEN")}" }`;

describe("provisioning in the policy file", () => {
  it("accepts a provider with a referenced credential and a templated target", () => {
    expect(configErrors(base(GH, `grant: { provider: github-acme, target: { team: "{{ resource.id }}" } }`))).toEqual([]);
  });

  it("refuses a credential written in the file, an unknown type, and names the path", () => {
    const errors = configErrors(
      base(
        `  - { id: github-acme, type: github, org: acme, token: ghp_secret123 }\n  - { id: x, type: ldap }`,
        `grant: { provider: github-acme }`,
      ),
    );
    expect(errors.join("\n")).toMatch(/providers\[0\]\.token.*never as the secret itself/);
    expect(errors.join("\n")).toMatch(/providers\[1\]\.type.*unknown provider type 'ldap'/);
  });

  it("names an unknown provider, a target field the provider does not take, a missing one, and a bad template", () => {
    const scim = `  - { id: scim, type: scim, url: "https://scim.acme.test/v2", token: "${REF("T")}" }`;
    expect(configErrors(base(GH, `grant: { provider: nope }`)).join("\n")).toMatch(/grant\.provider.*unknown provider 'nope'/);
    expect(configErrors(base(scim, `grant: { provider: scim, target: { team: x } }`)).join("\n")).toMatch(/needs target\.group/);
    expect(configErrors(base(scim, `grant: { provider: scim, target: { group: x, team: y } }`)).join("\n")).toMatch(/target\.team/);
    expect(configErrors(base(GH, `grant: { provider: github-acme, target: { team: x, repository: y } }`)).join("\n")).toMatch(
      /team|repository/,
    );
    expect(configErrors(base(scim, `grant: { provider: scim, target: { group: "{{ resource.idd }}" } }`)).join("\n")).toMatch(
      /grant\.target\.group.*resource\.idd/,
    );
  });

  it("shows the provisioning plan in simulate: the target as this request renders it", () => {
    const config = parseConfig(
      base(
        GH,
        `grant: { provider: github-acme, target: { team: "{{ resource.id }}-{{ requester.accounts.github }}" } }, activation: on_start`,
      ),
    );
    const plan = simulate(snapshotFromConfig(config), { requester: "dana@acme.test", app: "github", resource: "payments", duration: "1h" });
    expect(plan.provisioning).toEqual({ provider: "github-acme", target: { team: "payments-dana-w" }, activation: "on_start" });
    const missing = parseConfig(base(GH, `grant: { provider: github-acme, target: { team: "{{ requester.accounts.okta }}" } }`));
    expect(
      simulate(snapshotFromConfig(missing), { requester: "dana@acme.test", app: "github", resource: "p", duration: "1h" }).provisioning,
    ).toMatchObject({ target: null, error: expect.stringMatching(/okta/) });
  });
});
