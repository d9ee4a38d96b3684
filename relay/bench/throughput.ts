/**
 * `pnpm bench:relay`: the relay's throughput over real HTTP, with ratios to a
 * bare Hono app measured in the same run, and the statements one create and
 * one approval send to PostgreSQL.
 *
 *   pnpm bench:relay [--seconds S] [--connections C] [--approvals N] [--engines postgres,pglite]
 *
 * The relay and the bare app run as processes of their own (as deployed:
 * one Node thread each); autocannon drives them from this one. 60 requesters,
 * each with a paired device, ask for access under a one-step manager flow
 * (every create inserts the request, its approval rows, the approver's mail
 * and the audit events); the approver then approves over the decision links
 * the mails carry (the POST of the confirmation form, CSRF and all).
 *
 * Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) to make
 * databases of its own, dropped at the end. A benchmark, not a test: it
 * prints figures.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { and, eq, isNotNull, sql } from "drizzle-orm";
import postgres from "postgres";
import { bootRelay } from "../src/boot.ts";
import { type Database, openPostgres } from "../src/db/client.ts";
import { devices, outbox, requests, users } from "../src/db/schema/index.ts";
import { parseEnv } from "../src/env.ts";
import { createApp } from "../src/http/app.ts";
import { silentLogger } from "../src/log.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "50" },
    approvals: { type: "string", default: "2000" },
    engines: { type: "string", default: "postgres,pglite" },
    phases: { type: "string", default: "livez,me,create,approve" },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const APPROVALS = Number(values.approvals);
const ENGINES = (values.engines ?? "").split(",");
const PHASES = new Set((values.phases ?? "").split(","));
const skipped: Figures = { perSecond: Number.NaN, p50: Number.NaN, p99: Number.NaN, errors: 0, non2xx: 0, total: 0 };
/** Runs a phase unless --phases leaves it out. */
const phase = (name: string, run: () => Promise<Figures>) => (PHASES.has(name) ? run() : Promise.resolve(skipped));
const PG_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const here = dirname(fileURLToPath(import.meta.url));
const PUBLIC_URL = "http://relay.bench";
const REQUESTERS = 60;

const POLICY = `admins: [ops@bench.test]
directory:
  users:
${Array.from({ length: REQUESTERS }, (_, i) => `    - { email: r${i}@bench.test, name: Requester ${i}, manager: lee@bench.test }`).join("\n")}
    - { email: lee@bench.test, name: Lee }
    - { email: ops@bench.test, name: Ops }
flows:
  - id: github
    name: GitHub
    apps: [github]
    approval: { steps: [{ approvers: [manager], require: any }] }
    durations: { choices: [1h, 4h] }
`;

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** Pairs one device per requester, straight in the database: the tokens the load uses. */
async function seedDevices(database: Database): Promise<string[]> {
  const people = await database.db.select({ id: users.id, email: users.email }).from(users);
  const now = new Date();
  const tokens: string[] = [];
  const rows = people
    .filter((p) => p.email.startsWith("r"))
    .map((p) => {
      const token = `ghd_${randomBytes(24).toString("base64url")}`;
      tokens.push(token);
      return { userId: p.id, tokenHash: sha256(token), label: "bench", createdAt: now, expiresAt: new Date(now.getTime() + 86_400_000) };
    });
  await database.db.insert(devices).values(rows);
  return tokens;
}

interface Target {
  base: string;
  stop(): Promise<void>;
}

async function spawnProcess(args: string[], env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "inherit"] });
  child.on("exit", (code, signal) => {
    if (code && code !== 0) console.error(`${args.join(" ")} exited with ${code ?? signal}`);
  });
  return child;
}

async function startBare(): Promise<Target> {
  const child = await spawnProcess([join(here, "bare-hono.ts")], process.env);
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, "data")) as [Buffer];
  const base = `http://127.0.0.1:${Number(line.toString().trim())}`;
  return { base, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}

/** The relay as deployed: `node relay/src/main.ts`, ready when `/readyz` says so. */
async function startRelay(env: Record<string, string>): Promise<Target> {
  const port = await freePort();
  const { DATABASE_URL: _inherited, ...inherited } = process.env;
  // BENCH_PROFILE=dir writes the relay's CPU profile there (node --cpu-prof) when it stops.
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = await spawnProcess([...profile, join(here, "../src/main.ts")], {
    ...inherited,
    ...env,
    PORT: String(port),
    LOG_LEVEL: "warn",
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || i > 600) throw new Error("the relay did not become ready");
    await new Promise((r) => setTimeout(r, 50));
  }
  return { base, stop: () => stopChild(child) };
}

interface Figures {
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}

async function load(opts: autocannon.Options): Promise<Figures> {
  // A fixed amount of work (the approvals: one per link) runs until done; everything else for SECONDS.
  const r = await autocannon({ connections: CONNECTIONS, ...(opts.amount ? {} : { duration: SECONDS }), ...opts });
  return {
    perSecond: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    total: r.requests.total,
  };
}

