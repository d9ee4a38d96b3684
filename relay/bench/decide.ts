/**
 * `pnpm bench:decide`: approvals per second end to end through the HTTP API
 * on PostgreSQL, with p50/p99 latency, against the relay's own `/healthz`
 * throughput measured in the same run and at the same concurrency. One
 * approval is what an approver's browser does: GET the confirmation page (it
 * sets the CSRF cookie), then POST the decision, which locks the request,
 * records the link's use, closes the step, creates the grant, and writes the
 * audit events, notice and outbox rows in one transaction.
 *
 *   pnpm bench:decide [--requests N] [--concurrency C]
 *
 * Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) to make
 * a database of its own, dropped at the end. A benchmark, not a test: it
 * prints figures.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { and, eq, isNotNull } from "drizzle-orm";
import postgres from "postgres";
import { bootRelay } from "../src/boot.ts";
import { outbox } from "../src/db/schema/index.ts";
import { parseEnv } from "../src/env.ts";
import { createApp } from "../src/http/app.ts";
import { silentLogger } from "../src/log.ts";

const { values } = parseArgs({ options: { requests: { type: "string", default: "400" }, concurrency: { type: "string", default: "8" } } });
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const PG_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const POLICY = `admins: [ops@bench.test]
directory:
  users:
    - { email: dana@bench.test, name: Dana, manager: lee@bench.test }
    - { email: lee@bench.test, name: Lee }
    - { email: ops@bench.test, name: Ops }
flows:
  - id: github
    name: GitHub
    apps: [github]
    approval: { steps: [{ approvers: [manager], require: any }] }
    durations: { choices: [1h, 4h] }
`;

async function main(): Promise<void> {
  const name = `gh_bench_${randomBytes(4).toString("hex")}`;
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (e) {
    throw new Error(`bench:decide needs PostgreSQL at ${PG_URL}: ${(e as Error).message}`);
  }
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const dir = mkdtempSync(join(tmpdir(), "gh-bench-"));
  writeFileSync(join(dir, "gatehouse.yaml"), POLICY);

  const env = parseEnv({
    DATABASE_URL: url.href,
    GATEHOUSE_CONFIG: join(dir, "gatehouse.yaml"),
    LOG_LEVEL: "silent",
    PUBLIC_URL: "http://relay.bench",
    KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  });
  const relay = await bootRelay({ env, log: silentLogger });
  const app = createApp(relay);
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise((r) => server.once("listening", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Links and forms name the relay's public URL; requests go to where it listens.
  const local = (link: string) => link.replace(env.publicUrl, base);
  const origin = env.publicUrl;

  try {
    const token = await signIn(base, relay, origin, local);
    process.stdout.write(`creating ${REQUESTS} requests… `);
    await pool(REQUESTS, CONCURRENCY, async (i) => {
      const res = await fetch(`${base}/api/v1/requests`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({
          app: "github",
          resource: { id: `acme/repo-${i}`, name: null, url: `https://github.com/acme/repo-${i}` },
          duration: "1h",
          reason: "bench",
        }),
      });
      if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
    });
    const mails = await relay.database.db
      .select({ text: outbox.text })
      .from(outbox)
      .where(and(eq(outbox.to, "lee@bench.test"), isNotNull(outbox.requestId)));
    const links = mails.map((m) => /\S+\/decide\/\S+/.exec(m.text)?.[0]).filter((l): l is string => !!l);
    if (links.length !== REQUESTS) throw new Error(`expected ${REQUESTS} links, found ${links.length}`);
    console.log("done");

    // Warm-up: the first requests pay for connection set-up and JIT.
    await pool(200, CONCURRENCY, async () => void (await fetch(`${base}/healthz`)).arrayBuffer());

    const health = await timed(REQUESTS * 4, CONCURRENCY, async () => {
      const res = await fetch(`${base}/healthz`);
      if (!res.ok) throw new Error(`healthz: ${res.status}`);
      await res.arrayBuffer();
    });

    let approved = 0;
    const decide = await timed(links.length, CONCURRENCY, async (i) => {
      const link = local(links[i] as string);
      const page = await fetch(link);
      const cookie = page.headers.get("set-cookie")?.split(";")[0] ?? "";
      const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
      const res = await fetch(link, {
        method: "POST",
        headers: { cookie, origin, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ csrf, decision: "approve", duration: "1h" }).toString(),
      });
      const text = await res.text();
      if (!text.includes('data-outcome="approved"')) throw new Error(`decision ${i}: ${res.status}`);
      approved++;
    });

    const ms = (n: number) => `${n.toFixed(1)} ms`;
    console.log(
      `\nDecisions end to end over HTTP on PostgreSQL ${await serverVersion(admin)} (${CONCURRENCY} concurrent clients, ${links.length} approvals)`,
    );
    console.log(
      `  approvals          ${decide.perSecond.toFixed(0)} /s   p50 ${ms(decide.p50)}   p99 ${ms(decide.p99)}   (GET page + POST decision each)`,
    );
    console.log(`  baseline /healthz  ${health.perSecond.toFixed(0)} /s   p50 ${ms(health.p50)}   p99 ${ms(health.p99)}   (one query)`);
    console.log(`  ratio              an approval costs ${(health.perSecond / decide.perSecond).toFixed(1)}× a health check`);
    console.log(`  (${approved} approvals recorded, each exactly once)`);
  } finally {
    server.close();
    await relay.bus.stop();
    await relay.database.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** Runs `n` jobs with at most `c` at a time. */
async function pool(n: number, c: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(c, n) }, async () => {
      while (next < n) await job(next++);
    }),
  );
}

/** Throughput and latency percentiles of `n` jobs at concurrency `c`. */
async function timed(n: number, c: number, job: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  const start = performance.now();
  await pool(n, c, async (i) => {
    const t = performance.now();
    await job(i);
    latencies.push(performance.now() - t);
  });
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { perSecond: n / seconds, p50: at(0.5), p99: at(0.99) };
}

async function serverVersion(sql: postgres.Sql): Promise<string> {
  const [row] = await sql`show server_version`;
  return String(row?.server_version ?? "?").split(" ")[0] ?? "?";
}

/** The extension's sign-in, over HTTP: authorize, the mailed pairing link, the token. */
async function signIn(
  base: string,
  relay: Awaited<ReturnType<typeof bootRelay>>,
  origin: string,
  local: (link: string) => string,
): Promise<string> {
  const started = await fetch(`${base}/api/v1/devices/authorize`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "dana@bench.test", label: "bench" }),
  });
  const { deviceCode } = (await started.json()) as { deviceCode: string };
  const [mail] = await relay.database.db.select({ text: outbox.text }).from(outbox).where(eq(outbox.to, "dana@bench.test"));
  const link = local(/\S+\/pair\/\S+/.exec(mail?.text ?? "")?.[0] ?? "");
  const page = await fetch(link);
  const cookie = page.headers.get("set-cookie")?.split(";")[0] ?? "";
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
  await fetch(link, {
    method: "POST",
    headers: { cookie, origin, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf, confirm: "yes" }).toString(),
  });
  const res = await fetch(`${base}/api/v1/devices/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ deviceCode }),
  });
  const body = (await res.json()) as { status: string; token?: string };
  if (body.status !== "paired" || !body.token) throw new Error(`sign-in failed: ${JSON.stringify(body)}`);
  return body.token;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
