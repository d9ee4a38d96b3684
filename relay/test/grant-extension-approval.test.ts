import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asc, desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, grants, requests } from "../src/db/schema/index.ts";
import { expireDueGrants } from "../src/grants/expiry.ts";
import { bearer, type Engine, engines, json, linkFrom, mailsTo, signIn, startTestRelay, submitForm, type TestRelay } from "./harness.ts";

/**
 * Extensions the flow wants approved (`extend.reapprove`): the requester's
 * Extend asks the approvers instead of moving the end; the end moves only
 * when they approve, within the flow's rules as they are then; one
 * extension waits at a time per grant; a rejection leaves the access as it
 * is; an approval that comes after the access ended gives new access.
 */
const POLICY = `admins: [ops@acme.test]
directory:
  users:
    - { email: dana@acme.test, name: Dana Whitfield, manager: lee@acme.test }
    - { email: lee@acme.test, name: Lee Okafor }
    - { email: ops@acme.test, name: Ops Desk }
flows:
  - id: docs
    name: Google Docs
    apps: [google-docs]
    approval: { steps: [{ approvers: [manager] }] }
    durations: { choices: [1h] }
    extend: { allowed: true, times: 2, by: 30m, max: 3h, reapprove: true }
`;

type GrantJson = {
  id: string;
  state: string;
  endsAt: string | null;
  extend: { by: string; remaining: number | null; approval: boolean } | null;
  extensionRequest: { id: string; state: string } | null;
};
type ViewJson = { id: string; state: string; reason: string; grant: GrantJson | null };