/** Each connection uses one requester's token (connections beyond the requesters wrap around). */
function perConnectionToken(tokens: string[]) {
  let n = 0;
  return (client: { setHeaders(h: Record<string, string>): void }) => {
    const token = tokens[n++ % tokens.length] as string;
    client.setHeaders({ authorization: `Bearer ${token}`, "content-type": "application/json" });
  };
}

function createRequests(base: string, tokens: string[]) {
  let i = 0;
  return load({
    url: base,
    setupClient: perConnectionToken(tokens),
    requests: [
      {
        method: "POST",
        path: "/api/v1/requests",
        setupRequest: (req) => {
          const n = i++;
          return {
            ...req,
            body: JSON.stringify({
              app: "github",
              resource: { id: `acme/repo-${n}`, name: null, url: `https://github.com/acme/repo-${n}` },
              duration: "1h",
              reason: "bench",
            }),
          };
        },
      },
    ],
  });
}

const fmt = (f: Figures) =>
  `${f.perSecond.toFixed(0).padStart(6)} /s   p50 ${String(f.p50).padStart(4)} ms   p99 ${String(f.p99).padStart(4)} ms${f.errors || f.non2xx ? `   (${f.errors} errors, ${f.non2xx} non-2xx of ${f.total})` : ""}`;

async function makeDatabase(admin: postgres.Sql): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gh_bench_${randomBytes(4).toString("hex")}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return { url: url.href, drop: async () => void (await admin.unsafe(`drop database if exists ${name} with (force)`)) };
}

/** The decision links the approver's mails carry, read from the outbox. */
async function decisionLinks(database: Database): Promise<string[]> {
  const mails = await database.db
    .select({ text: outbox.text })
    .from(outbox)
    .where(and(eq(outbox.to, "lee@bench.test"), isNotNull(outbox.requestId)));
  return mails.map((m) => /\S+\/decide\/\S+/.exec(m.text)?.[0]).filter((l): l is string => !!l);
}

/** Opens each link's confirmation page (it sets the CSRF cookie and token): what the approvals then POST. */
async function confirmationForms(base: string, links: string[]) {
  const forms: { path: string; cookie: string; body: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < links.length) {
        const path = new URL((links[next++] as string).replace(PUBLIC_URL, base)).pathname;
        const page = await fetch(`${base}${path}`);
        const cookie = page.headers.get("set-cookie")?.split(";")[0] ?? "";
        const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
        forms.push({ path, cookie, body: new URLSearchParams({ csrf, decision: "approve", duration: "1h" }).toString() });
      }
    }),
  );
  return forms;
}

function approve(base: string, forms: { path: string; cookie: string; body: string }[]) {
  let i = 0;
  return load({
    url: base,
    amount: forms.length,
    requests: [
      {
        method: "POST",
        setupRequest: (req) => {
          const f = forms[i++ % forms.length] as (typeof forms)[number];
          return {
            ...req,
            path: f.path,
            headers: { cookie: f.cookie, origin: PUBLIC_URL, "content-type": "application/x-www-form-urlencoded" },
            body: f.body,
          };
        },
      },
    ],
  });
}

/** Statements one create and one approval send, counted at the driver (in-process, PostgreSQL). */
async function countStatements(url: string): Promise<{ create: number; createTx: number; approve: number }> {
  let counting = false;
  let n = 0;
  let txControl = 0;
  const database = await openPostgres(url, {
    onQuery: (q) => {
      if (!counting) return;
      // BENCH_SHOW_STATEMENTS=1 prints what the counted creates and approvals send.
      if (process.env.BENCH_SHOW_STATEMENTS) console.log(`  · ${q.replace(/\s+/g, " ").slice(0, 160)}`);
      n++;
      if (/^\s*(begin|commit|rollback)/i.test(q)) txControl++;
    },
  });
  const env = parseEnv({ DATABASE_URL: url, GATEHOUSE_CONFIG: policyFile, LOG_LEVEL: "silent", PUBLIC_URL, KEY_ENCRYPTION_KEY: KEK });
  const relay = await bootRelay({ env, database, log: silentLogger });
  const app = createApp(relay);
  const tokens = await seedDevices(database);
  const ROUNDS = process.env.BENCH_SHOW_STATEMENTS ? 1 : 20;
  const create = async (i: number) => {
    const res = await app.request("/api/v1/requests", {
      method: "POST",
      headers: { authorization: `Bearer ${tokens[i % tokens.length]}`, "content-type": "application/json" },
      body: JSON.stringify({
        app: "github",
        resource: { id: `acme/c-${i}`, name: null, url: `https://github.com/acme/c-${i}` },
        duration: "1h",
      }),
    });
    if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  };
  // Warm: the first create of a process loads the policy snapshot and the device.
  for (let i = 0; i < tokens.length; i++) await create(1000 + i);
  counting = true;
  for (let i = 0; i < ROUNDS; i++) await create(i);
  counting = false;
  const perCreate = n / ROUNDS;
  const perCreateTx = txControl / ROUNDS;

  const links = (await decisionLinks(database)).slice(-ROUNDS);
  const forms = [];
  for (const link of links) {
    const path = new URL(link).pathname;
    const page = await app.request(`${PUBLIC_URL}${path}`);
    const cookie = page.headers.get("set-cookie")?.split(";")[0] ?? "";
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
    forms.push({ path, cookie, csrf });
  }
  n = 0;
  counting = true;
  for (const f of forms) {
    const res = await app.request(`${PUBLIC_URL}${f.path}`, {
      method: "POST",
      headers: { cookie: f.cookie, origin: PUBLIC_URL, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: f.csrf, decision: "approve", duration: "1h" }).toString(),
    });
    if (!(await res.text()).includes('data-outcome="approved"')) throw new Error(`approve: ${res.status}`);
  }
  counting = false;
  await relay.bus.stop();
  await database.close();
  return { create: perCreate - perCreateTx, createTx: perCreateTx, approve: n / ROUNDS - 2 };
}

