import { desc, eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { deliverDue } from "../src/channels/outbox.ts";
import { approvals, outbox } from "../src/db/schema/index.ts";
import { smtpTransport } from "../src/workers.ts";
import { bearer, engines, json, signedInSuite, submitForm } from "./harness.ts";
import { HttpPeer, MailCatcher, waitFor } from "./peers.ts";

const SECRET = `whsec_${Buffer.from("gatehouse-test-webhook-secret-32b").toString("base64")}`;

/** Requester-controlled text that would be markup, a mention or a link if any channel failed to escape it. */
const HOSTILE = {
  reason: "<script>alert(1)</script> <!channel> [click](http://evil.test) **now**",
  name: "<img src=x onerror=alert(1)>",
  message: "<b>Access denied</b> & <https://evil.test|Approve>",
};

const smtp = new MailCatcher();
const slack = new HttpPeer();
const hooks = new HttpPeer();
const slackIds: Record<string, string> = { "lee@acme.test": "U0LEE", "priya@acme.test": "U0PRIYA" };
let posted = 0;

beforeAll(async () => {
  await Promise.all([smtp.start(), slack.start(), hooks.start()]);
  slack.respond = (req) => {
    const body = req.body ? (JSON.parse(req.body) as Record<string, string>) : {};
    if (req.path === "/api/users.lookupByEmail") {
      const id = slackIds[body.email ?? ""];
      return { json: id ? { ok: true, user: { id } } : { ok: false, error: "users_not_found" } };
    }
    if (req.path === "/api/chat.postMessage") return { json: { ok: true, channel: `D${body.channel}`, ts: `1700000000.00000${++posted}` } };
    if (req.path === "/api/chat.update") return { json: { ok: true } };
    return { status: 404, json: { ok: false, error: "unknown_method" } };
  };
});
afterAll(() => Promise.all([smtp.stop(), slack.stop(), hooks.stop()]));

describe.each(engines)("approval channels: mail, Slack, Teams and signed webhooks ($name)", (engine) => {
  const env = () => ({
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    SLACK_BOT_TOKEN: "xoxb-test-token",
    SLACK_API_URL: `${slack.url}/api`,
    TEAMS_WEBHOOK_URL: `${hooks.url}/teams`,
    WEBHOOK_URL: `${hooks.url}/events`,
    WEBHOOK_SECRET: SECRET,
  });
  // The peers' URLs exist only once they listen: the env is read when the suite starts.
  const suite = signedInSuite(engine, "dana@acme.test", env);
  const mailer = () => ({ mail: smtpTransport(env().SMTP_URL) });

  async function deliverAll(): Promise<void> {
    while ((await deliverDue(suite.t.relay, mailer())) > 0) {}
  }

  let requestId = "";
  /** The newest mail to `to` about this suite's request (both engines share one SMTP server). */
  const mailFor = (to: string) =>
    waitFor(`mail to ${to}`, () =>
      smtp.mails.findLast((m) => JSON.stringify(m.to).includes(to) && m.text?.includes(`https://console.aws.amazon.com/${engine.name}`)),
    );

  it("tells each approver with their own link by mail and Slack DM, the Teams channel with the review page, and the webhook with signed events", async () => {
    hooks.requests.length = 0;
    slack.requests.length = 0;
    const res = await suite.t.app.request(
      "/api/v1/requests",
      json(
        {
          app: "aws",
          resource: { id: `acct-${engine.name}`, name: HOSTILE.name, url: `https://console.aws.amazon.com/${engine.name}` },
          message: HOSTILE.message,
          duration: "1h",
          reason: HOSTILE.reason,
        },
        bearer(suite.token),
      ),
    );
    expect(res.status).toBe(201);
    requestId = ((await res.json()) as { id: string }).id;
    await deliverAll();

    // Mail: HTML and text parts, the context escaped, the personal link.
    const mail = await mailFor("lee@acme.test");
    expect(mail.subject).toMatch(/^Access request: Dana Whitfield/);
    expect(mail.text).toContain(HOSTILE.reason);
    const mailHtml = String(mail.html);
    expect(mailHtml).not.toContain("<script>");
    expect(mailHtml).not.toContain("<img src=x");
    expect(mailHtml).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    const link = /https?:\/\/[^\s]+\/decide\/[A-Za-z0-9._-]+/.exec(mail.text ?? "")?.[0];
    expect(link).toBeTruthy();

    // Slack: the bot finds Lee by email and DMs him the same personal link, escaped.
    const lookups = slack.bodies<{ email: string }>("/api/users.lookupByEmail");
    expect(lookups.map((l) => l.email)).toContain("lee@acme.test");
    expect(slack.requests.every((r) => r.headers.authorization === "Bearer xoxb-test-token")).toBe(true);
    const dm = slack
      .bodies<{ channel: string; text: string; blocks: Record<string, unknown>[] }>("/api/chat.postMessage")
      .find((m) => m.channel === "U0LEE");
    expect(dm?.text).toBe("Dana Whitfield asks for access to aws");
    const dmJson = JSON.stringify(dm?.blocks);
    expect(dmJson).not.toContain("<script>");
    expect(dmJson).not.toContain("<!channel>");
    expect(dmJson).not.toContain("<https://evil.test|Approve>");
    expect(dmJson).toContain("&lt;script&gt;alert(1)&lt;/script&gt; &lt;!channel&gt;");
    const actions = dm?.blocks.find((b) => b.type === "actions") as { elements: { url: string; text: { text: string } }[] } | undefined;
    const buttons = actions?.elements ?? [];
    expect(buttons.map((b) => b.text.text)).toEqual(["Approve…", "Review"]);
    expect(buttons.every((b) => b.url === `${link}?via=slack`)).toBe(true);

    // Teams: an Adaptive Card to the channel; Markdown neutralised; the button opens the review page, never a personal link.
    const [card] = hooks.bodies<{ type: string; attachments: { contentType: string; content: Record<string, unknown> }[] }>("/teams");
    expect(card?.type).toBe("message");
    expect(card?.attachments[0]?.contentType).toBe("application/vnd.microsoft.card.adaptive");
    // The whole card, as Teams receives it: every untrusted value Markdown-escaped.
    expect(card).toEqual({
      type: "message",
      attachments: [
        {
          contentType: "application/vnd.microsoft.card.adaptive",
          contentUrl: null,
          content: {
            $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
            type: "AdaptiveCard",
            version: "1.4",
            body: [
              { type: "TextBlock", text: "Dana Whitfield asks for access to aws", weight: "Bolder", size: "Medium", wrap: true },
              {
                type: "FactSet",
                facts: [
                  { title: "Requester", value: "Dana Whitfield \\<dana@acme\\.test\\>" },
                  { title: "App", value: "aws" },
                  { title: "Resource", value: "\\<img src=x onerror=alert\\(1\\)\\>" },
                  { title: "Duration", value: "1h" },
                  {
                    title: "Reason",
                    value: "\\<script\\>alert\\(1\\)\\</script\\> \\<\\!channel\\> \\[click\\]\\(http://evil\\.test\\) \\*\\*now\\*\\*",
                  },
                  { title: "Flow", value: "AWS accounts \\(manager, then all of security\\) \\(step 1 of 2\\)" },
                ],
              },
              {
                type: "TextBlock",
                text: "The page said: \\<b\\>Access denied\\</b\\> & \\<https://evil\\.test\\|Approve\\>",
                wrap: true,
                isSubtle: true,
              },
              {
                type: "TextBlock",
                text: "Decision links are personal: the review page sends each approver their own.",
                wrap: true,
                isSubtle: true,
              },
            ],
            actions: [{ type: "Action.OpenUrl", title: "Review in Gatehouse", url: `http://relay.test/review/${requestId}` }],
          },
        },
      ],
    });
    const cardJson = JSON.stringify(card);
    expect(cardJson).toContain("\\\\[click\\\\]\\\\(http://evil\\\\.test\\\\)");
    expect(cardJson).not.toContain("/decide/");
    expect((card?.attachments[0]?.content.actions as { type: string; url: string }[] | undefined)?.[0]).toEqual({
      type: "Action.OpenUrl",
      title: "Review in Gatehouse",
      url: `http://relay.test/review/${requestId}`,
    });

    // Webhook: every event signed per Standard Webhooks, verifiable with the standardwebhooks package.
    const events = hooks.requests.filter((r) => r.path === "/events");
    expect(events.map((e) => JSON.parse(e.body).type)).toEqual(["request.created", "request.step_opened"]);
    expect(JSON.parse(events[0]?.body ?? "{}")).toEqual({
      type: "request.created",
      timestamp: suite.t.clock.now().toISOString(),
      data: {
        actor: "dana@acme.test",
        request: {
          id: requestId,
          state: "pending",
          requester: { email: "dana@acme.test", name: "Dana Whitfield" },
          app: "aws",
          resource: { id: `acct-${engine.name}`, name: HOSTILE.name, url: `https://console.aws.amazon.com/${engine.name}` },
          flow: { id: "aws", name: "AWS accounts (manager, then all of security)" },
          duration: "1h",
          reason: HOSTILE.reason,
          ticket: null,
          step: 0,
          stepCount: 2,
          createdAt: suite.t.clock.now().toISOString(),
          decidedAt: null,
          decisionNote: null,
        },
        grant: null,
      },
    });
    expect(events[0]?.headers["content-type"]).toBe("application/json");
    expect(events[0]?.headers["webhook-timestamp"]).toBe(String(Math.floor(suite.t.clock.now().getTime() / 1000)));
    expect(events[0]?.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/=]{44}$/);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(suite.t.clock.now());
    try {
      for (const e of events) {
        const verified = new Webhook(SECRET).verify(e.body, e.headers as Record<string, string>) as {
          type: string;
          data: { request: { id: string; reason: string } };
        };
        expect(verified.data.request).toMatchObject({ id: requestId, reason: HOSTILE.reason });
      }
      expect(() =>
        new Webhook(SECRET).verify(events[0]?.body.replace("aws", "gcp") ?? "", events[0]?.headers as Record<string, string>),
      ).toThrow();
    } finally {
      vi.useRealTimers();
    }
    const ids = new Set(events.map((e) => e.headers["webhook-id"]));
    const rows = await suite.t.relay.database.db.select({ id: outbox.id }).from(outbox).where(eq(outbox.channel, "webhook"));
    for (const id of ids) expect(rows.map((r) => r.id)).toContain(id);
  });

  it("edits the Slack DMs and tells Teams and the webhook once the request is decided", async () => {
    const before = slack.requests.length;
    const lee = /\/decide\/[A-Za-z0-9._-]+/.exec((await mailFor("lee@acme.test")).text ?? "")?.[0] ?? "";
    expect(await (await submitForm(suite.t, lee, { decision: "approve", duration: "1h" })).text()).toContain('data-outcome="advanced"');
    await deliverAll();
    // Step 2: Priya is DMed; Sam has no Slack account, so that one DM fails for good, and nothing else does.
    const [samDm] = await suite.t.relay.database.db
      .select()
      .from(outbox)
      .where(eq(outbox.to, "sam@acme.test"))
      .then((rows) => rows.filter((r) => r.channel === "slack"));
    expect(samDm).toMatchObject({ state: "failed" });
    expect(samDm?.lastError).toContain("users_not_found");
    // Priya decides from her Slack DM's button: the approval path says so.
    const priyaDm = slack
      .bodies<{ channel: string; blocks: { type: string; elements?: { url: string }[] }[] }>("/api/chat.postMessage")
      .findLast((m) => m.channel === "U0PRIYA");
    const button = new URL(priyaDm?.blocks.find((b) => b.type === "actions")?.elements?.[0]?.url ?? "http://x");
    expect(button.searchParams.get("via")).toBe("slack");
    const priya = `${button.pathname}${button.search}`;
    expect(await (await submitForm(suite.t, priya, { decision: "reject", note: "Use the <b>read-only</b> role" })).text()).toContain(
      'data-outcome="rejected"',
    );
    const [priyaRow] = await suite.t.relay.database.db
      .select()
      .from(approvals)
      .where(eq(approvals.state, "rejected"))
      .orderBy(desc(approvals.decidedAt))
      .limit(1);
    expect(priyaRow?.via).toBe("slack");
    await deliverAll();

    const updates = slack.requests
      .slice(before)
      .filter((r) => r.path === "/api/chat.update")
      .map((r) => JSON.parse(r.body) as { channel: string; ts: string; text: string; blocks: unknown[] });
    const postedTo = slack.bodies<{ channel: string }>("/api/chat.postMessage").map((m) => `D${m.channel}`);
    expect(updates.map((u) => u.channel).sort()).toEqual(["DU0LEE", "DU0PRIYA"]);
    for (const u of updates) {
      expect(postedTo).toContain(u.channel);
      expect(u.ts).toMatch(/^1700000000\.\d+$/);
      expect(JSON.stringify(u.blocks)).toContain("Rejected by priya@acme.test.");
      expect(JSON.stringify(u.blocks)).toContain("&lt;b&gt;read-only&lt;/b&gt;");
      expect(JSON.stringify(u.blocks)).not.toContain('"actions"');
    }
    const cards = hooks.bodies("/teams").map((c) => JSON.stringify(c));
    expect(cards.at(-1)).toContain("Rejected by priya@acme\\\\.test\\\\.");
    const decided = hooks
      .bodies<{ type: string; data: { request: { state: string } } }>("/events")
      .filter((e) => e.type === "request.decided");
    expect(decided.map((e) => e.data.request.state)).toEqual(["rejected"]);
  });

  it("retries a failing channel with backoff under the same id, and gives up on a permanent failure; decisions never wait for it", async () => {
    let teamsCalls = 0;
    hooks.respond = (req) => {
      if (req.path === "/teams") return ++teamsCalls === 1 ? { status: 503, json: {} } : { status: 202, json: {} };
      if (req.path === "/events") return { status: 410, json: {} };
      return { status: 200, json: {} };
    };
    try {
      hooks.requests.length = 0;
      const res = await suite.t.app.request(
        "/api/v1/requests",
        json(
          {
            app: "aws",
            resource: { id: `retry-${engine.name}`, name: null, url: "https://console.aws.amazon.com/" },
            duration: "1h",
            reason: "retry",
          },
          bearer(suite.token),
        ),
      );
      const id = ((await res.json()) as { id: string }).id;
      await deliverAll();
      const rows = async (channel: string) =>
        suite.t.relay.database.db
          .select()
          .from(outbox)
          .where(eq(outbox.requestId, id))
          .then((r) => r.filter((x) => x.channel === channel));
      expect((await rows("teams"))[0]).toMatchObject({ state: "pending", attempts: 1 });
      expect((await rows("teams"))[0]?.lastError).toContain("HTTP 503");
      expect((await rows("webhook")).map((r) => r.state)).toEqual(["failed", "failed"]);

      suite.t.clock.advance(5_000);
      await deliverAll();
      expect((await rows("teams"))[0]).toMatchObject({ state: "sent", attempts: 2 });
      const teamsTries = hooks.requests.filter((r) => r.path === "/teams");
      expect(teamsTries).toHaveLength(2);
      expect(teamsTries[0]?.body).toBe(teamsTries[1]?.body);
    } finally {
      hooks.respond = () => ({ status: 200, json: {} });
    }
  });

  it("shows every delivery and its state to admins", async () => {
    const res = await suite.t.app.request("/admin/deliveries");
    expect([303, 302]).toContain(res.status); // admins only
  });
});
