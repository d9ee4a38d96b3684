import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../src/audit/chain.ts";
import { deliverDue } from "../src/channels/outbox.ts";
import { auditEvents, grants, outbox } from "../src/db/schema/index.ts";
import { sendProviderCalls } from "../src/grants/effects.ts";
import { AdminBrowser } from "./admin-harness.ts";
import { bearer, type Engine, engines, json, PUBLIC_URL, signIn, startTestRelay, type TestRelay } from "./harness.ts";
import { ScimPeer } from "./scim-peer.ts";

/**
 * What admins do with grants in the admin UI: off-board a person from their
 * page (every live grant revoked through the lifecycle, one provider revoke
 * each), see at once on every page that a provider call gave up, and retry
 * such a call from Deliveries through the grant's own retry. Against a SCIM
 * service on loopback (scimmy), provider calls sent by the outbox worker.
 */
const SCIM_TOKEN = "scim-admin-test-token-0123456789";
process.env.GH_ADMIN_TEST_SCIM_TOKEN = SCIM_TOKEN;

const policy = (scimUrl: string) => `admins: [ops@acme.test]
directory:
  users:
    - { email: dana@acme.test, name: Dana Whitfield, manager: lee@acme.test }
    - { email: lee@acme.test, name: Lee Okafor }
    - { email: ops@acme.test, name: Ops Desk }
providers:
  - { id: acme-scim, type: scim, url: "${scimUrl}", token: "\${env:GH_ADMIN_TEST_SCIM_TOKEN}", groupBy: displayName, timeout: 1s }
flows:
  - id: sheets
    name: Sheets (auto, SCIM)
    apps: [google-sheets]
    approval: auto
    durations: { choices: [1h] }
    grant: { provider: acme-scim, target: { group: "{{ resource.id }}" } }
`;

const sheet = (id: string) => ({
  app: "google-sheets",
  resource: { id, name: `Sheet ${id}`, url: `https://google-sheets.example/${id}` },
  message: "You need access",
  duration: "1h",
  reason: "work",
});

