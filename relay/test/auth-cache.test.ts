import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devices } from "../src/db/schema/index.ts";
import { INVALIDATE_CHANNEL, onInvalidate, type Topic } from "../src/invalidation.ts";
import { bearer, engines, signIn, startTestRelay, type TestRelay } from "./harness.ts";

// Authenticated devices are cached for a few seconds; a revocation on any instance ends them everywhere at once.
const pg = engines.find((e) => e.name === "postgres");

/** Resolves at the next invalidation of `topic` heard in this process. */
const heard = (topic: Topic) =>
  new Promise<void>((resolve) => {
    onInvalidate((t) => {
      if (t === topic) resolve();
    });
  });

describe.runIf(pg)("the device cache (PostgreSQL)", () => {
  let t: TestRelay;
  beforeAll(async () => {
    t = await startTestRelay(pg as NonNullable<typeof pg>);
  });
  afterAll(() => t.close());

  it("serves a known device from memory, and drops it when another instance announces its revocation", async () => {
    const token = await signIn(t, "dana@acme.test");
    expect((await t.app.request("/api/v1/me", { headers: bearer(token) })).status).toBe(200);
    const [device] = await t.relay.database.db.select().from(devices);
    if (!device) throw new Error("no device");

    // Another instance revokes the device and announces it: the same statements, without this process's own drop.
    await t.relay.database.db.update(devices).set({ revokedAt: t.clock.now() }).where(eq(devices.id, device.id));
    // Until the announcement, this instance still trusts what it cached a moment ago.
    expect((await t.app.request("/api/v1/me", { headers: bearer(token) })).status).toBe(200);
    const announced = heard(`device:${device.id}`);
    await t.relay.database.db.execute(sql`select pg_notify(${INVALIDATE_CHANNEL}, ${`device:${device.id}`})`);
    await announced;
    expect((await t.app.request("/api/v1/me", { headers: bearer(token) })).status).toBe(401);
  });

  it("a revocation through the API ends the token at once", async () => {
    const token = await signIn(t, "lee@acme.test");
    expect((await t.app.request("/api/v1/me", { headers: bearer(token) })).status).toBe(200);
    expect((await t.app.request("/api/v1/devices/current", { method: "DELETE", headers: bearer(token) })).status).toBe(204);
    expect((await t.app.request("/api/v1/me", { headers: bearer(token) })).status).toBe(401);
  });
});
