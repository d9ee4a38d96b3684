import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.ts";
import { configErrors } from "./harness.ts";

describe("gatehouse.yaml", () => {
  it("accepts the shipped example", async () => {
    const { readFile } = await import("node:fs/promises");
    const text = await readFile(new URL("../gatehouse.example.yaml", import.meta.url), "utf8");
    const config = parseConfig(text);
    expect(config.flows.map((f) => f.id)).toEqual(["google-workspace", "github", "acme-hr"]);
    expect(config.fallback).toEqual({ enabled: true, max: "4h" });
  });

  it("lists every error with its path and line", () => {
    const issues = configErrors(`admins: [ops@acme.test]
directory:
  users:
    - { email: dana@acme.test, name: Dana, manager: nobody@acme.test }
  groups:
    - { id: security, name: Security, members: [dana@acme.test] }
flows:
  - id: gh
    name: GitHub
    apps: [github]
    approval:
      steps:
        - { approvers: [manager, group:secruity], require: any }
    durations: { choices: [1h, 2weeks] }
fallback: { max: 8h }
`);
    // Shape and references in one go: every problem of the file, each with its line.
    expect(issues).toEqual([
      expect.stringMatching(/^flows\[0\]\.durations\.choices\[1\]: .*\(line 14\)$/),
      "directory.users[0].manager: unknown user 'nobody@acme.test' (line 4)",
      "admins[0]: unknown user 'ops@acme.test' (line 1)",
      "fallback.max: the fallback flow grants at most 4h (line 15)",
    ]);
    // The flow with a bad duration is left out of the reference checks; its other problems come once the shape is right.
    const refs = configErrors(`admins: [ops@acme.test]
directory:
  users:
    - { email: dana@acme.test, name: Dana, manager: nobody@acme.test }
    - { email: sam@acme.test }
  groups:
    - { id: security, name: Security, members: [sam@acme.test] }
    - { id: security, name: Security again, members: [dana@acme.test] }
flows:
  - id: gh
    name: GitHub
    apps: [github]
    approval:
      steps:
        - { approvers: [manager, group:secruity], require: any }
    durations: { choices: [1h] }
fallback: { max: 8h }
`);
    expect(refs).toEqual([
      "directory.users[1].name: Invalid input: expected string, received undefined (line 5)",
      "directory.users[0].manager: unknown user 'nobody@acme.test' (line 4)",
      "admins[0]: unknown user 'ops@acme.test' (line 1)",
      "directory.groups[1].id: duplicate group 'security' (line 8)",
      "flows[0].approval.steps[0].approvers[1]: unknown group 'secruity' (line 15)",
      "fallback.max: the fallback flow grants at most 4h (line 17)",
    ]);
  });

  it("reports YAML syntax errors with a line", () => {
    expect(configErrors("flows: [\n  - id: x\n")[0]).toMatch(/^line \d+: /);
  });
});

describe("flow conditions, resources and requesters in gatehouse.yaml", () => {
  it("refuses a condition that does not compile, or is not true/false, when the file is loaded", () => {
    const issues = configErrors(`directory:
  users: [{ email: dana@acme.test, name: Dana }]
flows:
  - id: a
    name: A
    apps: [github]
    resources: ["acme-corp/payments*"]
    requesters: [group:nobody]
    condition: "requester.email =="
    approval: auto
    durations: { choices: [1h] }
  - id: b
    name: B
    apps: [github]
    condition: "request.time.getHours(requester.timezone) + 1"
    approval: auto
    durations: { choices: [1h] }
`);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^flows\[0\]\.requesters\[0\]: unknown group 'nobody' \(line 8\)$/),
        expect.stringMatching(/^flows\[0\]\.condition: .*\(line 9\)$/),
        expect.stringMatching(/^flows\[1\]\.condition: a condition must be true or false.*\(line 15\)$/),
      ]),
    );
  });
});

describe("flow durations in gatehouse.yaml", () => {
  it("checks fixed, choices, custom and max together, by path and line", () => {
    const issues = configErrors(`flows:
  - id: a
    name: A
    apps: [x]
    approval: auto
    durations: { custom: true }
  - id: b
    name: B
    apps: [x]
    approval: auto
    durations: { choices: [1h, 1d], max: 4h }
`);
    expect(issues).toEqual([
      expect.stringMatching(/^flows\[0\]\.durations\.max: custom durations need a max \(line 6\)$/),
      expect.stringMatching(/^flows\[1\]\.durations\.choices\[1\]: 1d is longer than the max 4h \(line 11\)$/),
    ]);
  });
});

describe("resource owners in gatehouse.yaml", () => {
  it("checks owners and patterns", () => {
    const issues = configErrors(`directory:
  users: [{ email: dana@acme.test, name: Dana }]
resourceOwners:
  - { app: github, resource: "acme-corp/payments*", owners: [user:nobody@acme.test] }
flows:
  - id: a
    name: A
    apps: [github]
    approval: { steps: [{ approvers: [resource_owner], require: any }] }
    durations: { choices: [1h] }
`);
    expect(issues).toEqual([expect.stringMatching(/^resourceOwners\[0\]\.owners\[0\]: unknown user 'nobody@acme\.test' \(line 4\)$/)]);
  });
});

describe("the issue's own example file", () => {
  it("is valid, extend and grant included", () => {
    const config = parseConfig(`admins: [ops@acme.test]
directory:
  users:
    - { email: ops@acme.test, name: Ops }
    - { email: lee@acme.test, name: Lee }
    - { email: priya@acme.test, name: Priya }
    - { email: dana@acme.test, name: Dana Whitfield, manager: lee@acme.test, timezone: Europe/Berlin }
    - { email: old@acme.test, name: Former Employee, active: false }
  groups:
    - { id: engineering, name: Engineering, members: [dana@acme.test] }
    - { id: security, name: Security, members: [priya@acme.test] }
resourceOwners:
  - { app: github, resource: "acme-corp/payments*", owners: [user:priya@acme.test] }
providers:
  - { id: provisioner, type: webhook, url: "https://provisioner.example/hooks/github", secret: "\${env:PROVISIONER_SECRET}" }
flows:
  - id: github-payments
    name: Payments repositories
    apps: [github]
    resources: ["acme-corp/payments*"]
    requesters: [group:engineering]
    condition: "!('contractors' in requester.groups)"
    requireReason: true
    ticket: "^(OPS|INC)-[0-9]+$"
    approval:
      steps:
        - { approvers: [manager], require: any }
        - { approvers: [resource_owner, group:security], require: all }
    durations: { choices: [1h, 4h, 1d], max: 1d }
    extend: { allowed: true, times: 2 }
    grant: { provider: provisioner, target: { team: "{{ resource.id }}" } }
fallback: { enabled: true, max: 4h }
`);
    expect(config.flows[0]).toMatchObject({
      extend: { allowed: true, times: 2 },
      grant: { provider: "provisioner", target: { team: "{{ resource.id }}" } },
    });
  });
});
