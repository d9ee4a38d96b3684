/**
 * `gatehouse`: the policy from the command line (`pnpm gatehouse …` at the
 * repository root).
 *
 *   gatehouse check --config FILE
 *   gatehouse simulate --config FILE --requester EMAIL --app APP --resource ID --duration D
 *                      [--at ISO-8601] [--reason TEXT] [--ticket T] [--ip IP]
 *   gatehouse import FILE     apply a policy file to the configured database
 *   gatehouse export          print the database's policy as a policy file
 *   gatehouse audit verify [--checkpoint FILE]... [--grace 1m]
 *                             check the audit trail's hash chain against its newest signed checkpoint and
 *                             those exported to FILE; exit 1 naming the first broken event
 *   gatehouse audit export [--format csv|jsonl] [--since ISO-8601] [--until ISO-8601] [--action A] [--request ID]
 *
 * import, export and audit use the relay's own settings: DATABASE_URL, else
 * the embedded database in DATA_DIR.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { durationMs, parseDuration } from "@gatehouse/shared";
import { verifyChain } from "./audit/chain.ts";
import { checkpointsInFile } from "./audit/checkpoints.ts";
import { auditPages, csvLines, jsonLines } from "./audit/query.ts";
import { systemClock } from "./clock.ts";
import { exportConfig } from "./config/export.ts";
import { ConfigError, loadConfigFile } from "./config/load.ts";
import { snapshotFromConfig } from "./config/snapshot.ts";
import { applyConfig } from "./config/sync.ts";
import { simulate } from "./core/policy/simulate.ts";
import { type Database, openDatabase } from "./db/client.ts";
import { parseEnv } from "./env.ts";

const USAGE = `usage:
  gatehouse check --config FILE
  gatehouse simulate --config FILE --requester EMAIL --app APP --resource ID --duration D
                     [--at ISO-8601] [--reason TEXT] [--ticket T] [--ip IP]
  gatehouse import FILE
  gatehouse export
  gatehouse audit verify [--checkpoint FILE]... [--grace 1m]
  gatehouse audit export [--format csv|jsonl] [--since ISO-8601] [--until ISO-8601] [--action A] [--request ID]`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function load(file: string | undefined) {
  if (!file) fail(`--config is required\n${USAGE}`);
  try {
    // pnpm runs scripts from the repository root; paths are meant from where the command was typed.
    return await loadConfigFile(resolve(process.env.INIT_CWD ?? process.cwd(), file));
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message, 1);
    fail(`cannot read ${file}: ${(e as Error).message}`, 1);
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === "import" || command === "export") return databaseCommand(command, rest);
  if (command === "audit") return auditCommand(rest);
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: "string" },
      requester: { type: "string" },
      app: { type: "string" },
      resource: { type: "string" },
      duration: { type: "string" },
      at: { type: "string" },
      reason: { type: "string" },
      ticket: { type: "string" },
      ip: { type: "string" },
    },
    strict: true,
  });
  if (command === "check") {
    const config = await load(values.config);
    process.stdout.write(`${values.config}: valid (${config.flows.length} flows, ${config.directory.users.length} users)\n`);
    return;
  }
  if (command === "simulate") {
    const config = await load(values.config);
    for (const k of ["requester", "app", "resource", "duration"] as const) if (!values[k]) fail(`--${k} is required\n${USAGE}`);
    if (!parseDuration(values.duration ?? "")) fail(`--duration: expected 15m, 4h, 1d or indefinite, got '${values.duration}'`);
    const at = values.at ? new Date(values.at) : undefined;
    if (at && Number.isNaN(at.getTime())) fail(`--at: not an ISO-8601 time: '${values.at}'`);
    const result = simulate(snapshotFromConfig(config), {
      requester: values.requester ?? "",
      app: values.app ?? "",
      resource: values.resource ?? null,
      duration: values.duration ?? "",
      at,
      reason: values.reason,
      ticket: values.ticket,
      ip: values.ip,
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  fail(USAGE);
}

/** The database the relay would open (DATABASE_URL, else DATA_DIR), migrated, for `fn`. */
async function withDatabase<T>(fn: (db: Database["db"]) => Promise<T>): Promise<T> {
  const env = parseEnv(process.env, process.env.INIT_CWD || process.cwd());
  const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR });
  try {
    await database.migrate();
    return await fn(database.db);
  } finally {
    await database.close();
  }
}

/** import/export: the policy applied or read in one go. */
async function databaseCommand(command: "import" | "export", args: string[]): Promise<void> {
  if (command === "import" && !args[0]) fail(`gatehouse import needs a FILE\n${USAGE}`);
  const config = command === "import" ? await load(args[0]) : null;
  await withDatabase(async (db) => {
    if (config) {
      await applyConfig(db, config, systemClock);
      process.stderr.write(`imported ${args[0]}: ${config.flows.length} flows, ${config.directory.users.length} users\n`);
    } else {
      process.stdout.write(await exportConfig(db));
    }
  });
}

/** audit verify | audit export: the trail checked, or written out a page at a time. */
async function auditCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      format: { type: "string", default: "jsonl" },
      since: { type: "string" },
      until: { type: "string" },
      action: { type: "string" },
      request: { type: "string" },
      checkpoint: { type: "string", multiple: true },
      grace: { type: "string", default: "1m" },
    },
    strict: true,
  });
  if (sub === "verify") {
    const graceMs = durationMs(values.grace ?? "1m");
    if (graceMs === null) fail(`--grace: expected a duration like 30s, 5m or 1h, got '${values.grace}'`);
    const readCheckpoints = (file: string): string[] => {
      try {
        return checkpointsInFile(readFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), file), "utf8"));
      } catch (e) {
        return fail(`--checkpoint ${file}: ${(e as Error).message}`);
      }
    };
    const external = (values.checkpoint ?? []).flatMap(readCheckpoints);
    const result = await withDatabase((db) => verifyChain(db, { external, unanchoredGraceMs: graceMs }));
    if (result.ok) {
      const anchor = result.anchoredTo
        ? `; anchored by the checkpoint of ${result.anchoredTo.at.toISOString()} at event ${result.anchoredTo.headId}, ${result.unanchored} newer events not yet anchored`
        : "; no checkpoint yet";
      process.stdout.write(`audit chain verifies: ${result.count} events${anchor}\n`);
      return;
    }
    const where = result.brokenAt === null ? "" : ` at event ${result.brokenAt}`;
    const hint =
      result.reason === "unanchored" ? " (if the relay was down since those events, start it so it signs them, then verify again)" : "";
    fail(`audit chain broken${where}: ${result.detail} (${result.count} events before it verify)${hint}`, 1);
  }
  if (sub !== "export") fail(USAGE);
  if (values.format !== "csv" && values.format !== "jsonl") fail(`--format: csv or jsonl, got '${values.format}'`);
  const time = (name: "since" | "until") => {
    const v = values[name];
    if (v === undefined) return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) fail(`--${name}: not an ISO-8601 time: '${v}'`);
    return d;
  };
  const filter = { from: time("since"), to: time("until"), action: values.action, requestId: values.request };
  await withDatabase(async (db) => {
    let first = true;
    for await (const rows of auditPages(db, filter)) {
      process.stdout.write(values.format === "csv" ? csvLines(rows, first) : jsonLines(rows));
      first = false;
    }
    if (first && values.format === "csv") process.stdout.write(csvLines([], true));
  });
}

main(process.argv.slice(2)).catch((e) => fail(e instanceof Error ? e.message : String(e)));
