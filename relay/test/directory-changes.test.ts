import { readFileSync } from "node:fs";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.ts";
import { applyConfig } from "../src/config/sync.ts";
import { approvals, auditEvents, requests, users } from "../src/db/schema/index.ts";
import { bearer, docsRequest, engines, json, linkFrom, mailsTo, signedInSuite, submitForm, TEST_CONFIG } from "./harness.ts";

describe.each(engines)("directory changes ($name)", (engine) => {
  const suite = signedInSuite(engine, "dana@acme.test");
  const base = readFileSync(TEST_CONFIG, "utf8");
  /** Applies the test policy with each [from, to] replaced (each must occur), as a changed file would be. */
  const applyEdited = async (...edits: [string, string][]) => {
    let text = base;
    for (const [from, to] of edits) {
      expect(text).toContain(from);
      text = text.replace(from, to);
    }
    await applyConfig(suite.t.relay.database.db, parseConfig(text), suite.t.clock);
  };
  const restore = () => applyConfig(suite.t.relay.database.db, parseConfig(base), suite.t.clock);
  const requestRow = async (id: string) => (await suite.t.relay.database.db.select().from(requests).where(eq(requests.id, id)))[0];

  it("moves a pending request to error when its only approver is deactivated, with a note for admins", async () => {
    const created = await suite.t.app.request("/api/v1/requests", json(docsRequest("1StrandedDocAbCdEfGhIj"), bearer(suite.token)));
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    // Lee (Dana's manager, the docs flow's approver) leaves.
    await applyEdited(["{ email: lee@acme.test, name: Lee Okafor }", "{ email: lee@acme.test, name: Lee Okafor, active: false }"]);

    const row = await requestRow(id);
    expect(row?.state).toBe("error");
    expect(row?.decisionNote).toContain("lee@acme.test is no longer an approver");
    const events = await suite.t.relay.database.db.select().from(auditEvents).where(eq(auditEvents.requestId, id));
    expect(events.map((e) => e.action)).toContain("request.error");

    // The request view says so too.
    const mine = (await (await suite.t.app.request("/api/v1/requests", { headers: bearer(suite.token) })).json()) as {
      requests: { id: string; state: string }[];
    };
    expect(mine.requests.find((r) => r.id === id)?.state).toBe("error");
    await restore();
  });

  it("withdraws an approver who left the approving group: their link dies, the others' stay, and the last one leaving strands the request", async () => {
    const created = await suite.t.app.request(
      "/api/v1/requests",
      json(
        {
          app: "github",
          resource: { id: "acme-corp/left", name: null, url: "https://github.com/acme-corp/left" },
          duration: "1h",
          reason: "fix",
        },
        bearer(suite.token),
      ),
    );
    const { id } = (await created.json()) as { id: string };
    const samMail = (await mailsTo(suite.t, "sam@acme.test")).find((m) => m.requestId === id);
    const samLink = linkFrom(samMail?.text ?? "", "/decide/");

    const withoutSam: [string, string] = ["members: [priya@acme.test, sam@acme.test]", "members: [priya@acme.test]"];
    await applyEdited(withoutSam);
    const still = await requestRow(id);
    expect(still?.state).toBe("pending");
    const page = await suite.t.app.request(samLink);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('data-problem="not_approver"');
    const rows = await suite.t.relay.database.db.select().from(approvals).where(eq(approvals.requestId, id));
    expect(rows.map((r) => r.state).sort()).toEqual(["pending", "superseded"]);

    await applyEdited(["members: [priya@acme.test, sam@acme.test]", "members: []"]);
    const stranded = await requestRow(id);
    expect(stranded?.state).toBe("error");
    expect(stranded?.decisionNote).toContain("priya@acme.test is no longer an approver");
    const actions = (await suite.t.relay.database.db.select().from(auditEvents).where(eq(auditEvents.requestId, id))).map((e) => e.action);
    expect(actions.filter((a) => a === "approval.withdrawn")).toHaveLength(2);
    await restore();
  });

  it("withdraws the old manager when the requester's manager changes", async () => {
    const created = await suite.t.app.request("/api/v1/requests", json(docsRequest("1NewManagerDocAbCdEfGh"), bearer(suite.token)));
    const { id } = (await created.json()) as { id: string };
    await applyEdited(["manager: lee@acme.test", "manager: sam@acme.test"]);
    const row = await requestRow(id);
    expect(row?.state).toBe("error");
    expect(row?.decisionNote).toContain("lee@acme.test is no longer an approver");
    await restore();
  });

  const awsRequest = (account: string) =>
    json(
      {
        app: "aws",
        resource: { id: account, name: null, url: `https://${account}.signin.aws.amazon.com/console` },
        duration: "1h",
        reason: "r",
      },
      bearer(suite.token),
    );

  it("opens a later step under the policy of then: who left the group since the request was made is not asked", async () => {
    const { id } = (await (await suite.t.app.request("/api/v1/requests", awsRequest("202020202020"))).json()) as { id: string };
    await applyEdited(["members: [priya@acme.test, sam@acme.test]", "members: [priya@acme.test]"]);
    const lee = linkFrom((await mailsTo(suite.t, "lee@acme.test")).find((m) => m.requestId === id)?.text ?? "", "/decide/");
    expect(await (await submitForm(suite.t, lee, { decision: "approve", duration: "1h" })).text()).toContain('data-outcome="advanced"');
    const step2 = await suite.t.relay.database.db
      .select()
      .from(approvals)
      .where(and(eq(approvals.requestId, id), eq(approvals.step, 1)));
    const [priya] = await suite.t.relay.database.db.select().from(users).where(eq(users.email, "priya@acme.test"));
    expect(step2.map((a) => a.approverId)).toEqual([priya?.id]);
    expect((await mailsTo(suite.t, "sam@acme.test")).filter((m) => m.requestId === id)).toHaveLength(0);
    await restore();
  });

  it("moves a request to error when the person a decision was passed to leaves", async () => {
    const { id } = (await (await suite.t.app.request("/api/v1/requests", awsRequest("303030303030"))).json()) as { id: string };
    const lee = linkFrom((await mailsTo(suite.t, "lee@acme.test")).find((m) => m.requestId === id)?.text ?? "", "/decide/");
    expect(await (await submitForm(suite.t, lee, { decision: "escalate", to: "ops@acme.test" })).text()).toContain(
      'data-outcome="escalated"',
    );
    await applyEdited(["{ email: ops@acme.test, name: Ops Desk }", "{ email: ops@acme.test, name: Ops Desk, active: false }"]);
    const row = await requestRow(id);
    expect(row?.state).toBe("error");
    expect(row?.decisionNote).toContain("ops@acme.test is no longer an approver");
    await restore();
  });
});