describe.each(engines)("extensions that need approval ($name)", (engine: Engine) => {
  let t: TestRelay;
  let token: string;

  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), "gh-extend-")), "gatehouse.yaml");
    writeFileSync(file, POLICY);
    t = await startTestRelay(engine, { GATEHOUSE_CONFIG: file });
    token = await signIn(t, "dana@acme.test");
  });
  afterAll(() => t.close());

  const post = (path: string, body: unknown = {}) => {
    t.clock.advance(1_000);
    return t.app.request(path, json(body, bearer(token)));
  };
  /** Lee's newest decision link, decided. */
  const decideLatest = async (decision: "approve" | "reject", duration = "1h") => {
    const [mail] = await mailsTo(t, "lee@acme.test");
    const fields: Record<string, string> = decision === "approve" ? { decision, duration } : { decision, note: "Not now" };
    const res = await submitForm(t, linkFrom(mail?.text ?? "", "/decide/"), fields);
    expect(res.status).toBe(200);
  };
  const activeGrant = async (resource: string): Promise<{ requestId: string; grant: GrantJson }> => {
    t.clock.advance(1_000); // each mail its own time, so "newest" is one mail
    const created = await post("/api/v1/requests", {
      app: "google-docs",
      resource: { id: resource, name: null, url: `https://docs.google.com/document/d/${resource}/edit` },
      message: "You need access",
      duration: "1h",
      reason: "Board deck",
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as ViewJson;
    await decideLatest("approve");
    const view = (await (await t.app.request(`/api/v1/requests`, { headers: bearer(token) })).json()) as { requests: ViewJson[] };
    const mine = view.requests.find((r) => r.id === id);
    if (!mine?.grant) throw new Error("no grant");
    return { requestId: id, grant: mine.grant };
  };
  const endOf = async (grantId: string) =>
    (await t.relay.database.db.select().from(grants).where(eq(grants.id, grantId)))[0]?.endsAt?.getTime() ?? null;

  it("asks the approvers, moves the end only on their approval, and one extension waits at a time", async () => {
    const { requestId, grant } = await activeGrant("doc-ext-a");
    expect(grant).toMatchObject({ state: "active", extend: { by: "30m", remaining: 2, approval: true }, extensionRequest: null });
    const before = await endOf(grant.id);

    const asked = await post(`/api/v1/grants/${grant.id}/extend`);
    expect(asked.status).toBe(200);
    const view = (await asked.json()) as ViewJson;
    // The end has not moved; the grant says an extension waits, and offers no second one.
    expect(view.id).toBe(requestId);
    expect(view.grant?.extend).toBeNull();
    expect(view.grant?.extensionRequest).toMatchObject({ state: "pending" });
    expect(await endOf(grant.id)).toBe(before);
    const [extension] = await t.relay.database.db.select().from(requests).where(eq(requests.extendsGrantId, grant.id));
    expect(extension).toMatchObject({ state: "pending", duration: "30m", app: "google-docs", resourceId: "doc-ext-a" });
    expect(extension?.reason).toMatch(/^Extend access by 30m/);

    const twice = await post(`/api/v1/grants/${grant.id}/extend`);
    expect(twice.status).toBe(409);
    expect(await twice.json()).toMatchObject({ code: "extension_pending" });

    // Lee's mail is about the extension; approving it moves the end by 30 minutes, and no new grant is made.
    const [mail] = await mailsTo(t, "lee@acme.test");
    expect(mail?.text).toMatch(/Extend access by 30m/);
    await decideLatest("approve", "30m");
    expect(await endOf(grant.id)).toBe((before ?? 0) + 30 * 60_000);
    expect(
      await t.relay.database.db
        .select()
        .from(grants)
        .where(eq(grants.requestId, extension?.id ?? "")),
    ).toEqual([]);
    const trail = (
      await t.relay.database.db.select().from(auditEvents).where(eq(auditEvents.grantId, grant.id)).orderBy(asc(auditEvents.id))
    ).map((e) => [e.action, e.actor]);
    expect(trail).toContainEqual(["grant.extended", "lee@acme.test"]);

    // Once approved, the next extension can be asked for again (the flow allows two).
    const listed = (await (await t.app.request(`/api/v1/requests`, { headers: bearer(token) })).json()) as { requests: ViewJson[] };
    expect(listed.requests.find((r) => r.id === requestId)?.grant).toMatchObject({
      extend: { by: "30m", remaining: 1, approval: true },
      extensionRequest: null,
      endsAt: new Date((before ?? 0) + 30 * 60_000).toISOString(),
    });
  });

  it("leaves the access as it is when the extension is rejected", async () => {
    const { grant } = await activeGrant("doc-ext-b");
    const before = await endOf(grant.id);
    expect((await post(`/api/v1/grants/${grant.id}/extend`)).status).toBe(200);
    await decideLatest("reject");
    expect(await endOf(grant.id)).toBe(before);
    const [extension] = await t.relay.database.db
      .select()
      .from(requests)
      .where(eq(requests.extendsGrantId, grant.id))
      .orderBy(desc(requests.createdAt));
    expect(extension?.state).toBe("rejected");
    // A rejected extension does not block asking again.
    expect((await post(`/api/v1/grants/${grant.id}/extend`)).status).toBe(200);
  });

  it("gives new access when the extension is approved after the access ended", async () => {
    const { grant } = await activeGrant("doc-ext-c");
    expect((await post(`/api/v1/grants/${grant.id}/extend`)).status).toBe(200);
    const [extension] = await t.relay.database.db.select().from(requests).where(eq(requests.extendsGrantId, grant.id));
    t.clock.advance(61 * 60_000);
    expect(await expireDueGrants(t.relay)).toContain(grant.id);
    await decideLatest("approve", "30m");
    const [fresh] = await t.relay.database.db
      .select()
      .from(grants)
      .where(eq(grants.requestId, extension?.id ?? ""));
    expect(fresh).toMatchObject({ state: "active", duration: "30m" });
    expect(fresh?.endsAt?.getTime()).toBe(t.clock.now().getTime() + 30 * 60_000);
  });

  it("refuses to ask for what the rules would not give", async () => {
    const { grant } = await activeGrant("doc-ext-d");
    const tooLong = await post(`/api/v1/grants/${grant.id}/extend`, { by: "2h" });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({ code: "duration_exceeds_max" });
    expect(await t.relay.database.db.select().from(requests).where(eq(requests.extendsGrantId, grant.id))).toEqual([]);
  });
});
