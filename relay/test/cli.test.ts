import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { writeCheckpoint } from "../src/audit/checkpoints.ts";
import { bootRelay } from "../src/boot.ts";
import { parseConfig } from "../src/config/load.ts";
import type { GatehouseConfig } from "../src/config/schema.ts";
import { openPglite } from "../src/db/client.ts";
import { appendAudit } from "../src/db/unit-of-work.ts";
import { parseEnv } from "../src/env.ts";
import { silentLogger } from "../src/log.ts";
import { TEST_CONFIG } from "./harness.ts";

// Every step is a fresh Node process opening an embedded database: seconds each on a
// loaded machine, so these tests get minutes rather than the project's 30 s.
const SLOW = { timeout: 180_000 };

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
  it("check: accepts a valid file and refuses a broken one with every error and exit 1", SLOW, async () => {
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

  it("simulate: prints one JSON object with the outcome, flow, steps, duration and explanation", SLOW, async () => {
    const simulate = async (requester: string, app: string, resource: string, duration: string, ...extra: string[]) => {
      const res = await run(
        "simulate",
        "--config",
        TEST_CONFIG,
        "--requester",
        requester,
        "--app",
        app,
        "--resource",
        resource,
        "--duration",
        duration,
        ...extra,
      );
      return { code: res.code, json: res.code === 0 ? (JSON.parse(res.stdout) as Record<string, unknown>) : null };
    };
    expect((await simulate("dana@acme.test", "github", "acme/x", "1h", "--reason", "fix")).json).toEqual({
      outcome: "needs_approval",
      flow: "github",
      steps: [{ require: "any", approvers: ["priya@acme.test", "sam@acme.test"] }],
      duration: "1h",
      provisioning: null,
      explain: ["notion: app 'github' is not one of notion", "docs: app 'github' is not one of google-docs"],
    });
    expect((await simulate("dana@acme.test", "jira", "PAY-1", "1h")).json).toMatchObject({
      outcome: "auto_approved",
      flow: "jira",
      steps: [],
    });
    expect((await simulate("dana@acme.test", "github", "a/b", "1h")).json).toMatchObject({
      outcome: "denied",
      flow: "github",
      code: "reason_required",
    });
    expect((await simulate("nobody@acme.test", "github", "a/b", "1h")).json).toMatchObject({
      outcome: "denied",
      flow: null,
      code: "unknown_requester",
    });
    expect((await simulate("dana@acme.test", "postgres", "orders", "3h", "--ticket", "OPS-1")).json).toMatchObject({
      code: "duration_exceeds_max",
    });
    expect((await simulate("dana@acme.test", "postgres", "orders", "1h", "--ticket", "nope")).json).toMatchObject({
      code: "ticket_invalid",
    });
    expect((await simulate("dana@acme.test", "x", "y", "2weeks")).code).toBe(2);
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

  it("round-trips: importing a file and exporting it gives the same policy", SLOW, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "gh-roundtrip-"));
    const imported = await runIn({ DATA_DIR: dataDir }, "import", TEST_CONFIG);
    expect(imported.code).toBe(0);
    const exported = await runIn({ DATA_DIR: dataDir }, "export");
    expect(exported.code).toBe(0);
    const original = parseConfig(readFileSync(TEST_CONFIG, "utf8"));
    expect(normal(parseConfig(exported.stdout))).toEqual(normal(original));
  });
});

describe("gatehouse audit", () => {
  it("verifies the chain, exports it as JSON Lines and CSV, and names the first broken event", SLOW, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "gh-audit-"));
    expect((await runIn({ DATA_DIR: dataDir }, "import", TEST_CONFIG)).code).toBe(0);
    expect((await runIn({ DATA_DIR: dataDir }, "import", TEST_CONFIG)).code).toBe(0);
    const ok = await runIn({ DATA_DIR: dataDir }, "audit", "verify");
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain("audit chain verifies: 2 events");

    const jsonl = await runIn({ DATA_DIR: dataDir }, "audit", "export");
    const events = jsonl.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: number; action: string; prevHash: string; hash: string });
    expect(events.map((e) => e.action)).toEqual(["config.applied", "config.applied"]);
    expect(events[1]?.prevHash).toBe(events[0]?.hash);
    const csv = await runIn({ DATA_DIR: dataDir }, "audit", "export", "--format", "csv", "--action", "config.applied");
    expect(csv.stdout.split("\n")[0]).toBe("id,at,actor,action,requestId,grantId,data,ip,userAgent,prevHash,hash");
    expect(csv.stdout.trim().split("\n")).toHaveLength(3);
    expect((await runIn({ DATA_DIR: dataDir }, "audit", "export", "--format", "xml")).code).toBe(2);

    // Someone edits the first event in the database: verify says which, and fails.
    const database = await openPglite(join(dataDir, "db"));
    await database.db.execute(sql`update audit_events set actor = 'mallory' where id = ${events[0]?.id}`);
    await database.close();
    const broken = await runIn({ DATA_DIR: dataDir }, "audit", "verify");
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`audit chain broken at event ${events[0]?.id}: event ${events[0]?.id} does not match its hash`);
  });

  it("verifies against exported checkpoints: a trail cut short after its checkpoint rows were removed fails", SLOW, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "gh-audit-cp-"));
    const file = join(dataDir, "checkpoints.jsonl");
    const env = parseEnv({ DATA_DIR: dataDir, GATEHOUSE_CONFIG: TEST_CONFIG, LOG_LEVEL: "silent", AUDIT_CHECKPOINT_FILE: file });
    const relay = await bootRelay({ env, log: silentLogger });
    await relay.database.db.transaction((tx) => appendAudit(tx, { at: new Date(), actor: "ops@acme.test", action: "test.event" }));
    expect(await writeCheckpoint(relay)).not.toBeNull();
    await relay.bus.stop();
    await relay.database.close();

    const ok = await runIn({ DATA_DIR: dataDir }, "audit", "verify", "--checkpoint", file);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toMatch(
      /audit chain verifies: 2 events; anchored by the checkpoint of .* at event \d+, 0 newer events not yet anchored/,
    );

    const database = await openPglite(join(dataDir, "db"));
    await database.db.execute(sql`delete from audit_checkpoints`);
    await database.db.execute(sql`delete from audit_events where id = (select max(id) from audit_events)`);
    await database.close();
    expect((await runIn({ DATA_DIR: dataDir }, "audit", "verify")).code).toBe(0);
    const cut = await runIn({ DATA_DIR: dataDir }, "audit", "verify", "--checkpoint", file);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toContain("the newest events were removed");
  });
});
