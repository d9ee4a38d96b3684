import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../src/audit/chain.ts";
import type { Database } from "../src/db/client.ts";
import { auditEvents, auditInbox, notices } from "../src/db/schema/index.ts";
import { appendAudit, appendNotice, unitOfWork } from "../src/db/unit-of-work.ts";
import { engines, latch } from "./harness.ts";

// The trail is chained after commit, without a lock writers share. Real PostgreSQL only: PGlite runs one
// transaction at a time, so there is no interleaving to get wrong there.
const postgres = engines.find((e) => e.name === "postgres");

const event = (action: string) => ({ at: new Date("2026-12-04T10:00:00Z"), actor: "test", action });
const notice = (userId: string) => ({
  userId,
  kind: "request.approved",
  requestId: "00000000-0000-4000-8000-000000000001",
  grantId: null,
  createdAt: new Date(),
});
const USER_A = "00000000-0000-4000-8000-00000000000a";
const USER_B = "00000000-0000-4000-8000-00000000000b";

describe.runIf(postgres)("the audit chain after commit (PostgreSQL)", () => {
  let database: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ database, drop } = await (postgres as NonNullable<typeof postgres>).open());
    await database.migrate();
  });
  afterAll(() => drop());

  it("a writer does not wait for another's open transaction, and the chain follows commit order", async () => {
    const { db } = database;
    // A: writes its event and a notice, then stays open.
    const gateLatch = latch();
    const aWroteLatch = latch();
    const a = db.transaction(async (tx) => {
      await appendAudit(tx, event("first.started"));
      await appendNotice(tx, notice(USER_A));
      aWroteLatch.open();
      await gateLatch.opened;
    });
    await aWroteLatch.opened;

    // B: starts after A, commits while A is open — with a shared chain lock it would wait for A here.
    const b = unitOfWork(db, async (tx) => {
      await appendAudit(tx, event("second.committed"));
      await appendNotice(tx, notice(USER_B));
    });
    // B returned: its event is committed and chained while A still holds its transaction open.
    await b;
    expect((await db.select().from(auditEvents)).map((e) => e.action)).toEqual(["second.committed"]);

    gateLatch.open();
    await a;
    // A's event, committed last, is chained after B's: the chain follows commit order, never inserting behind its head.
    await unitOfWork(db, (tx) => appendAudit(tx, event("third.after")));
    const chain = await db.select().from(auditEvents).orderBy(asc(auditEvents.id));
    expect(chain.map((e) => e.action)).toEqual(["second.committed", "first.started", "third.after"]);
    expect(await db.select().from(auditInbox)).toHaveLength(0);
    expect(await verifyChain(db)).toMatchObject({ ok: true, count: 3 });
    expect((await db.select().from(notices)).map((n) => n.userId).sort()).toEqual([USER_A, USER_B]);
  });

  it("notices for one person follow commit order: a second writer for the same person waits for the first", async () => {
    const { db } = database;
    const gateLatch = latch();
    const firstLockedLatch = latch();
    const first = db.transaction(async (tx) => {
      await appendNotice(tx, notice(USER_A)); // takes USER_A's lock until commit
      firstLockedLatch.open();
      await gateLatch.opened;
    });
    await firstLockedLatch.opened;
    let secondDone = false;
    const second = unitOfWork(db, (tx) => appendNotice(tx, notice(USER_A))).then(() => {
      secondDone = true;
    });
    const other = unitOfWork(db, (tx) => appendNotice(tx, notice(USER_B)));
    await other; // someone else's notice does not wait
    expect(secondDone).toBe(false);
    gateLatch.open();
    await Promise.all([first, second]);
    const ids = (await db.select().from(notices).where(eq(notices.userId, USER_A)).orderBy(asc(notices.id))).map((n) => n.id);
    expect(ids).toHaveLength(3);
  });

  it("many concurrent writers: every event chained exactly once, the chain verifies", async () => {
    const { db } = database;
    const before = (await db.select().from(auditEvents)).length;
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        unitOfWork(db, async (tx) => {
          await appendAudit(tx, event(`load.${i}.a`));
          await appendAudit(tx, event(`load.${i}.b`));
        }),
      ),
    );
    const chain = await db.select().from(auditEvents).orderBy(asc(auditEvents.id));
    expect(chain.length - before).toBe(120);
    expect(new Set(chain.map((e) => e.action)).size).toBe(chain.length);
    // A transaction's events stay together and in their order.
    for (let i = 0; i < 60; i++) {
      const at = chain.findIndex((e) => e.action === `load.${i}.a`);
      expect(chain[at + 1]?.action).toBe(`load.${i}.b`);
    }
    expect(await verifyChain(db)).toMatchObject({ ok: true });
  });
});