const KEK = randomBytes(32).toString("base64");
const work = mkdtempSync(join(tmpdir(), "gh-bench-relay-"));
const policyFile = join(work, "gatehouse.yaml");
writeFileSync(policyFile, POLICY);

async function main(): Promise<void> {
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  const dropped: (() => Promise<void>)[] = [];
  const bare = await startBare();
  try {
    console.log(
      `bench:relay — ${CONNECTIONS} connections, ${SECONDS} s per run, ${REQUESTERS} requesters; ${cpus().length} CPUs shared by the relay, PostgreSQL and the load generator\n`,
    );
    const bareLivez = await load({ url: `${bare.base}/livez` });
    const bareMe = await load({ url: `${bare.base}/api/v1/me`, headers: { authorization: "Bearer x" } });
    console.log(`bare Hono  /livez           ${fmt(bareLivez)}`);
    console.log(`bare Hono  GET /api/v1/me   ${fmt(bareMe)}\n`);

    if (ENGINES.includes("postgres")) {
      const version = (await admin`show server_version`)[0]?.server_version as string;
      const counted = await makeDatabase(admin);
      dropped.push(counted.drop);
      const statements = await countStatements(counted.url);

      const { url, drop } = await makeDatabase(admin);
      dropped.push(drop);
      const seedDb = await openPostgres(url);
      const seedEnv = parseEnv({
        DATABASE_URL: url,
        GATEHOUSE_CONFIG: policyFile,
        LOG_LEVEL: "silent",
        PUBLIC_URL,
        KEY_ENCRYPTION_KEY: KEK,
      });
      const seeded = await bootRelay({ env: seedEnv, database: seedDb, log: silentLogger });
      const tokens = await seedDevices(seedDb);
      await seeded.bus.stop();
      const relay = await startRelay({ DATABASE_URL: url, GATEHOUSE_CONFIG: policyFile, PUBLIC_URL, KEY_ENCRYPTION_KEY: KEK });
      try {
        const livez = await phase("livez", () => load({ url: `${relay.base}/livez` }));
        const me = await phase("me", () => load({ url: `${relay.base}/api/v1/me`, setupClient: perConnectionToken(tokens) }));
        const created = await phase("create", () => createRequests(relay.base, tokens));
        let linkCount = 0;
        const approved = await phase("approve", async () => {
          const links = (await decisionLinks(seedDb)).slice(0, APPROVALS);
          linkCount = links.length;
          return approve(relay.base, await confirmationForms(relay.base, links));
        });
        const [count] = await seedDb.db.select({ n: sql<number>`count(*)::int` }).from(requests).where(eq(requests.state, "approved"));
        console.log(`PostgreSQL ${version}`);
        console.log(`  /livez                  ${fmt(livez)}   ${(livez.perSecond / bareLivez.perSecond).toFixed(2)} × bare`);
        console.log(`  GET /api/v1/me (auth)   ${fmt(me)}   ${(me.perSecond / bareMe.perSecond).toFixed(2)} × bare`);
        console.log(
          `  POST /requests          ${fmt(created)}   ${statements.create} statements + ${statements.createTx} begin/commit each`,
        );
        console.log(
          `  approvals (POST)        ${fmt(approved)}   ${statements.approve} statements each; ${count?.n ?? "?"} requests approved of ${linkCount} links`,
        );
      } finally {
        await relay.stop();
        await seedDb.close();
      }
    }

    if (ENGINES.includes("pglite")) {
      const dataDir = join(work, "pglite");
      const seedEnv = parseEnv({ DATA_DIR: dataDir, GATEHOUSE_CONFIG: policyFile, LOG_LEVEL: "silent", PUBLIC_URL });
      const seeded = await bootRelay({ env: seedEnv, log: silentLogger });
      const tokens = await seedDevices(seeded.database);
      await seeded.bus.stop();
      await seeded.database.close();
      const relay = await startRelay({ DATA_DIR: dataDir, GATEHOUSE_CONFIG: policyFile, PUBLIC_URL });
      try {
        const created = await createRequests(relay.base, tokens);
        console.log("\nPGlite (embedded)");
        console.log(`  POST /requests          ${fmt(created)}`);
      } finally {
        await relay.stop();
      }
    }
  } finally {
    await bare.stop();
    for (const drop of dropped) await drop().catch(() => undefined);
    await admin.end();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
