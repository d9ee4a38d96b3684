import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.ts";
import type { GatehouseConfig } from "../src/config/schema.ts";
import { TEST_CONFIG } from "./harness.ts";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const run = async (...args: string[]) => runIn({}, ...args);
const runIn = async (env: Record<string, string>, ...args: string[]) => {
  try {
    // Always the embedded database in a folder of the test's own: never CI's DATABASE_URL.
    const { DATABASE_URL: _ignored, ...base } = process.env;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { env: { ...base, INIT_CWD: "", ...env } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
};

describe("gatehouse CLI", () => {
  it("check: accepts a valid file and refuses a broken one with every error and exit 1", async () => {
    expect(await run("check", "--config", TEST_CONFIG)).toMatchObject({ code: 0 });
    const dir = mkdtempSync(join(tmpdir(), "gh-cli-"));
    const bad = join(dir, "bad.yaml");
    writeFileSync(
      bad,
      'flows:\n  - id: x\n    name: X\n    apps: [a]\n    requesters: [group:nobody]\n    condition: "1 +"\n    approval: auto\n    durations: { choices: [1h] }\n',
    );
    const res = await run("check", "--config", bad);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("flows[0].condition:");
    expect(res.stderr).toContain("flows[0].requesters[0]: unknown group 'nobody' (line 5)");
  });

  it("simulate: prints one JSON object with the outcome, flow, steps, duration and explanation", async () => {
    const needs = await run(
      "simulate",
      "--config",
      TEST_CONFIG,
      "--requester",
      "dana@acme.test",
      "--app",
      "github",
      "--resource",
      "acme/x",
      "--duration",
      "1h",
      "--reason",
      "fix",
    );
    expect(JSON.parse(needs.stdout)).toEqual({
      outcome: "needs_approval",
      flow: "github",
      steps: [{ require: "any", approvers: ["priya@acme.test", "sam@acme.test"] }],
      duration: "1h",
      explain: ["notion: app 'github' is not one of notion", "docs: app 'github' is not one of google-docs"],
    });
    const auto = JSON.parse(
      (
        await run(
          "simulate",
          "--config",
          TEST_CONFIG,
          "--requester",
          "dana@acme.test",
          "--app",
          "jira",
          "--resource",
          "PAY-1",
          "--duration",
          "1h",
        )
      ).stdout,
    );
    expect(auto).toMatchObject({ outcome: "auto_approved", flow: "jira", steps: [] });
    const denied = JSON.parse(
      (
        await run(
          "simulate",
          "--config",
          TEST_CONFIG,
          "--requester",
          "dana@acme.test",
          "--app",
          "github",
          "--resource",
          "a/b",
          "--duration",
          "1h",
        )
      ).stdout,
    );
    expect(denied).toMatchObject({ outcome: "denied", flow: "github", code: "reason_required" });
    const unknown = JSON.parse(
      (
        await run(
          "simulate",
          "--config",
          TEST_CONFIG,
          "--requester",
          "nobody@acme.test",
          "--app",
          "github",
          "--resource",
          "a/b",
          "--duration",
          "1h",
        )
      ).stdout,
    );
    expect(unknown).toMatchObject({ outcome: "denied", flow: null, code: "unknown_requester" });
    expect(
      (
        await run(
          "simulate",
          "--config",
          TEST_CONFIG,
          "--requester",
          "dana@acme.test",
          "--app",
          "x",
          "--resource",
          "y",
          "--duration",
          "2weeks",
        )
      ).code,
    ).toBe(2);
  });
});

describe("gatehouse import and export", () => {
  /** The same policy, whatever the order the database returns people and groups in. */
  const normal = (c: GatehouseConfig) => ({
    ...c,
    directory: {
      users: [...c.directory.users].sort((a, b) => a.email.localeCompare(b.email)),
      groups: [...c.directory.groups].sort((a, b) => a.id.localeCompare(b.id)).map((g) => ({ ...g, members: [...g.members].sort() })),
    },
    admins: [...c.admins].sort(),
  });

  it("round-trips: importing a file and exporting it gives the same policy", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "gh-roundtrip-"));
    const imported = await runIn({ DATA_DIR: dataDir }, "import", TEST_CONFIG);
    expect(imported.code).toBe(0);
    const exported = await runIn({ DATA_DIR: dataDir }, "export");
    expect(exported.code).toBe(0);
    const original = parseConfig(readFileSync(TEST_CONFIG, "utf8"));
    expect(normal(parseConfig(exported.stdout))).toEqual(normal(original));
  });
});
