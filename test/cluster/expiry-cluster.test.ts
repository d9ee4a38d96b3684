import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../../relay/src/audit/chain.ts";
import { openPostgres } from "../../relay/src/db/client.ts";
import { Cluster, chaos, percentile } from "./cluster.ts";

/**
 * Exactly once, under `kill -9`: three relay processes on one PostgreSQL
 * give 1,000 grants through a webhook provider and end them all in the same
 * second, while a random relay is killed and restarted every second or so.
 * The provider's endpoint counts what it applied by idempotency key: each
 * grant must have been provisioned exactly once and revoked exactly once,
 * every grant must have ended, and the audit trail must hold one end per
 * grant in an unbroken chain. This proves the claim/lease/record-once design
 * (grants/effects.ts, grants/expiry.ts); how late the ends are is what
 * `pnpm bench:expiry` measures, not asserted here.
 */
const GRANTS = 1000;
const cluster = new Cluster();

beforeAll(() => cluster.start({ relays: 3 }), 120_000);
afterAll(() => cluster.stop(), 60_000);

describe("three relays, 1,000 grants ending in the same second, random kill -9", () => {
  it("provisions and revokes each grant exactly once, ends every grant, and keeps the audit chain whole", async () => {
    // Grants are asked for and provisioned while relays die.
    const provisioningChaos = chaos(cluster, 3000);
    const asked = cluster.requestGrants(GRANTS);
    // At least one kill lands while provider calls are in flight.
    await new Promise((r) => setTimeout(r, 2_000));
    await provisioningChaos.killNow();
    await asked;
    const total = await cluster.waitForAll("active", GRANTS, 120_000);
    const killsWhileGranting = await provisioningChaos.stop();

    // Every grant ends in the same second, and relays die around it.
    const endsAt = await cluster.endAllAt(3_000);
    const expiryChaos = chaos(cluster, 1000);
    await new Promise((r) => setTimeout(r, Math.max(0, endsAt.getTime() - Date.now() + 150)));
    await expiryChaos.killNow();
    await cluster.waitForAll("expired", total, 120_000);
    const killsWhileEnding = await expiryChaos.stop();

    const { receiver, sql } = cluster;
    const ids = (await sql<{ id: string }[]>`select id from grants`).map((r) => r.id);
    expect(ids.length).toBe(total);
    expect(receiver.rejected).toBe(0);
    const granted = receiver.countsOf("grant");
    const revoked = receiver.countsOf("revoke");
    // Exactly one applied grant and one applied revoke per grant, and nothing for grants that do not exist.
    expect(ids.filter((id) => granted.get(id) !== 1)).toEqual([]);
    expect(ids.filter((id) => revoked.get(id) !== 1)).toEqual([]);
    expect(granted.size).toBe(total);
    expect(revoked.size).toBe(total);
    expect(receiver.members.size).toBe(0);
    // The relay recorded every call as done, none failed or left hanging.
    const calls = await sql<{ state: string; n: number }[]>`
      select state, count(*)::int as n from outbox where channel = 'provider' group by state`;
    expect(calls).toEqual([{ state: "sent", n: 2 * total }]);
    // One start and one end per grant in the audit trail, and the chain verifies.
    const audit = await sql<{ action: string; n: number; grants: number }[]>`
      select action, count(*)::int as n, count(distinct grant_id)::int as grants from audit_events
      where action in ('grant.started', 'grant.revoking', 'grant.expired') group by action order by action`;
    expect(audit).toEqual([
      { action: "grant.expired", n: total, grants: total },
      { action: "grant.revoking", n: total, grants: total },
      { action: "grant.started", n: total, grants: total },
    ]);
    const database = await openPostgres(cluster.databaseUrl);
    try {
      expect((await verifyChain(database.db)).ok).toBe(true);
    } finally {
      await database.close();
    }
    expect(killsWhileGranting).toBeGreaterThanOrEqual(1);
    expect(killsWhileEnding).toBeGreaterThanOrEqual(1);

    const late = await cluster.lateness();
    console.info(
      `[cluster] ${total} grants, ${killsWhileGranting + killsWhileEnding} kills, ${receiver.deliveries} deliveries for ${receiver.applied.length} effects; ` +
        `revoking late p50 ${percentile(late.revoking, 50).toFixed(2)} s p99 ${percentile(late.revoking, 99).toFixed(2)} s; ` +
        `ended late p50 ${percentile(late.ended, 50).toFixed(2)} s p99 ${percentile(late.ended, 99).toFixed(2)} s max ${percentile(late.ended, 100).toFixed(2)} s`,
    );
  }, 300_000);
});
