import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, asc, eq, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { manualProviderFactory, taskResult } from "../src/adapters/providers/manual.ts";
import { ProviderError } from "../src/adapters/providers/types.ts";
import { verifyChain } from "../src/audit/chain.ts";
import { deliverDue } from "../src/channels/outbox.ts";
import { taskLinkState } from "../src/core/manual-task.ts";
import { auditEvents, grants, outbox } from "../src/db/schema/index.ts";
import { retryGrant } from "../src/grants/admin.ts";
import { sendProviderCalls } from "../src/grants/effects.ts";
import { expireDueGrants } from "../src/grants/expiry.ts";
import { signDecisionLink } from "../src/keys/signing.ts";
import {
  bearer,
  configErrors,
  type Engine,
  engines,
  json,
  linkFrom,
  PUBLIC_URL,
  postWithCsrf,
  signIn,
  startTestRelay,
  submitForm,
  type TestRelay,
} from "./harness.ts";
import { HttpPeer } from "./peers.ts";

/**
 * The manual provider end to end: a call becomes a task mailed (and DMed on
 * Slack) to each operator with a signed link; the grant moves only when one
 * of them answers on the task page, exactly as a webhook's signed callback
 * would move it; silence past the deadline fails the grant loudly.
 */
const OPS = ["ops1@acme.test", "ops2@acme.test"];
const SCRIPT = "<script>alert(1)</script>";

const policy = `admins: [admin@acme.test]
directory:
  users:
    - { email: dana@acme.test, name: Dana Whitfield }
    - { email: admin@acme.test, name: Admin Person }
providers:
  - { id: ops-desk, type: manual, operators: [${OPS.join(", ")}], deadline: 2h }
flows:
  - id: jira
    name: Jira (manual)
    apps: [jira]
    approval: auto
    durations: { choices: [1h] }
    extend: { allowed: true, times: 1, by: 30m }
    grant: { provider: ops-desk, target: { instructions: "Add {{ requester.email }} to project {{ resource.id }}" } }
`;

describe("manual provider: the providers: entry", () => {
  const schema = z.strictObject(manualProviderFactory.fields);
  const file = (entry: string) =>
    configErrors(
      `providers:\n  - ${entry}\nflows:\n  - { id: f, name: F, apps: [jira], approval: auto, durations: { choices: [1h] }, grant: { provider: m, target: { anything: "x", else: "y" } } }\n`,
    );

  it("takes operators and an optional deadline (24h), no secrets, and any target fields", () => {
    expect(schema.parse({ operators: ["Ops@Acme.test"] })).toEqual({ operators: ["ops@acme.test"], deadline: "24h" });
    expect(manualProviderFactory.secrets).toEqual([]);
    expect(manualProviderFactory.target.open).toBe(true);
    expect(file("{ id: m, type: manual, operators: [ops@acme.test] }")).toEqual([]);
  });

  it("refuses no operators, a non-address and an indefinite deadline", () => {
    expect(file("{ id: m, type: manual, operators: [] }").join("\n")).toMatch(/at least one operator/);
    expect(file("{ id: m, type: manual, operators: [ops] }").join("\n")).toMatch(/email addresses/);
    expect(file("{ id: m, type: manual, operators: [ops@acme.test], deadline: indefinite }").join("\n")).toMatch(/not indefinite/);
  });

  it("waits while the task is open and gives up for good once its deadline has passed", () => {
    const config = { id: "m", type: "manual" as const, operators: ["ops@acme.test"], deadline: "2h" };
    expect(taskResult(config, { sent: true, remainingMs: 5_000 })).toEqual({
      status: "pending",
      detail: "task sent to ops@acme.test",
      deadlineMs: 5_000,
    });
    expect(() => taskResult(config, { sent: false, remainingMs: 0 })).toThrow(ProviderError);
    expect(() => taskResult(config, { sent: false, remainingMs: 0 })).toThrow(/no operator answered the task within 2h/);
  });

  it("lets a link answer only while its call waits, in its round, for one of its operators", () => {
    const round = { round: "r1", openedAt: "", deadlineAt: "2026-01-01T00:00:00Z", operators: ["a@x.test"] };
    const link = { operator: "a@x.test", round: "r1" };
    const call = (state: string, extra: object = {}) => ({ state, lastError: "why", response: { task: { ...round, ...extra } } });
    expect(taskLinkState(call("waiting"), link).kind).toBe("open");
    expect(taskLinkState(call("pending"), link).kind).toBe("open");
    expect(taskLinkState(call("waiting"), { ...link, round: "r0" }).kind).toBe("superseded");
    expect(taskLinkState(call("waiting"), { ...link, operator: "b@x.test" }).kind).toBe("not_operator");
    expect(taskLinkState(call("cancelled"), link)).toEqual({ kind: "closed", reason: "cancelled", detail: "why" });
    expect(taskLinkState(call("failed"), link)).toEqual({ kind: "closed", reason: "gave_up", detail: "why" });
    const answer = { by: "b@x.test", at: "2026-01-01T00:00:00Z", outcome: "done", note: null };
    expect(taskLinkState(call("sent", { answer }), { ...link, round: "r0" })).toEqual({ kind: "handled", answer });
  });
});

