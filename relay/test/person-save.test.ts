import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { savePerson } from "../src/admin/person-save.ts";
import { requests, users } from "../src/db/schema/index.ts";
import { bearer, docsRequest, engines, json, latch, signedInSuite } from "./harness.ts";

// Saving one person from the admin UI is a row-level command: checked on its own, touching only the requests they take part in.
const pg = engines.find((e) => e.name === "postgres");
const ops = { email: "ops@acme.test" };
const meta = { ip: null, userAgent: null };

describe.each(engines)("saving one person ($name)", (engine) => {
  const suite = signedInSuite(engine, "dana@acme.test");
  const relay = () => suite.t.relay;

  it("refuses an unknown manager, an unknown time zone and a taken email, beside the field", async () => {
    const bad = await savePerson(
      relay(),
      ops,
      meta,
      null,
      { email: "new@acme.test", name: "New", manager: "nobody@acme.test", timezone: "Mars/Olympus" },
      false,
    );
    expect(bad).toMatchObject({
      ok: false,
      issues: [
        { path: ["directory", "users", 0, "manager"], message: "unknown user 'nobody@acme.test'" },
        { path: ["directory", "users", 0, "timezone"], message: "unknown time zone 'Mars/Olympus'" },
      ],
    });
    const taken = await savePerson(relay(), ops, meta, null, { email: "Lee@acme.test", name: "Another Lee" }, false);
    expect(taken).toMatchObject({ ok: false, issues: [{ message: "lee@acme.test is already in the directory" }] });
    expect(await relay().database.db.select().from(users).where(eq(users.email, "new@acme.test"))).toHaveLength(0);
  });

  it("creates and updates a person, and a directory change reaches the next request at once", async () => {
    expect(
      await savePerson(relay(), ops, meta, null, { email: "kim@acme.test", name: "Kim Lund", timezone: "Europe/Oslo" }, false),
    ).toEqual({
      ok: true,
      strandedRequests: 0,
    });
    // Dana's manager becomes Kim: the preview (the policy snapshot) follows at once.
    const dana = { email: "dana@acme.test", name: "Dana Whitfield", manager: "kim@acme.test" };
    expect((await savePerson(relay(), ops, meta, "dana@acme.test", dana, false)).ok).toBe(true);
    const preview = await suite.t.app.request(
      "/api/v1/requests/preview",
      json({ app: "google-docs", resource: docsRequest().resource }, bearer(suite.token)),
    );
    expect(((await preview.json()) as { approvers: { email: string }[] }).approvers.map((a) => a.email)).toEqual(["kim@acme.test"]);
    expect((await savePerson(relay(), ops, meta, "dana@acme.test", { ...dana, manager: "lee@acme.test" }, false)).ok).toBe(true);
  });

  it("deactivating the only approver strands their requests, and only theirs", async () => {
    const created = await suite.t.app.request("/api/v1/requests", json(docsRequest("1PersonSaveStrandAbCdEf"), bearer(suite.token)));
    const { id } = (await created.json()) as { id: string };
    const result = await savePerson(
      relay(),
      ops,
      meta,
      "lee@acme.test",
      { email: "lee@acme.test", name: "Lee Okafor", active: false },
      false,
    );
    expect(result).toEqual({ ok: true, strandedRequests: 1 });
    const [row] = await relay().database.db.select().from(requests).where(eq(requests.id, id));
    expect(row?.state).toBe("error");
    expect((await savePerson(relay(), ops, meta, "lee@acme.test", { email: "lee@acme.test", name: "Lee Okafor" }, false)).ok).toBe(true);
  });

  it.runIf(engine === pg)("does not wait on undecided requests the person has no part in", async () => {
    const created = await suite.t.app.request("/api/v1/requests", json(docsRequest("1PersonSaveLockedAbCdEf"), bearer(suite.token)));
    const { id } = (await created.json()) as { id: string };
    // Someone holds Dana's request (approver: Lee) locked; an edit of Priya, who has no part in it, goes through.
    const gateLatch = latch();
    const isLockedLatch = latch();
    const holder = relay().database.db.transaction(async (tx) => {
      await tx.select().from(requests).where(eq(requests.id, id)).for("update");
      isLockedLatch.open();
      await gateLatch.opened;
    });
    await isLockedLatch.opened;
    const saved = await savePerson(relay(), ops, meta, "priya@acme.test", { email: "priya@acme.test", name: "Priya R." }, false);
    expect(saved).toEqual({ ok: true, strandedRequests: 0 });
    gateLatch.open();
    await holder;
  });
});
