import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { databaseUnavailable, uniqueViolation } from "../src/db/faults.ts";
import { approvals, requests } from "../src/db/schema/index.ts";
import { handleError } from "../src/http/errors.ts";
import { silentLogger } from "../src/log.ts";
import { MAX_RETRY_MS, retryDelay } from "../src/workers.ts";
import { bearer, docsRequest, engines, json, signedInSuite } from "./harness.ts";

/**
 * The relay's answers while its database is away or a client retries:
 * health probes, 503 for an outage, one request per Idempotency-Key. The
 * outage itself (a TCP link cut under three relays) is test/cluster's.
 */
describe.each(engines)("health, outages and retried creates ($name)", (engine) => {
  const suite = signedInSuite(engine, "dana@acme.test");

  it("answers /livez without I/O, /readyz from the database, and stops being ready while draining", async () => {
    const { app, relay } = suite.t;
    expect(await (await app.request("/livez")).json()).toEqual({ status: "ok" });
    expect(await (await app.request("/readyz")).json()).toMatchObject({ status: "ok", database: engine.name });
    expect((await app.request("/healthz")).status).toBe(200);

    const ping = relay.database.ping;
    relay.database.ping = async () => false;
    try {
      const down = await app.request("/readyz");
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ code: "unavailable" });
      expect((await app.request("/livez")).status).toBe(200);
    } finally {
      relay.database.ping = ping;
    }

    relay.drain.abort();
    try {
      const draining = await app.request("/readyz");
      expect(draining.status).toBe(503);
      expect(await draining.json()).toMatchObject({ code: "unavailable", detail: "This relay is shutting down" });
    } finally {
      relay.drain = new AbortController();
    }
  });

  it("makes one request per Idempotency-Key, answers a retry with it, and refuses the key for another ask", async () => {
    const { app, relay } = suite.t;
    const headers = { ...bearer(suite.token), "idempotency-key": `"ask-${engine.name}-1"` };
    const body = docsRequest(`IDEM-${engine.name}`);
    const first = await app.request("/api/v1/requests", json(body, headers));
    expect(first.status).toBe(201);
    const created = (await first.json()) as { id: string };
    // A retry, and two more racing each other: the same request, answered 200.
    const again = await Promise.all([1, 2, 3].map(() => app.request("/api/v1/requests", json(body, headers))));
    expect(again.map((r) => r.status)).toEqual([200, 200, 200]);
    for (const r of again) expect(((await r.json()) as { id: string }).id).toBe(created.id);
    const rows = await relay.database.db.select().from(requests).where(eq(requests.resourceId, body.resource.id));
    expect(rows).toHaveLength(1);
    // One request, so one set of approvals (one mail per approver), not four.
    const steps = await relay.database.db
      .select()
      .from(approvals)
      .where(and(eq(approvals.requestId, created.id)));
    expect(steps.length).toBeGreaterThan(0);

    const other = await app.request("/api/v1/requests", json({ ...body, duration: "4h" }, headers));
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ code: "conflict" });
    const bad = await app.request("/api/v1/requests", json(body, { ...bearer(suite.token), "idempotency-key": "has space" }));
    expect(bad.status).toBe(400);
    // Without a key, each create is a new request.
    const a = await app.request("/api/v1/requests", json(docsRequest(`NOKEY-${engine.name}`), bearer(suite.token)));
    const b = await app.request("/api/v1/requests", json(docsRequest(`NOKEY-${engine.name}`), bearer(suite.token)));
    expect([a.status, b.status]).toEqual([201, 201]);
  });

  it("races the same key at once from two clients into one request", async () => {
    const { app, relay } = suite.t;
    const body = docsRequest(`RACE-${engine.name}`);
    const headers = { ...bearer(suite.token), "idempotency-key": `race-${engine.name}` };
    const answers = await Promise.all(Array.from({ length: 6 }, () => app.request("/api/v1/requests", json(body, headers))));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    const ids = new Set(await Promise.all(answers.map(async (r) => ((await r.json()) as { id: string }).id)));
    expect(ids.size).toBe(1);
    expect(await relay.database.db.select().from(requests).where(eq(requests.resourceId, body.resource.id))).toHaveLength(1);
  });
});

describe("telling an outage from a bug", () => {
  const wrapped = (cause: object) => Object.assign(new Error("Failed query: select 1\nparams: secret-token"), { cause });

  it("classifies the drivers' connection errors and unavailable SQL states, not statement errors", () => {
    expect(databaseUnavailable(wrapped(Object.assign(new Error("write CONNECTION_CLOSED"), { code: "CONNECTION_CLOSED" })))).toEqual({
      name: "Error",
      code: "CONNECTION_CLOSED",
    });
    expect(databaseUnavailable(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).not.toBeNull();
    expect(databaseUnavailable(wrapped({ name: "PostgresError", code: "57P01" }))).toMatchObject({ code: "57P01" });
    expect(databaseUnavailable(wrapped({ name: "PostgresError", code: "57014" }))).not.toBeNull();
    expect(databaseUnavailable(wrapped({ name: "PostgresError", code: "08006" }))).not.toBeNull();
    // A bad statement or a broken constraint is a bug or a conflict, not an outage.
    expect(databaseUnavailable(wrapped({ name: "PostgresError", code: "42P01" }))).toBeNull();
    expect(databaseUnavailable(wrapped({ name: "PostgresError", code: "23505" }))).toBeNull();
    expect(databaseUnavailable(new Error("plain"))).toBeNull();
    expect(uniqueViolation(wrapped({ code: "23505", constraint_name: "x" }), "x")).toBe(true);
    expect(uniqueViolation(wrapped({ code: "23505", constraint: "x" }), "x")).toBe(true);
    expect(uniqueViolation(wrapped({ code: "23505", constraint_name: "y" }), "x")).toBe(false);
  });

  it("answers an outage with 503 unavailable and Retry-After, logging name and code only", async () => {
    const lines: Record<string, unknown>[] = [];
    const log = { ...silentLogger, warn: (msg: string, data?: Record<string, unknown>) => lines.push({ msg, ...data }) };
    const err = wrapped(Object.assign(new Error("write CONNECTION_CLOSED 10.0.0.5:5432"), { code: "CONNECTION_CLOSED" }));
    const c = {
      req: { path: "/decide/secret-link-token" },
      header: (name: string, value: string) => headers.set(name, value),
      body: (text: string, status: number, h: Record<string, string>) =>
        new Response(text, { status, headers: { ...h, ...Object.fromEntries(headers) } }),
    };
    const headers = new Map<string, string>();
    const res = handleError(log)(err, c as never);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(await res.json()).toMatchObject({ code: "unavailable" });
    expect(lines).toEqual([{ msg: "database unavailable", path: "/decide/…", name: "Error", code: "CONNECTION_CLOSED" }]);
    expect(JSON.stringify(lines)).not.toContain("secret");
  });

  it("backs a failing loop off from 250 ms to at most 2 s, never past its own interval", () => {
    expect([1, 2, 3, 4, 5, 30].map((n) => retryDelay(10_000, n))).toEqual([250, 500, 1000, 2000, 2000, 2000]);
    expect(retryDelay(300, 3)).toBe(300);
    expect(MAX_RETRY_MS).toBeLessThanOrEqual(2_000);
  });
});
