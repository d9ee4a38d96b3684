import { and, asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { verifyChain } from "../src/audit/chain.ts";
import { approvals, auditEvents, grants, outbox, requests } from "../src/db/schema/index.ts";
import { sweepRequests } from "../src/requests/sweep.ts";
import {
  bearer,
  docsRequest,
  engines,
  json,
  linkFrom,
  mailsTo,
  postWithCsrf,
  signedInSuite,
  signIn,
  submitForm,
  type TestRelay,
} from "./harness.ts";

const awsRequest = (account: string) => ({
  app: "aws",
  resource: { id: account, name: `Account ${account}`, url: `https://${account}.signin.aws.amazon.com/console` },
  message: "You are not authorized to perform this operation.",
  duration: "1h",
  reason: "Incident follow-up",
});

/** The newest decision link mailed to `email` about request `id`. */
async function linkFor(t: TestRelay, email: string, id: string): Promise<string> {
  const mails = (await mailsTo(t, email)).filter((m) => m.requestId === id && m.text.includes("/decide/"));
  if (!mails[0]) throw new Error(`no decision mail to ${email} for ${id}`);
  return linkFrom(mails[0].text, "/decide/");
}

async function stateOf(t: TestRelay, id: string) {
  const [r] = await t.relay.database.db.select().from(requests).where(eq(requests.id, id));
  return r;
}

async function problemOf(res: Response): Promise<string | undefined> {
  return /data-problem="([a-z_]+)"/.exec(await res.text())?.[1];
}

describe.each(engines)("approval routing and the request lifecycle ($name)", (engine) => {
  const suite = signedInSuite(engine, "dana@acme.test");

  async function create(account: string): Promise<string> {
    const res = await suite.t.app.request("/api/v1/requests", json(awsRequest(account), bearer(suite.token)));
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  async function noticesOf(): Promise<{ kind: string; request: { id: string; state: string; question: unknown } }[]> {
    const res = await suite.t.app.request("/api/v1/notices?after=0", { headers: bearer(suite.token) });
    return ((await res.json()) as { notices: { kind: string; request: { id: string; state: string; question: unknown } }[] }).notices;
  }

  it("routes step by step: the next step hears of the request only when the previous one completes, and `all` needs everyone", async () => {
    const id = await create("111111111111");
    // Step 1 (the manager) is told; security is not, yet.
    expect((await mailsTo(suite.t, "priya@acme.test")).filter((m) => m.requestId === id)).toHaveLength(0);
    const lee = await linkFor(suite.t, "lee@acme.test", id);
    const page = await suite.t.app.request(lee);
    expect(await page.text()).toContain("step 1 of 2");

    const first = await submitForm(suite.t, lee, { decision: "approve", duration: "4h" });
    expect(await first.text()).toContain('data-outcome="advanced"');
    expect(await stateOf(suite.t, id)).toMatchObject({ state: "pending", step: 1, duration: "4h" });
    expect((await noticesOf()).filter((n) => n.request.id === id).map((n) => n.kind)).toEqual(["request.advanced"]);

    // Step 2: both members of security must approve.
    const priya = await linkFor(suite.t, "priya@acme.test", id);
    const sam = await linkFor(suite.t, "sam@acme.test", id);
    expect(await (await submitForm(suite.t, priya, { decision: "approve", duration: "4h" })).text()).toContain('data-outcome="recorded"');
    expect((await stateOf(suite.t, id))?.state).toBe("pending");
    const last = await submitForm(suite.t, sam, { decision: "approve", duration: "1h" });
    expect(await last.text()).toContain('data-outcome="approved"');

    const [grant] = await suite.t.relay.database.db.select().from(grants).where(eq(grants.requestId, id));
    expect(grant).toMatchObject({ state: "active", scope: "resource", resourceId: "111111111111" });
    expect(grant?.endsAt?.getTime()).toBe(suite.t.clock.now().getTime() + 3_600_000);
    // The approval path is in the audit trail, in order.
    const trail = await suite.t.relay.database.db
      .select({ action: auditEvents.action, actor: auditEvents.actor })
      .from(auditEvents)
      .where(eq(auditEvents.requestId, id))
      .orderBy(asc(auditEvents.id));
    expect(trail.map((e) => `${e.action} ${e.actor}`)).toEqual([
      "request.created dana@acme.test",
      "request.step_opened relay",
      "approval.approved lee@acme.test",
      "request.step_opened relay",
      "approval.approved priya@acme.test",
      "approval.approved sam@acme.test",
      "request.approved sam@acme.test",
      "grant.started relay",
    ]);
    expect(await verifyChain(suite.t.relay.database.db)).toMatchObject({ ok: true });
  });

  it("lets the last approver widen the grant to the whole app when the flow allows it, and refuses it where it does not", async () => {
    const id = await create("222222222222");
    await submitForm(suite.t, await linkFor(suite.t, "lee@acme.test", id), { decision: "approve", duration: "1h" });
    await submitForm(suite.t, await linkFor(suite.t, "priya@acme.test", id), { decision: "approve", duration: "1h" });
    const sam = await linkFor(suite.t, "sam@acme.test", id);
    expect(await (await suite.t.app.request(sam)).text()).toContain("Grant the whole app (aws)");
    const res = await submitForm(suite.t, sam, { decision: "approve", duration: "1h", wholeApp: "yes" });
    expect(await res.text()).toContain("to the whole app");
    const [grant] = await suite.t.relay.database.db.select().from(grants).where(eq(grants.requestId, id));
    expect(grant).toMatchObject({ scope: "app", resourceId: null, app: "aws" });

    // The docs flow does not allow it: the page offers nothing and a forged field decides nothing.
    const docs = await suite.t.app.request(
      "/api/v1/requests",
      json(
        {
          app: "google-docs",
          resource: { id: "doc-wide", name: null, url: "https://docs.google.com/document/d/doc-wide/edit" },
          duration: "1h",
          reason: "x",
        },
        bearer(suite.token),
      ),
    );
    const docId = ((await docs.json()) as { id: string }).id;
    const link = await linkFor(suite.t, "lee@acme.test", docId);
    expect(await (await suite.t.app.request(link)).text()).not.toContain("Grant the whole app");
    const forged = await submitForm(suite.t, link, { decision: "approve", duration: "1h", wholeApp: "yes" });
    expect(forged.status).toBe(400);
    expect(await problemOf(forged)).toBe("whole_app_not_allowed");
    expect((await stateOf(suite.t, docId))?.state).toBe("pending");
    // …and the link still works for a proper decision.
    expect(await (await submitForm(suite.t, link, { decision: "approve", duration: "1h" })).text()).toContain('data-outcome="approved"');
  });

  it("asks the requester for more information, stops every link until the answer, then returns to the same step with new links", async () => {
    const id = await create("333333333333");
    await submitForm(suite.t, await linkFor(suite.t, "lee@acme.test", id), { decision: "approve", duration: "1h" });
    const priyaOld = await linkFor(suite.t, "priya@acme.test", id);
    const samOld = await linkFor(suite.t, "sam@acme.test", id);

    // An empty question is refused and changes nothing.
    const empty = await submitForm(suite.t, priyaOld, { decision: "ask", question: "  " });
    expect(await problemOf(empty)).toBe("text_required");
    expect((await stateOf(suite.t, id))?.state).toBe("pending");

    const asked = await submitForm(suite.t, priyaOld, { decision: "ask", question: "Which incident is this for?" });
    expect(await asked.text()).toContain('data-outcome="asked"');
    expect(await stateOf(suite.t, id)).toMatchObject({ state: "info_requested", step: 1 });
    // While the requester has not answered, no link decides.
    expect(await problemOf(await suite.t.app.request(samOld))).toBe("waiting");

    // The requester sees the question (notice and list) and answers it.
    const notice = (await noticesOf()).find((n) => n.request.id === id && n.kind === "request.info_requested");
    expect(notice?.request.question).toMatchObject({ text: "Which incident is this for?", by: { email: "priya@acme.test" } });
    const list = await suite.t.app.request("/api/v1/requests", { headers: bearer(suite.token) });
    const mine = ((await list.json()) as { requests: { id: string; question: { text: string } | null }[] }).requests.find(
      (r) => r.id === id,
    );
    expect(mine?.question?.text).toBe("Which incident is this for?");

    suite.t.clock.advance(60_000);
    const bad = await suite.t.app.request(`/api/v1/requests/${id}/answer`, json({ answer: "" }, bearer(suite.token)));
    expect(bad.status).toBe(400);
    const answered = await suite.t.app.request(
      `/api/v1/requests/${id}/answer`,
      json({ answer: "INC-4711, the payments outage" }, bearer(suite.token)),
    );
    expect(answered.status).toBe(200);
    expect(await answered.json()).toMatchObject({ state: "pending", step: 1, question: null });
    const again = await suite.t.app.request(`/api/v1/requests/${id}/answer`, json({ answer: "twice" }, bearer(suite.token)));
    expect(again.status).toBe(409);

    // The old links of the step are dead; new ones carry the conversation.
    expect(await problemOf(await suite.t.app.request(samOld))).toBe("decided");
    const samNew = await linkFor(suite.t, "sam@acme.test", id);
    expect(samNew).not.toBe(samOld);
    const page = await (await suite.t.app.request(samNew)).text();
    expect(page).toContain("Which incident is this for?");
    expect(page).toContain("INC-4711, the payments outage");
    const [mail] = (await mailsTo(suite.t, "priya@acme.test")).filter((m) => m.requestId === id);
    expect(mail?.subject).toMatch(/^Answered: /);
    expect(mail?.text).toContain("INC-4711, the payments outage");

    await submitForm(suite.t, samNew, { decision: "approve", duration: "1h" });
    const done = await submitForm(suite.t, await linkFor(suite.t, "priya@acme.test", id), { decision: "approve", duration: "1h" });
    expect(await done.text()).toContain('data-outcome="approved"');
  });

  it("escalates to a person the approver chooses: the approver's link dies, the target gets one of their own", async () => {
    const id = await create("444444444444");
    const lee = await linkFor(suite.t, "lee@acme.test", id);
    expect(await (await suite.t.app.request(lee)).text()).toContain('<option value="ops@acme.test">');

    for (const [to, why] of [
      ["dana@acme.test", "cannot approve their own"],
      ["lee@acme.test", "other than yourself"],
      ["old@acme.test", "not an active person"],
      ["nobody@acme.test", "not an active person"],
    ] as const) {
      const res = await submitForm(suite.t, lee, { decision: "escalate", to });
      expect(await problemOf(res.clone())).toBe("escalation_target");
      expect(await res.text()).toContain(why);
    }
    expect((await stateOf(suite.t, id))?.state).toBe("pending");

    const res = await submitForm(suite.t, lee, { decision: "escalate", to: "ops@acme.test", escalateNote: "I am on leave; over to you" });
    expect(await res.text()).toContain('data-outcome="escalated"');
    expect((await stateOf(suite.t, id))?.state).toBe("escalated");
    expect(await problemOf(await suite.t.app.request(lee))).toBe("used");

    const ops = await linkFor(suite.t, "ops@acme.test", id);
    const [opsMail] = (await mailsTo(suite.t, "ops@acme.test")).filter((m) => m.requestId === id);
    expect(opsMail?.text).toContain("Lee Okafor passed Dana Whitfield's request for aws to you");
    expect(await (await suite.t.app.request(ops)).text()).toContain("I am on leave; over to you");
    expect((await noticesOf()).some((n) => n.request.id === id && n.kind === "request.escalated")).toBe(true);

    const approved = await submitForm(suite.t, ops, { decision: "approve", duration: "1h" });
    expect(await approved.text()).toContain('data-outcome="advanced"');
    const rows = await suite.t.relay.database.db
      .select()
      .from(approvals)
      .where(and(eq(approvals.requestId, id), eq(approvals.step, 0)));
    expect(rows.map((r) => r.state).sort()).toEqual(["approved", "escalated"]);
    expect((await stateOf(suite.t, id))?.state).toBe("pending");
  });

  it("lets an approver with two live links (the first mail and a reminder) act once, whatever arrives together", async () => {
    // Several rounds, POSTs fired together (no page load first), so the transactions really overlap on PostgreSQL.
    for (let round = 0; round < 4; round++) {
      const id = await create(`12121212121${round}`);
      suite.t.clock.advance(4 * 3_600_000);
      expect((await sweepRequests(suite.t.relay)).reminded).toContain(id);
      const links = (await mailsTo(suite.t, "lee@acme.test")).filter((m) => m.requestId === id).map((m) => linkFrom(m.text, "/decide/"));
      expect(new Set(links).size).toBe(2);
      const [a, b] = links as [string, string];
      const results = await Promise.all([
        postWithCsrf(suite.t, a, { decision: "escalate", to: "ops@acme.test" }),
        postWithCsrf(suite.t, b, { decision: "escalate", to: "priya@acme.test" }),
        postWithCsrf(suite.t, b, { decision: "approve", duration: "4h" }),
        postWithCsrf(suite.t, a, { decision: "approve", duration: "1h" }),
      ]);
      const outcomes = await Promise.all(results.map(async (r) => /data-outcome="([a-z]+)"/.exec(await r.text())?.[1]));
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      const rows = await suite.t.relay.database.db
        .select()
        .from(approvals)
        .where(and(eq(approvals.requestId, id), eq(approvals.step, 0)));
      expect(rows.filter((r) => !r.escalatedFrom)).toHaveLength(1);
      expect(rows.filter((r) => r.escalatedFrom)).toHaveLength(outcomes.includes("escalated") ? 1 : 0);
    }
  });

  it("grants no more than the shortest duration any approver approved", async () => {
    const id = await create("131313131313");
    await submitForm(suite.t, await linkFor(suite.t, "lee@acme.test", id), { decision: "approve", duration: "1h" });
    await submitForm(suite.t, await linkFor(suite.t, "priya@acme.test", id), { decision: "approve", duration: "4h" });
    await submitForm(suite.t, await linkFor(suite.t, "sam@acme.test", id), { decision: "approve", duration: "4h" });
    const [grant] = await suite.t.relay.database.db.select().from(grants).where(eq(grants.requestId, id));
    expect(grant?.endsAt?.getTime()).toBe(suite.t.clock.now().getTime() + 3_600_000);
  });

  it("refuses to pass a decision to someone who approves another step of the request", async () => {
    const id = await create("141414141414");
    const res = await submitForm(suite.t, await linkFor(suite.t, "lee@acme.test", id), { decision: "escalate", to: "priya@acme.test" });
    expect(await res.text()).toContain("approves another step of this request");
    expect((await stateOf(suite.t, id))?.state).toBe("pending");
  });

  it("ends with a rejection at any step, and the other approvers' links die", async () => {
    const id = await create("555555555555");
    await submitForm(suite.t, await linkFor(suite.t, "lee@acme.test", id), { decision: "approve", duration: "1h" });
    const sam = await linkFor(suite.t, "sam@acme.test", id);
    const res = await submitForm(suite.t, await linkFor(suite.t, "priya@acme.test", id), {
      decision: "reject",
      note: "Use the read-only role",
    });
    expect(await res.text()).toContain('data-outcome="rejected"');
    expect(await stateOf(suite.t, id)).toMatchObject({ state: "rejected", decisionNote: "Use the read-only role" });
    expect(await problemOf(await suite.t.app.request(sam))).toBe("decided");
  });

  it("lets the requester cancel an undecided request; every link dies; a second cancel is refused", async () => {
    const id = await create("666666666666");
    const lee = await linkFor(suite.t, "lee@acme.test", id);
    const other = await suite.t.app.request(`/api/v1/requests/00000000-0000-4000-8000-000000000000/cancel`, json({}, bearer(suite.token)));
    expect(other.status).toBe(404);
    const res = await suite.t.app.request(`/api/v1/requests/${id}/cancel`, json({}, bearer(suite.token)));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: "cancelled" });
    expect(await problemOf(await suite.t.app.request(lee))).toBe("decided");
    const twice = await suite.t.app.request(`/api/v1/requests/${id}/cancel`, json({}, bearer(suite.token)));
    expect(twice.status).toBe(409);
    expect(((await twice.json()) as { code: string }).code).toBe("request_not_open");
  });

  it("reminds approvers who have not decided, and expires a request undecided by its deadline, once", async () => {
    const id = await create("777777777777");
    const before = (await mailsTo(suite.t, "lee@acme.test")).filter((m) => m.requestId === id).length;
    suite.t.clock.advance(4 * 3_600_000); // remindAfter: 4h
    const swept = await sweepRequests(suite.t.relay);
    expect(swept.reminded).toContain(id);
    const mails = (await mailsTo(suite.t, "lee@acme.test")).filter((m) => m.requestId === id);
    expect(mails).toHaveLength(before + 1);
    expect(mails[0]?.subject).toMatch(/^Reminder: /);
    expect((await sweepRequests(suite.t.relay)).reminded).not.toContain(id);

    suite.t.clock.advance(20 * 3_600_000); // expireAfter: 1d in all
    const [a, b] = await Promise.all([sweepRequests(suite.t.relay), sweepRequests(suite.t.relay)]);
    expect([...(a?.expired ?? []), ...(b?.expired ?? [])].filter((x) => x === id)).toHaveLength(1);
    expect((await stateOf(suite.t, id))?.state).toBe("expired");
    expect(await problemOf(await suite.t.app.request(mails[0] ? linkFrom(mails[0].text, "/decide/") : ""))).toBe("decided");
    // The requester's extension has been silent for a day: they are told by mail as well.
    const toDana = (await mailsTo(suite.t, "dana@acme.test")).filter((m) => m.requestId === id);
    expect(toDana[0]?.subject).toMatch(/^Access request expired/);
    const events = await suite.t.relay.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.requestId, id), eq(auditEvents.action, "request.expired")));
    expect(events).toHaveLength(1);
  });

  it("tells an online requester through the extension only, and an offline one by mail too", async () => {
    // Online: the extension called the relay a moment ago.
    await suite.t.app.request("/api/v1/me", { headers: bearer(suite.token) });
    const online = await create("888888888888");
    await submitForm(suite.t, await linkFor(suite.t, "lee@acme.test", online), { decision: "reject", note: "no" });
    expect((await mailsTo(suite.t, "dana@acme.test")).filter((m) => m.requestId === online)).toHaveLength(0);

    const offline = await create("999999999999");
    suite.t.clock.advance(10 * 60_000);
    await submitForm(suite.t, await linkFor(suite.t, "lee@acme.test", offline), { decision: "reject", note: "not now" });
    const [mail] = (await mailsTo(suite.t, "dana@acme.test")).filter((m) => m.requestId === offline);
    expect(mail?.subject).toMatch(/^Access request rejected/);
    expect(mail?.text).toContain("not now");
  });

  it("refuses a request nobody could approve (the only admin asking, with no manager) and stores nothing", async () => {
    const ops = await signIn(suite.t, "ops@acme.test");
    const before = (await suite.t.relay.database.db.select().from(requests)).length;
    for (const path of ["/api/v1/requests/preview", "/api/v1/requests"]) {
      const res = await suite.t.app.request(path, json(docsRequest("1NobodyCanApproveAbCdEf"), bearer(ops)));
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ code: "no_approver" });
    }
    expect(await suite.t.relay.database.db.select().from(requests)).toHaveLength(before);
  });

  it("queues no chat delivery for a flow that notifies by email only, and records an unconfigured channel as failed", async () => {
    const id = await create("101010101010");
    // The aws flow notifies by email, Slack and Teams; this relay has neither chat configured.
    const rows = await suite.t.relay.database.db.select().from(outbox).where(eq(outbox.requestId, id));
    const chat = rows.filter((r) => r.channel !== "email");
    expect(chat.map((r) => [r.channel, r.state])).toEqual([
      ["slack", "failed"],
      ["teams", "failed"],
    ]);
    expect(chat[0]?.lastError).toContain("SLACK_BOT_TOKEN");
    // …and the decision is not held up by it.
    const res = await submitForm(suite.t, await linkFor(suite.t, "lee@acme.test", id), { decision: "approve", duration: "1h" });
    expect(await res.text()).toContain('data-outcome="advanced"');
  });
});
