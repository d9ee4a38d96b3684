import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, grants } from "../src/db/schema/index.ts";
import { clockTimeOf } from "../src/grants/lifecycle.ts";
import { startWorkers } from "../src/workers.ts";
import { bearer, engines, json, signIn, startTestRelay, type TestRelay } from "./harness.ts";
import { waitFor } from "./peers.ts";

/**
 * The grant clock wakes when a grant is due, not at a tick: the relay's own
 * worker loop (startWorkers) runs on a ManualClock with EXPIRY_INTERVAL_MS a
 * day, so a fixed tick would never come during the test. A grant made due
 * within that day is announced (NOTIFY), the loop sleeps until exactly its
 * next time (the clock's pending timer says so), and moving the clock to
 * that time, and not a millisecond before, is what sends the warning and
 * then ends the grant, which records that it was 0 ms late.
 */
const DAY_MS = 86_400_000;

describe.each(engines)("the grant clock wakes when a grant is due ($name)", (engine) => {
  let t: TestRelay;
  let token: string;
  let workers: { stop(): Promise<void> };

  beforeAll(async () => {
    t = await startTestRelay(engine, { EXPIRY_INTERVAL_MS: String(DAY_MS) });
    token = await signIn(t, "dana@acme.test");
    workers = startWorkers(t.relay);
  });
  afterAll(async () => {
    await workers?.stop();
    await t?.close();
  });

  const grantOf = async (requestId: string) => {
    const [g] = await t.relay.database.db.select().from(grants).where(eq(grants.requestId, requestId));
    if (!g) throw new Error("no grant");
    return g;
  };
  const armedAt = (at: Date | null) =>
    waitFor(`the grant clock armed for ${at?.toISOString()}`, () => t.clock.nextTimer?.getTime() === at?.getTime());

  it("sleeps until the next warning and end, re-armed by a new grant, and ends each at its time", async () => {
    const ask = async (id: string) => {
      const res = await t.app.request(
        "/api/v1/requests",
        json(
          {
            app: "jira",
            resource: { id, name: null, url: `https://acme.atlassian.net/browse/${id}` },
            message: "no access",
            duration: "1h",
            reason: "clock",
          },
          bearer(token),
        ),
      );
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };

    // Nothing is due: the loop waits on no time of the clock.
    expect(t.clock.nextTimer).toBeNull();
    const first = await grantOf(await ask("CLK-1"));
    expect(first.state).toBe("active");
    // Its 10-minute warning is its soonest time: the creating transaction's NOTIFY armed the clock for it.
    expect(clockTimeOf(first)).toEqual(first.warnAt);
    await armedAt(first.warnAt);

    // A grant asked for later ends later: the clock stays armed for the first one's warning.
    t.clock.advance(60_000);
    const second = await grantOf(await ask("CLK-2"));
    await new Promise((r) => setTimeout(r, 100));
    await armedAt(first.warnAt);

    const warnAt = first.warnAt as Date;
    const endsAt = first.endsAt as Date;
    t.clock.advance(warnAt.getTime() - t.clock.now().getTime() - 1);
    await new Promise((r) => setTimeout(r, 100));
    expect((await grantOf(first.requestId)).warnAt).toEqual(warnAt);

    // At its time exactly: the warning goes, and the clock moves on to the second grant's warning.
    t.clock.advance(1);
    await armedAt(second.warnAt);
    expect((await grantOf(first.requestId)).warnAt).toBeNull();

    t.clock.advance((second.warnAt as Date).getTime() - t.clock.now().getTime());
    await armedAt(endsAt);
    expect((await grantOf(first.requestId)).state).toBe("active");

    // The end, to the millisecond: the grant ends, recording that it was not late at all.
    t.clock.advance(endsAt.getTime() - t.clock.now().getTime());
    const [ended] = await waitFor("the first grant's end in the audit trail", async () => {
      const rows = await t.relay.database.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.grantId, first.id), eq(auditEvents.action, "grant.expired")));
      return rows.length > 0 && rows;
    });
    expect((await grantOf(first.requestId)).state).toBe("expired");
    expect(ended?.data).toMatchObject({ lateByMs: 0 });
    expect(ended?.at).toEqual(endsAt);
    await armedAt(second.endsAt);
    expect((await grantOf(second.requestId)).state).toBe("active");
  });
});
