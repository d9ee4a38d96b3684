import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { verifyChain } from "../src/audit/chain.ts";
import { auditEvents, grants, requests } from "../src/db/schema/index.ts";
import { expireDueGrants } from "../src/grants/expiry.ts";
import { bearer, docsRequest, engines, json, linkFrom, mailsTo, signedInSuite, submitForm } from "./harness.ts";

describe.each(engines)("access loop through the API ($name)", (engine) => {
  const suite = signedInSuite(engine, "dana@acme.test");

  it("identifies the device and keeps the token out of every stored row", async () => {
    const me = await suite.t.app.request("/api/v1/me", { headers: bearer(suite.token) });
    expect(await me.json()).toMatchObject({ user: { email: "dana@acme.test", name: "Dana Whitfield" } });
    const dump = JSON.stringify(await suite.t.relay.database.db.execute("select * from devices"));
    expect(dump).not.toContain(suite.token);
  });

  it("previews without writing anything", async () => {
    const before = await suite.t.relay.database.db.select().from(requests);
    const res = await suite.t.app.request(
      "/api/v1/requests/preview",
      json({ app: "google-docs", resource: docsRequest().resource }, bearer(suite.token)),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      flow: { id: "docs" },
      approval: "steps",
      approvers: [{ email: "lee@acme.test", name: "Lee Okafor" }],
      durations: ["1h", "4h"],
    });
    expect(await suite.t.relay.database.db.select().from(requests)).toHaveLength(before.length);
  });

  it("requests, approves through the emailed link, grants, pushes and expires exactly once", async () => {
    const created = await suite.t.app.request("/api/v1/requests", json(docsRequest(), bearer(suite.token)));
    expect(created.status).toBe(201);
    const view = (await created.json()) as { id: string; state: string };
    expect(view.state).toBe("pending");

    const [mail] = await mailsTo(suite.t, "lee@acme.test");
    expect(mail?.subject).toContain("Dana Whitfield");
    const link = linkFrom(mail?.text ?? "", "/decide/");

    // GET renders the confirmation page and changes nothing (link scanners).
    for (let i = 0; i < 3; i++) expect((await suite.t.app.request(link)).status).toBe(200);
    const [still] = await suite.t.relay.database.db.select().from(requests).where(eq(requests.id, view.id));
    expect(still?.state).toBe("pending");

    const decided = await submitForm(suite.t, link, { decision: "approve", duration: "4h" });
    expect(decided.status).toBe(200);
    expect(await decided.text()).toContain('data-outcome="approved"');

    const [grant] = await suite.t.relay.database.db.select().from(grants).where(eq(grants.requestId, view.id));
    expect(grant?.state).toBe("active");
    expect(grant?.endsAt?.getTime()).toBe(suite.t.clock.now().getTime() + 4 * 3_600_000);

    const notices = await suite.t.app.request("/api/v1/notices?after=0", { headers: bearer(suite.token) });
    const list = (await notices.json()) as { notices: { kind: string; request: { id: string } }[]; cursor: number };
    expect(list.notices.map((n) => n.kind)).toEqual(["grant.started"]);

    // Not yet due: nothing ends.
    suite.t.clock.advance(4 * 3_600_000 - 1000);
    expect(await expireDueGrants(suite.t.relay)).toEqual([]);
    suite.t.clock.advance(1000);
    const [a, b] = await Promise.all([expireDueGrants(suite.t.relay), expireDueGrants(suite.t.relay)]);
    expect([...(a ?? []), ...(b ?? [])]).toEqual([grant?.id]);
    expect(await expireDueGrants(suite.t.relay)).toEqual([]);

    const after = await suite.t.app.request(`/api/v1/notices?after=${list.cursor}`, { headers: bearer(suite.token) });
    const rest = (await after.json()) as { notices: { kind: string; grant: { state: string } }[] };
    expect(rest.notices.map((n) => [n.kind, n.grant.state])).toEqual([["grant.ended", "expired"]]);

    const expiredEvents = await suite.t.relay.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "grant.expired"), eq(auditEvents.grantId, grant?.id ?? "")));
    expect(expiredEvents).toHaveLength(1);
  });

  it("asks for a ticket and a duration within the flow's maximum, and shows the ticket to the approver", async () => {
    const body = (extra: Record<string, unknown>) =>
      json(
        { app: "postgres", resource: { id: "orders", name: null, url: "https://db.acme.test/orders" }, reason: "migration", ...extra },
        bearer(suite.token),
      );
    const preview = await suite.t.app.request("/api/v1/requests/preview", body({}));
    expect(await preview.json()).toMatchObject({ flow: { id: "prod-db" }, ticketPattern: "^(OPS|INC)-[0-9]+$", durations: ["30m"] });

    const noTicket = await suite.t.app.request("/api/v1/requests", body({ duration: "30m" }));
    expect(noTicket.status).toBe(400);
    expect(await noTicket.json()).toMatchObject({ code: "ticket_invalid" });
    const tooLong = await suite.t.app.request("/api/v1/requests", body({ duration: "3h", ticket: "OPS-12" }));
    expect(await tooLong.json()).toMatchObject({ code: "duration_exceeds_max" });

    const ok = await suite.t.app.request("/api/v1/requests", body({ duration: "90m", ticket: "OPS-12" })); // custom, under the 2h max
    expect(ok.status).toBe(201);
    const view = (await ok.json()) as { id: string };
    const [row] = await suite.t.relay.database.db.select().from(requests).where(eq(requests.id, view.id));
    expect(row).toMatchObject({ ticket: "OPS-12", duration: "90m" });
    const mail = (await mailsTo(suite.t, "lee@acme.test")).find((m) => m.text?.includes("OPS-12"));
    expect(mail?.text).toContain("Ticket:    OPS-12");
    const page = await (await suite.t.app.request(linkFrom(mail?.text ?? "", "/decide/"))).text();
    expect(page).toContain('data-testid="ticket">OPS-12<');
  });

  it("routes to the resource's owners from the stored policy", async () => {
    const res = await suite.t.app.request(
      "/api/v1/requests/preview",
      json({ app: "notion", resource: { id: "acme/roadmap", name: null, url: "https://www.notion.so/acme/roadmap" } }, bearer(suite.token)),
    );
    expect(await res.json()).toMatchObject({ flow: { id: "notion" }, approvers: [{ email: "priya@acme.test" }] });
  });

  it("waits for a quorum: two distinct approvals of the security group", async () => {
    const created = await suite.t.app.request(
      "/api/v1/requests",
      json(
        {
          app: "vault",
          resource: { id: "prod/db", name: null, url: "https://vault.acme.test/ui/prod/db" },
          duration: "1h",
          reason: "rotate",
        },
        bearer(suite.token),
      ),
    );
    expect(created.status).toBe(201);
    const view = (await created.json()) as { id: string };
    const linkFor = async (to: string) => {
      const mail = (await mailsTo(suite.t, to)).find((m) => m.text?.includes(view.id) || m.subject?.includes("vault"));
      return linkFrom(mail?.text ?? "", "/decide/");
    };
    const first = await submitForm(suite.t, await linkFor("priya@acme.test"), { decision: "approve", duration: "1h" });
    expect(first.status).toBe(200);
    const [after1] = await suite.t.relay.database.db.select().from(requests).where(eq(requests.id, view.id));
    expect(after1?.state).toBe("pending");

    await submitForm(suite.t, await linkFor("sam@acme.test"), { decision: "approve", duration: "1h" });
    const [after2] = await suite.t.relay.database.db.select().from(requests).where(eq(requests.id, view.id));
    expect(after2?.state).toBe("approved");
    const [grant] = await suite.t.relay.database.db.select().from(grants).where(eq(grants.requestId, view.id));
    expect(grant?.state).toBe("active");
  });

  it("grants at once when the flow is auto, still through the server's policy", async () => {
    const res = await suite.t.app.request(
      "/api/v1/requests",
      json(
        { ...docsRequest(), app: "jira", resource: { id: "OPS-1", name: null, url: "https://acme.atlassian.net/browse/OPS-1" } },
        bearer(suite.token),
      ),
    );
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ state: "approved", grant: { state: "active" } });
  });

  it("records an audit event for every change, in a chain that verifies", async () => {
    const actions = (await suite.t.relay.database.db.select().from(auditEvents)).map((e) => e.action);
    for (const a of [
      "config.applied",
      "device.sign_in_started",
      "device.sign_in_confirmed",
      "device.paired",
      "request.created",
      "request.step_opened",
      "approval.approved",
      "request.approved",
      "grant.started",
      "grant.expired",
    ]) {
      expect(actions).toContain(a);
    }
    expect(await verifyChain(suite.t.relay.database.db)).toMatchObject({ ok: true });
    // Tampering with any event breaks the chain at that event.
    const [victim] = await suite.t.relay.database.db.select().from(auditEvents).where(eq(auditEvents.action, "approval.approved"));
    await suite.t.relay.database.db
      .update(auditEvents)
      .set({ actor: "mallory@acme.test" })
      .where(eq(auditEvents.id, victim?.id ?? 0));
    expect(await verifyChain(suite.t.relay.database.db)).toMatchObject({ ok: false, brokenAt: victim?.id, reason: "hash" });
  });

  it("signs the device out for good", async () => {
    expect((await suite.t.app.request("/api/v1/devices/current", { method: "DELETE", headers: bearer(suite.token) })).status).toBe(204);
    const res = await suite.t.app.request("/api/v1/me", { headers: bearer(suite.token) });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });
});