describe.each(engines)("manual provisioning through the relay ($name)", (engine: Engine) => {
  let t: TestRelay;
  let token: string;
  const slack = new HttpPeer();

  beforeAll(async () => {
    await slack.start();
    slack.respond = (req) =>
      req.path.endsWith("users.lookupByEmail")
        ? { json: { ok: true, user: { id: "U1" } } }
        : { json: { ok: true, channel: "D1", ts: "1" } };
    const dir = mkdtempSync(join(tmpdir(), "gh-manual-"));
    const file = join(dir, "gatehouse.yaml");
    writeFileSync(file, policy);
    t = await startTestRelay(engine, { GATEHOUSE_CONFIG: file, SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_API_URL: `${slack.url}/api` });
    token = await signIn(t, "dana@acme.test");
  });
  afterAll(async () => {
    await t.close();
    await slack.stop();
  });

  const db = () => t.relay.database.db;
  const work = async () => {
    while ((await deliverDue(t.relay, { mail: null, provider: sendProviderCalls })) > 0) {}
  };
  const create = async (resourceId: string) => {
    const body = {
      app: "jira",
      resource: { id: resourceId, name: null, url: "https://jira.example/browse" },
      message: "You need access",
      duration: "1h",
      reason: "work",
    };
    const res = await t.app.request("/api/v1/requests", json(body, bearer(token)));
    expect(res.status, await res.clone().text()).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const [g] = await db().select().from(grants).where(eq(grants.requestId, id));
    if (!g) throw new Error("no grant");
    return g;
  };
  const grant = async (id: string) => (await db().select().from(grants).where(eq(grants.id, id)))[0];
  /** Task mails to one operator about one grant's action, oldest first. */
  const tasksTo = async (operator: string, g: { app: string; resourceId: string | null }, action: "grant" | "revoke" | "extend") =>
    (
      await db()
        .select()
        .from(outbox)
        .where(and(eq(outbox.channel, "email"), eq(outbox.to, operator), eq(outbox.event, `task.${action}`)))
        .orderBy(asc(outbox.createdAt))
    ).filter((m) => m.subject.includes(`(${g.app} ${g.resourceId})`));
  const linkOf = async (
    operator: string,
    g: { app: string; resourceId: string | null },
    action: "grant" | "revoke" | "extend" = "grant",
  ) => {
    const mails = await tasksTo(operator, g, action);
    return linkFrom(mails.at(-1)?.text ?? "", "/tasks/");
  };
  const trail = async (grantId: string) =>
    db().select().from(auditEvents).where(eq(auditEvents.grantId, grantId)).orderBy(asc(auditEvents.id));
  const problemOf = (body: string) => /data-problem="([a-z_]+)"/.exec(body)?.[1];

  it("mails both operators a task, escapes untrusted text, activates on Done, and tells the second operator who did it", async () => {
    const resource = `OPS-${SCRIPT}`;
    const g = await create(resource);
    expect(g).toMatchObject({ state: "provisioning", providerId: "ops-desk" });
    await work();
    const [call] = await db()
      .select()
      .from(outbox)
      .where(eq(outbox.key, `${g.id}:grant:0`));
    expect(call?.state).toBe("waiting");
    expect(call?.nextAttemptAt.getTime()).toBe(t.clock.now().getTime() + 2 * 3_600_000);

    for (const op of OPS) {
      const [mail, ...more] = await tasksTo(op, g, "grant");
      expect(more).toEqual([]);
      expect(mail?.subject).toBe(`Task: Give Dana Whitfield access (jira ${resource})`);
      expect(mail?.text).toContain(`instructions: Add dana@acme.test to project ${resource}`);
      expect(mail?.text).toContain(`${PUBLIC_URL}/tasks/`);
      expect(mail?.html).not.toContain(SCRIPT);
      expect(mail?.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    }
    // Each operator's link is their own.
    expect(await linkOf(OPS[0] as string, g)).not.toBe(await linkOf(OPS[1] as string, g));
    // Slack is configured: each operator gets a DM with their link too, text escaped for mrkdwn.
    await work();
    const dms = slack.bodies<{ channel: string; blocks: unknown[] }>("/api/chat.postMessage");
    const dm = JSON.stringify(dms.filter((d) => JSON.stringify(d).includes("Give Dana Whitfield access")));
    expect(dm).toContain("/tasks/");
    expect(dm).toContain("via=slack");
    expect(dm).not.toContain(SCRIPT);

    const first = await linkOf(OPS[0] as string, g);
    const page = await t.app.request(first);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    const body = await page.text();
    expect(body).not.toContain(SCRIPT);
    expect(body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(body).toContain('data-testid="task-done"');
    expect(body).toContain('data-testid="task-cannot"');
    expect(body).toContain("ops2@acme.test got this task too");
    // GET changes nothing.
    expect((await grant(g.id))?.state).toBe("provisioning");

    const done = await submitForm(t, first, { answer: "done" });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('data-outcome="done"');
    const active = await grant(g.id);
    expect(active?.state).toBe("active");
    expect(active?.endsAt?.getTime()).toBe(t.clock.now().getTime() + 3_600_000);

    // The other operator's link, and a second click on the first: already handled, by whom and when; nothing moves.
    const second = await t.app.request(await linkOf(OPS[1] as string, g));
    expect(second.status).toBe(410);
    const secondBody = await second.text();
    expect(problemOf(secondBody)).toBe("handled");
    expect(secondBody).toContain("Already handled by <strong");
    expect(secondBody).toContain("ops1@acme.test");
    expect(secondBody).toContain("2026-11-02 09:00 UTC");
    for (const link of [await linkOf(OPS[1] as string, g), first]) {
      const again = await postWithCsrf(t, link, { answer: "done" });
      expect(again.status).toBe(410);
      expect(problemOf(await again.text())).toBe("handled");
    }
    const events = await trail(g.id);
    expect(events.filter((e) => e.action === "grant.started")).toHaveLength(1);
    expect(events.find((e) => e.action === "grant.task_answered")).toMatchObject({
      actor: "ops1@acme.test",
      data: { action: "grant", status: "done", operator: "ops1@acme.test", outcome: "done", via: "email" },
    });
    expect(events.find((e) => e.action === "grant.started")?.actor).toBe("ops1@acme.test");
    expect((await verifyChain(db())).ok).toBe(true);
  });

  it("sends no second set of mails when the same call is tried again", async () => {
    const g = await create("RETRY");
    await work();
    // As if the worker died after opening the tasks but before recording it: the call comes back under the same key.
    await db()
      .update(outbox)
      .set({ state: "pending", nextAttemptAt: t.clock.now() })
      .where(eq(outbox.key, `${g.id}:grant:0`));
    await work();
    for (const op of OPS) expect(await tasksTo(op, g, "grant")).toHaveLength(1);
    const [call] = await db()
      .select()
      .from(outbox)
      .where(eq(outbox.key, `${g.id}:grant:0`));
    expect(call).toMatchObject({ state: "waiting", attempts: 2 });
    const details = (await trail(g.id)).filter((e) => e.action === "grant.call").map((e) => (e.data as { detail?: string }).detail);
    expect(details).toEqual([`task sent to ${OPS.join(", ")}`, `task already open for ${OPS.join(", ")}`]);
    // The Slack DMs were not sent twice either.
    const slackRows = await db()
      .select()
      .from(outbox)
      .where(and(eq(outbox.channel, "slack"), eq(outbox.event, "task.grant"), like(outbox.subject, "%(jira)")));
    expect(slackRows.filter((r) => JSON.stringify(r.payload).includes("RETRY"))).toHaveLength(OPS.length);
  });

  it("fails the grant on Cannot do with the operator's note, alerts the admins, and a retry sends a new round", async () => {
    const g = await create("NOLICENCE");
    await work();
    const link = await linkOf(OPS[1] as string, g);
    const missing = await submitForm(t, link, { answer: "cannot_do", note: "  " });
    expect(missing.status).toBe(400);
    expect(problemOf(await missing.text())).toBe("note_required");
    expect((await grant(g.id))?.state).toBe("provisioning");

    const note = "No NetSuite licence left <b>sorry</b>";
    const refused = await submitForm(t, link, { answer: "cannot_do", note });
    expect(refused.status).toBe(200);
    expect(await refused.text()).toContain('data-outcome="cannot_do"');
    const failed = await grant(g.id);
    expect(failed).toMatchObject({ state: "failed", failedAction: "grant" });
    expect(failed?.failure).toBe(`ops2@acme.test cannot do it: ${note}`);
    const [call] = await db()
      .select()
      .from(outbox)
      .where(eq(outbox.key, `${g.id}:grant:0`));
    expect(call?.state).toBe("failed");
    const events = await trail(g.id);
    expect(events.find((e) => e.action === "grant.task_answered")).toMatchObject({
      actor: "ops2@acme.test",
      data: { status: "failed", outcome: "cannot_do", note },
    });
    expect(events.find((e) => e.action === "grant.failed")?.data).toMatchObject({ error: `ops2@acme.test cannot do it: ${note}` });
    const alerts = (await db().select().from(outbox).where(eq(outbox.to, "admin@acme.test"))).filter((m) => m.text.includes(note));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.subject).toMatch(/provisioning failed/);

    // The first operator learns who answered, and what they said (escaped).
    const other = await t.app.request(await linkOf(OPS[0] as string, g));
    const otherBody = await other.text();
    expect(problemOf(otherBody)).toBe("handled");
    expect(otherBody).toContain("cannot do it");
    expect(otherBody).toContain("&lt;b&gt;sorry&lt;/b&gt;");

    // An admin's retry asks the operators again: a new round, new links; the old ones are superseded.
    t.clock.advance(60_000);
    expect((await retryGrant(t.relay, "admin@acme.test", g.id, { ip: null, userAgent: null })).ok).toBe(true);
    await work();
    for (const op of OPS) expect(await tasksTo(op, g, "grant")).toHaveLength(2);
    const stale = await t.app.request(link);
    expect(problemOf(await stale.text())).toBe("superseded");
    const fresh = await submitForm(t, await linkOf(OPS[0] as string, g), { answer: "done" });
    expect(fresh.status).toBe(200);
    expect((await grant(g.id))?.state).toBe("active");
  });

  it("fails the grant and alerts the admins when nobody answers before the deadline", async () => {
    const g = await create("SILENCE");
    await work();
    t.clock.advance(2 * 3_600_000 - 1_000);
    await work();
    expect((await grant(g.id))?.state).toBe("provisioning");
    t.clock.advance(1_001);
    await work();
    const failed = await grant(g.id);
    expect(failed).toMatchObject({ state: "failed", failedAction: "grant" });
    expect(failed?.failure).toMatch(/no operator answered the task within 2h/);
    const alerts = (await db().select().from(outbox).where(eq(outbox.to, "admin@acme.test"))).filter((m) => m.text.includes("SILENCE"));
    expect(alerts).toHaveLength(1);
    // Nobody was mailed again, and the link now says what became of the task.
    for (const op of OPS) expect(await tasksTo(op, g, "grant")).toHaveLength(1);
    const late = await t.app.request(await linkOf(OPS[0] as string, g));
    expect(late.status).toBe(410);
    const lateBody = await late.text();
    expect(problemOf(lateBody)).toBe("closed");
    expect(lateBody).toContain("no operator answered");
    const post = await postWithCsrf(t, await linkOf(OPS[0] as string, g), { answer: "done" });
    expect(problemOf(await post.text())).toBe("closed");
    expect((await grant(g.id))?.state).toBe("failed");
  });

  it("sends a revoke task at expiry and ends the grant only once an operator confirms the removal", async () => {
    const g = await create("ENDING");
    await work();
    await submitForm(t, await linkOf(OPS[0] as string, g), { answer: "done" });
    // Extending is a task too; its answer is only recorded.
    expect((await t.app.request(`/api/v1/grants/${g.id}/extend`, json({}, bearer(token)))).status).toBe(200);
    await work();
    const extendLink = await linkOf(OPS[1] as string, g, "extend");
    const extendPage = await (await t.app.request(extendLink)).text();
    expect(extendPage).toContain("Dana Whitfield&#39;s access was extended");
    await submitForm(t, extendLink, { answer: "done" });
    expect((await trail(g.id)).map((e) => e.action)).toContain("grant.extend_confirmed");

    t.clock.advance(90 * 60_000 + 1);
    expect(await expireDueGrants(t.relay)).toContain(g.id);
    expect((await grant(g.id))?.state).toBe("revoking");
    await work();
    const [mail] = await tasksTo(OPS[1] as string, g, "revoke");
    expect(mail?.subject).toBe("Task: Remove Dana Whitfield's access (jira ENDING)");
    expect(mail?.text).toContain("Access ended:");
    // Time passes without an answer (within the deadline): the grant stays revoking; access is over either way.
    t.clock.advance(60 * 60_000);
    await work();
    expect((await grant(g.id))?.state).toBe("revoking");
    const link = await linkOf(OPS[1] as string, g, "revoke");
    expect(await (await t.app.request(link)).text()).toContain("Remove Dana Whitfield&#39;s access");
    const done = await submitForm(t, link, { answer: "done" });
    expect(await done.text()).toContain("grant has ended");
    expect(await grant(g.id)).toMatchObject({ state: "expired", endReason: "expired" });
    const actions = (await trail(g.id)).map((e) => [e.action, e.actor]);
    expect(actions.slice(-2)).toEqual([
      ["grant.task_answered", "ops2@acme.test"],
      ["grant.expired", "ops2@acme.test"],
    ]);
  });

  it("refuses an answer without the page's CSRF token, and a tampered or foreign link", async () => {
    const g = await create("CSRF");
    await work();
    const link = await linkOf(OPS[0] as string, g);
    const page = await t.app.request(link);
    const cookie = page.headers.get("set-cookie")?.split(";")[0] ?? "";
    const noToken = await t.app.request(link, {
      method: "POST",
      headers: { cookie, origin: PUBLIC_URL, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ answer: "done" }).toString(),
    });
    expect(noToken.status).toBe(403);
    expect(problemOf(await noToken.text())).toBe("csrf");
    // From another site: the Origin check refuses it before the page is reached.
    const crossSite = await t.app.request(link, {
      method: "POST",
      headers: { cookie, origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ answer: "done" }).toString(),
    });
    expect(crossSite.status).toBe(403);
    expect((await grant(g.id))?.state).toBe("provisioning");

    const tampered = `${link.slice(0, -4)}AAAA`;
    expect(problemOf(await (await t.app.request(tampered)).text())).toBe("invalid");
    // A decision link's token is not a task link, though signed by the same keys.
    const decision = await signDecisionLink(
      t.relay.keys,
      PUBLIC_URL,
      { approverId: g.userId, requestId: g.requestId, step: 0, round: 0, jti: "j" },
      t.clock.now(),
      600,
    );
    expect(problemOf(await (await t.app.request(`/tasks/${decision}`)).text())).toBe("invalid");
    expect((await grant(g.id))?.state).toBe("provisioning");
  });
});
