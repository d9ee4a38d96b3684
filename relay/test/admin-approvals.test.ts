import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, outbox, requests } from "../src/db/schema/index.ts";
import { AdminBrowser } from "./admin-harness.ts";
import { bearer, engines, json, linkFrom, mailsTo, signedInSuite, submitForm } from "./harness.ts";

const XSS = `<script>alert("x")</script>`;

describe.each(engines)("admin UI: requests, audit and deliveries ($name)", (engine) => {
  const suite = signedInSuite(engine, "dana@acme.test");
  let b: AdminBrowser;

  async function create(id: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await suite.t.app.request(
      "/api/v1/requests",
      json(
        {
          app: "aws",
          resource: { id, name: `${XSS} ${id}`, url: `https://console.aws.amazon.com/${id}` },
          duration: "1h",
          reason: XSS,
          ...extra,
        },
        bearer(suite.token),
      ),
    );
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  it("lists open requests and shows one's whole approval path, deliveries and trail, escaped", async () => {
    b = new AdminBrowser(suite.t);
    await b.signIn("ops@acme.test");
    const id = await create("acct-path");
    const lee = linkFrom((await mailsTo(suite.t, "lee@acme.test")).find((m) => m.requestId === id)?.text ?? "", "/decide/");
    await submitForm(suite.t, lee, { decision: "escalate", to: "ops@acme.test", escalateNote: "over to ops" });

    const list = await b.get("/admin/requests");
    expect(list.text).toContain(`data-request="${id}"`);
    expect(list.text).not.toContain("<script>");
    const page = await b.get(`/admin/requests/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("<script>");
    expect(page.text).toContain("&lt;script&gt;");
    expect(page.text).toContain('data-testid="request-state">escalated');
    // Who was asked, who passed it to whom, through which channel.
    expect(page.text).toMatch(/data-approver="lee@acme.test">[\s\S]*passed on to Ops Desk[\s\S]*email/);
    expect(page.text).toMatch(/data-approver="ops@acme.test">[\s\S]*passed on to them[\s\S]*pending/);
    expect(page.text).toContain('data-action="request.escalated"');
    expect(page.text).toMatch(/data-testid="request-deliveries"[\s\S]*slack[\s\S]*failed/);
  });

  it("lets an admin deny a request stuck in error; the requester is told", async () => {
    const id = await create("acct-error");
    await suite.t.relay.database.db
      .update(requests)
      .set({ state: "error", decisionNote: "Step 1 can no longer be approved" })
      .where(eq(requests.id, id));
    const res = await b.submit(`/admin/requests/${id}`, { action: "deny", note: "Ask your new manager" }, `/admin/requests/${id}/end`);
    expect(res.status).toBe(303);
    expect(res.location).toBe(`/admin/requests/${id}?done=request-deny`);
    const [row] = await suite.t.relay.database.db.select().from(requests).where(eq(requests.id, id));
    expect(row).toMatchObject({ state: "rejected", decisionNote: "Ask your new manager" });
    const notices = await suite.t.app.request("/api/v1/notices?after=0", { headers: bearer(suite.token) });
    const list = ((await notices.json()) as { notices: { kind: string; request: { id: string } }[] }).notices;
    expect(list.some((n) => n.kind === "request.rejected" && n.request.id === id)).toBe(true);
    // A second click changes nothing.
    const again = await b.submit(`/admin/requests/${id}`, { action: "cancel" }, `/admin/requests/${id}/end`);
    expect(again.location).toContain("request-not-open");
  });

  it("searches the audit log, pages it, and exports CSV and JSON Lines with every field", async () => {
    const found = await b.get("/admin/audit?action=request.escalated&verify=1");
    expect(found.text).toContain('data-testid="chain-ok"');
    expect(found.text).toMatch(/data-action="request.escalated"/);
    expect(found.text).not.toMatch(/data-action="request.created"/);
    const family = await b.get("/admin/audit?action=request.&q=lee%40acme");
    expect(family.text).not.toContain('data-action="approval.');

    const csv = await b.request("/admin/audit.csv?action=request.escalated");
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const text = await csv.text();
    const [header, ...rows] = text.trim().split("\n");
    expect(header).toBe("id,at,actor,action,requestId,grantId,data,ip,userAgent,prevHash,hash");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain("over to ops");

    const jsonl = await (await b.request("/admin/audit.jsonl")).text();
    const events = jsonl
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: number; hash: string; prevHash: string });
    const count = (await suite.t.relay.database.db.select({ n: sql<number>`count(*)` }).from(auditEvents))[0]?.n;
    expect(events).toHaveLength(Number(count));
    for (let i = 1; i < events.length; i++) expect(events[i]?.prevHash).toBe(events[i - 1]?.hash);
  });

  it("neutralises spreadsheet formulas in the CSV export", async () => {
    await suite.t.app.request("/api/v1/me", { headers: { ...bearer(suite.token), "user-agent": '=HYPERLINK("http://evil.test")' } });
    await suite.t.app.request(
      "/api/v1/requests",
      json(
        { app: "jira", resource: { id: "CSV-1", name: null, url: "https://acme.atlassian.net/browse/CSV-1" }, duration: "1h", reason: "x" },
        {
          ...bearer(suite.token),
          "user-agent": '=HYPERLINK("http://evil.test")',
        },
      ),
    );
    const text = await (await b.request("/admin/audit.csv?q=dana")).text();
    expect(text).toContain(`'=HYPERLINK(""http://evil.test"")`);
    expect(text).not.toMatch(/,=HYPERLINK/);
  });

  it("shows deliveries with their state, and retries a failed one", async () => {
    const page = await b.get("/admin/deliveries?state=failed");
    expect(page.text).toMatch(/data-state="failed"/);
    const [failed] = await suite.t.relay.database.db.select().from(outbox).where(eq(outbox.state, "failed")).limit(1);
    const res = await b.submit("/admin/deliveries?state=failed", {}, `/admin/deliveries/${failed?.id}/retry`);
    expect(res.status).toBe(303);
    const [after] = await suite.t.relay.database.db
      .select()
      .from(outbox)
      .where(eq(outbox.id, failed?.id ?? ""));
    expect(after).toMatchObject({ state: "pending", attempts: 0 });
    const [event] = await suite.t.relay.database.db.select().from(auditEvents).where(eq(auditEvents.action, "delivery.retried"));
    expect(event?.actor).toBe("ops@acme.test");
  });

  it("says where the chain breaks when an event was changed", async () => {
    const [victim] = await suite.t.relay.database.db.select().from(auditEvents).where(eq(auditEvents.action, "request.escalated"));
    await suite.t.relay.database.db
      .update(auditEvents)
      .set({ actor: "mallory@acme.test" })
      .where(eq(auditEvents.id, victim?.id ?? 0));
    expect((await b.get("/admin/audit")).text).toContain('data-testid="verify-chain"');
    const page = await b.get("/admin/audit?verify=1");
    expect(page.text).toContain('data-testid="chain-broken"');
    expect(page.text).toContain(`event ${victim?.id} does not match its hash`);
  });
});
