import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { desc, eq } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll } from "vitest";
import { bootRelay } from "../src/boot.ts";
import { ManualClock } from "../src/clock.ts";
import { ConfigError, parseConfig } from "../src/config/load.ts";
import type { Relay } from "../src/context.ts";
import { type Database, openPglite, openPostgres } from "../src/db/client.ts";
import { outbox } from "../src/db/schema/index.ts";
import { parseEnv } from "../src/env.ts";
import { createApp } from "../src/http/app.ts";
import { csrfTokenFor } from "../src/http/csrf.ts";
import { silentLogger } from "../src/log.ts";

export const PUBLIC_URL = "http://relay.test";
/** The key encryption key of test relays (fixed, so a suite can boot twice on one database). */
export const TEST_KEK = Buffer.alloc(32, 7).toString("base64");
export const TEST_CONFIG = join(dirname(fileURLToPath(import.meta.url)), "fixtures/gatehouse.test.yaml");

const PG_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * Every integration suite runs once per engine. PostgreSQL is required in CI
 * (a missing server fails the run); on a laptop without one it is skipped
 * with a warning.
 */
export interface Engine {
  name: "pglite" | "postgres";
  open(): Promise<{ database: Database; drop(): Promise<void> }>;
}

async function postgresReachable(): Promise<boolean> {
  const sql = postgres(PG_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

const pgAvailable = await postgresReachable();
if (!pgAvailable && process.env.CI) throw new Error(`PostgreSQL is required in CI but ${PG_URL} is unreachable`);
if (!pgAvailable) console.warn(`[relay tests] PostgreSQL at ${PG_URL} unreachable: PostgreSQL runs skipped (never in CI)`);

export const engines: Engine[] = [
  {
    name: "pglite",
    async open() {
      const database = await openPglite("memory://");
      return { database, drop: () => database.close() };
    },
  },
  ...(pgAvailable
    ? [
        {
          name: "postgres" as const,
          /** A database of its own per suite, so suites run in parallel without seeing each other. */
          async open() {
            const name = `gh_test_${randomBytes(6).toString("hex")}`;
            const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
            await admin.unsafe(`create database ${name}`);
            const url = new URL(PG_URL);
            url.pathname = `/${name}`;
            const database = await openPostgres(url.href);
            return {
              database,
              async drop() {
                await database.close();
                await admin.unsafe(`drop database if exists ${name} with (force)`);
                await admin.end();
              },
            };
          },
        },
      ]
    : []),
];

export interface TestRelay {
  relay: Relay;
  app: ReturnType<typeof createApp>;
  clock: ManualClock;
  close(): Promise<void>;
}

export async function startTestRelay(engine: Engine, env: Record<string, string> = {}): Promise<TestRelay> {
  const { database, drop } = await engine.open();
  const clock = new ManualClock(new Date("2026-11-02T09:00:00Z"));
  const relay = await bootRelay({
    env: parseEnv({ PUBLIC_URL, GATEHOUSE_CONFIG: TEST_CONFIG, LOG_LEVEL: "silent", KEY_ENCRYPTION_KEY: TEST_KEK, ...env }),
    clock,
    database,
    log: silentLogger,
  });
  return {
    relay,
    app: createApp(relay),
    clock,
    async close() {
      await relay.bus.stop();
      await drop();
    },
  };
}

export const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

export async function mailsTo(t: TestRelay, to: string) {
  return t.relay.database.db.select().from(outbox).where(eq(outbox.to, to)).orderBy(desc(outbox.createdAt));
}

export function linkFrom(text: string, path: string): string {
  const m = new RegExp(`${PUBLIC_URL.replace(/\./g, "\\.")}(${path}[^\\s]+)`).exec(text);
  if (!m?.[1]) throw new Error(`no ${path} link in: ${text}`);
  return m[1];
}

/** GETs a form page and POSTs it back the way a browser would (cookie + hidden field + Origin). */
export async function submitForm(t: TestRelay, path: string, fields: Record<string, string>): Promise<Response> {
  const page = await t.app.request(path);
  const cookie = page.headers.get("set-cookie")?.split(";")[0] ?? "";
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
  return t.app.request(path, {
    method: "POST",
    headers: { cookie, origin: PUBLIC_URL, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf, ...fields }).toString(),
  });
}

/** Signs an extension in through the API and the emailed pairing link; returns its device token. */
export async function signIn(t: TestRelay, email: string): Promise<string> {
  const started = await t.app.request("/api/v1/devices/authorize", json({ email, label: "test" }));
  if (started.status !== 201) throw new Error(`authorize: ${started.status} ${await started.text()}`);
  const { deviceCode } = (await started.json()) as { deviceCode: string };
  const [mail] = await mailsTo(t, email);
  const res = await submitForm(t, linkFrom(mail?.text ?? "", "/pair/"), { confirm: "yes" });
  if (res.status !== 200) throw new Error(`pair: ${res.status}`);
  const token = await t.app.request("/api/v1/devices/token", json({ deviceCode }));
  const body = (await token.json()) as { status: string; token: string };
  if (body.status !== "paired") throw new Error(`token: ${JSON.stringify(body)}`);
  return body.token;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const docsRequest = (id = "1Qm7vXcR2pLkT9sWbN4eYhJ8uFzA3dG6oKiE0tP5rBqM") => ({
  app: "google-docs",
  resource: { id, name: null, url: `https://docs.google.com/document/d/${id}/edit` },
  message: "You need access",
  duration: "1h",
  reason: "Board deck",
});

/**
 * POSTs a form without rendering its page first (a link already used, or
 * forged, has no form to render), with the token the relay would have put
 * in it: the tests reach the decision logic behind CSRF.
 */
export async function postWithCsrf(t: TestRelay, path: string, fields: Record<string, string>): Promise<Response> {
  const browser = "c".repeat(43);
  const csrf = csrfTokenFor(t.relay.csrfKey, `path:${path}:${browser}`);
  return await t.app.request(path, {
    method: "POST",
    headers: { cookie: `gatehouse_csrf=${browser}`, origin: PUBLIC_URL, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf, ...fields }).toString(),
  });
}

/**
 * The usual suite set-up: a relay on `engine` started before the suite's tests
 * with `email` signed in, closed after them. Read `suite.t` and `suite.token`
 * inside tests (they are set once `beforeAll` has run).
 */
export function signedInSuite(
  engine: Engine,
  email: string,
  env: Record<string, string> | (() => Record<string, string>) = {},
): { t: TestRelay; token: string } {
  const suite = {} as { t: TestRelay; token: string };
  beforeAll(async () => {
    suite.t = await startTestRelay(engine, typeof env === "function" ? env() : env);
    suite.token = await signIn(suite.t, email);
  });
  afterAll(() => suite.t.close());
  return suite;
}

/** The problems `parseConfig` reports for a gatehouse.yaml text (empty when it is valid). */
export function configErrors(text: string): string[] {
  try {
    parseConfig(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

/** A signal one side waits for and the other gives (`open()`): for holding a transaction open until a test says so. */
export function latch(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}