describe.each(engines)("admin UI: grants ($name)", (engine: Engine) => {
  let t: TestRelay;
  const tokens: Record<string, string> = {};
  const scim = new ScimPeer({ token: SCIM_TOKEN });

  beforeAll(async () => {
    await scim.start();
    const dir = mkdtempSync(join(tmpdir(), "gh-admin-grants-"));
    const file = join(dir, "gatehouse.yaml");
    writeFileSync(file, policy(scim.url));
    t = await startTestRelay(engine, { GATEHOUSE_CONFIG: file });
    for (const email of ["dana@acme.test", "lee@acme.test"]) {
      tokens[email] = await signIn(t, email);
      scim.addUser(email);
    }
  });
  afterAll(async () => {
    await t.close();
    await scim.stop();
  });

  const db = () => t.relay.database.db;
  const work = async () => {
    while ((await deliverDue(t.relay, { mail: null, provider: sendProviderCalls })) > 0) {}
  };
  const requestAs = async (email: string, id: string) => {
    const res = await t.app.request("/api/v1/requests", json(sheet(id), bearer(tokens[email] ?? "")));
    expect(res.status, await res.clone().text()).toBe(201);
    const { id: requestId } = (await res.json()) as { id: string };
    const [g] = await db().select().from(grants).where(eq(grants.requestId, requestId));
    if (!g) throw new Error("no grant");
    return g;
  };
  const grant = async (id: string) => (await db().select().from(grants).where(eq(grants.id, id)))[0];
  const callsOf = async (id: string) =>
    (await db().select().from(outbox).where(eq(outbox.grantId, id)).orderBy(asc(outbox.createdAt))).map((c) => [c.action, c.state]);
  const admin = async () => {
    const b = new AdminBrowser(t);
    await b.signIn("ops@acme.test");
    return b;
  };

  it("revokes all of a person's access from their page, with a reason and the page's CSRF token, queueing one provider revoke each", async () => {
    for (const g of ["off-1", "off-2", "off-lee"]) scim.addGroup(g);
    const d1 = await requestAs("dana@acme.test", "off-1");
    const d2 = await requestAs("dana@acme.test", "off-2");
    const l1 = await requestAs("lee@acme.test", "off-lee");
    await work();
    for (const g of [d1, d2, l1]) expect((await grant(g.id))?.state).toBe("active");
    const b = await admin();

    // The person's page lists their live grants (and nobody else's) and offers the off-boarding.
    const page = await b.get("/admin/users/dana@acme.test");
    expect(page.status).toBe(200);
    const listed = [...page.text.matchAll(/<tr data-grant="([^"]+)">/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual([d1.id, d2.id].sort());
    expect(page.text).toMatch(/google-sheets · Sheet off-[\s\S]*data-grant-state="active"/);
    expect(page.text).toContain('data-testid="revoke-all"');
    expect(page.text).toContain("Revoke all access…");
    expect(page.text).toMatch(/<input id="f-reason" name="reason"[^>]* required/);

    // Without the page's CSRF token: refused, nothing changes.
    const forged = await b.request("/admin/users/dana@acme.test/revoke-all", {
      method: "POST",
      headers: { origin: PUBLIC_URL, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ reason: "off-boarding" }).toString(),
    });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('data-testid="csrf-problem"');
    // Without a reason: refused beside the field, nothing changes.
    const bare = await b.submit("/admin/users/dana@acme.test", { reason: "  " }, "/admin/users/dana@acme.test/revoke-all");
    expect(bare.status).toBe(422);
    expect(bare.text).toContain('data-error-for="reason"');
    for (const g of [d1, d2]) expect((await grant(g.id))?.state).toBe("active");
    expect(
      await db()
        .select()
        .from(outbox)
        .where(and(eq(outbox.channel, "provider"), eq(outbox.action, "revoke"))),
    ).toHaveLength(0);

    const done = await b.submit("/admin/users/dana@acme.test", { reason: "left the company" }, "/admin/users/dana@acme.test/revoke-all");
    expect(done.status).toBe(303);
    expect(done.location).toBe("/admin/users/dana%40acme.test?done=access-revoked&n=2#access");
    expect((await b.get(done.location ?? "")).text).toContain(
      "2 grants revoked; where they were provisioned, the providers are asked to remove the access.",
    );

    // Each of Dana's grants is revoking with its revoke call queued (sent after commit); Lee's is untouched.
    for (const g of [d1, d2]) {
      expect(await grant(g.id)).toMatchObject({ state: "revoking", endReason: "revoked" });
      expect(await callsOf(g.id)).toEqual([
        ["grant", "sent"],
        ["revoke", "pending"],
      ]);
    }
    expect((await grant(l1.id))?.state).toBe("active");
    expect(await callsOf(l1.id)).toEqual([["grant", "sent"]]);
    const trail = await db().select().from(auditEvents).orderBy(asc(auditEvents.id));
    expect(trail.filter((e) => e.action === "grant.revoking" && e.actor === "ops@acme.test").map((e) => [e.grantId, e.data])).toEqual(
      expect.arrayContaining([
        [d1.id, expect.objectContaining({ by: "ops@acme.test", note: "left the company", reason: "revoked" })],
        [d2.id, expect.objectContaining({ by: "ops@acme.test", note: "left the company", reason: "revoked" })],
      ]),
    );
    expect(trail.at(-1)).toMatchObject({
      actor: "ops@acme.test",
      action: "user.access_revoked",
      data: { subject: "dana@acme.test", reason: "left the company", revoked: 2 },
    });

    await work();
    for (const g of [d1, d2]) expect((await grant(g.id))?.state).toBe("revoked");
    expect(scim.isMember("off-1", "dana@acme.test")).toBe(false);
    expect(scim.isMember("off-2", "dana@acme.test")).toBe(false);
    expect(scim.isMember("off-lee", "lee@acme.test")).toBe(true);
    const after = await b.get("/admin/users/dana@acme.test");
    expect(after.text).toContain('data-testid="person-grants-none"');
    expect(after.text).not.toContain('data-testid="revoke-all"');
    expect((await verifyChain(db())).ok).toBe(true);
  });

  it("shows a banner on every admin page while a grant is failed; Deliveries' retry retries the grant, which then becomes active", async () => {
    const b = await admin();
    expect((await b.get("/admin/flows")).text).not.toContain('data-testid="failed-grants"');
    const g = await requestAs("dana@acme.test", "missing-group"); // SCIM has no such group yet: permanent failure
    await work();
    expect(await grant(g.id)).toMatchObject({ state: "failed", failedAction: "grant" });

    for (const path of ["/admin/flows", "/admin/requests", "/admin/directory", "/admin/audit", "/admin/deliveries"]) {
      const res = await b.get(path);
      expect(res.text, path).toMatch(/data-testid="failed-grants"><strong>1 grant needs attention<\/strong> — a provider call gave up/);
    }
    const list = await b.get("/admin/requests?state=grant_failed");
    expect(list.text).toContain(`data-request="${g.requestId}"`);
    expect(list.text).toMatch(/grant gave up: .*missing-group/);
    expect(list.text.match(/<tr data-request=/g)).toHaveLength(1);

    // The provider call's Retry on Deliveries is the grant's retry, and says so.
    const [call] = await db()
      .select()
      .from(outbox)
      .where(and(eq(outbox.grantId, g.id), eq(outbox.action, "grant")));
    const deliveries = await b.get("/admin/deliveries?state=failed");
    expect(deliveries.text).toMatch(new RegExp(`data-testid="retry-${call?.id}">Retry grant<`));
    scim.addGroup("missing-group");
    const retried = await b.submit("/admin/deliveries?state=failed", {}, `/admin/deliveries/${call?.id}/retry`);
    expect(retried.location).toBe("/admin/deliveries?done=grant-retried");
    expect(await grant(g.id)).toMatchObject({ state: "provisioning", failedAction: null });
    const [again] = await db()
      .select()
      .from(outbox)
      .where(eq(outbox.id, call?.id ?? ""));
    expect(again).toMatchObject({ state: "pending", attempts: 0, key: `${g.id}:grant:0` });
    const retriedEvent = (await db().select().from(auditEvents).where(eq(auditEvents.grantId, g.id))).find(
      (e) => e.action === "grant.retried",
    );
    expect(retriedEvent).toMatchObject({ actor: "ops@acme.test", data: { action: "grant" } });
    expect((await b.get("/admin/flows")).text).not.toContain('data-testid="failed-grants"');

    await work();
    expect((await grant(g.id))?.state).toBe("active");
    expect(scim.isMember("missing-group", "dana@acme.test")).toBe(true);
    const keys = scim.requests.filter((r) => r.method === "PATCH").map((r) => r.headers["idempotency-key"]);
    expect(keys.filter((k) => String(k).startsWith(g.id))).toEqual([`${g.id}:grant:0`]);
  });

  it("does not send again a failed provider call its grant no longer waits on: the row links to the grant", async () => {
    const g = await requestAs("dana@acme.test", "never-made");
    await work();
    expect((await grant(g.id))?.state).toBe("failed");
    const b = await admin();
    // The admin revokes the failed grant from its request's page: the grant call stays dead-lettered.
    const revoked = await b.submit(
      `/admin/requests/${g.requestId}`,
      { action: "revoke", reason: "not needed" },
      `/admin/requests/${g.requestId}/grant`,
    );
    expect(revoked.location).toBe(`/admin/requests/${g.requestId}?done=grant-revoked`);
    expect((await b.get(revoked.location ?? "")).text).toContain(
      "Grant revoked; where it was provisioned, the provider is asked to remove the access.",
    );
    expect((await grant(g.id))?.state).toBe("revoking");

    const [call] = await db()
      .select()
      .from(outbox)
      .where(and(eq(outbox.grantId, g.id), eq(outbox.action, "grant")));
    expect(call?.state).toBe("failed");
    const deliveries = await b.get("/admin/deliveries?state=failed");
    expect(deliveries.text).not.toContain(`data-testid="retry-${call?.id}"`);
    expect(deliveries.text).toContain(`data-testid="grant-of-${call?.id}"`);
    const res = await b.submit("/admin/deliveries?state=failed", {}, `/admin/deliveries/${call?.id}/retry`);
    expect(res.location).toBe("/admin/deliveries?done=delivery-not-retried");
    expect(
      (
        await db()
          .select()
          .from(outbox)
          .where(eq(outbox.id, call?.id ?? ""))
      )[0]?.state,
    ).toBe("failed");
    expect((await grant(g.id))?.state).toBe("revoking");
    await work();
    expect((await grant(g.id))?.state).toBe("revoked");
  });
});
