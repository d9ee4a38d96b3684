import { desc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { verifyChain } from "../src/audit/chain.ts";
import { readConfig } from "../src/config/export.ts";
import { auditEvents, requests } from "../src/db/schema/index.ts";
import { AdminBrowser, flowFields } from "./admin-harness.ts";
import { bearer, docsRequest, engines, json, mailsTo, signedInSuite, TEST_KEK } from "./harness.ts";

const lastAudit = async (b: AdminBrowser) =>
  (await b.t.relay.database.db.select().from(auditEvents).orderBy(desc(auditEvents.id)).limit(1))[0];
const auditCount = async (b: AdminBrowser) => (await b.t.relay.database.db.select().from(auditEvents)).length;

describe.each(engines)("admin UI ($name)", (engine) => {
  const suite = signedInSuite(engine, "dana@acme.test");
  const admin = () => new AdminBrowser(suite.t);

  it("signs admins in by a single-use emailed link; nobody else, and a GET of the link changes nothing", async () => {
    const b = admin();
    expect((await b.get("/admin/flows")).location).toBe("/admin/sign-in");

    // A non-admin and a stranger get the same page and no mail.
    for (const email of ["dana@acme.test", "nobody@else.test"]) {
      const res = await b.submit("/admin/sign-in", { email });
      expect(res.status).toBe(200);
      expect(res.text).toContain("If");
      expect(await mailsTo(suite.t, email).then((m) => m.filter((x) => x.subject.includes("admin")))).toHaveLength(0);
    }

    await b.submit("/admin/sign-in", { email: "ops@acme.test" });
    const [mail] = await mailsTo(suite.t, "ops@acme.test");
    expect(mail?.subject).toBe("Sign in to the Gatehouse admin");
    const link = /http:\/\/relay\.test(\/admin\/sign-in\/\S+)/.exec(mail?.text ?? "")?.[1] ?? "";
    for (let i = 0; i < 3; i++) expect((await b.get(link)).status).toBe(200); // scanners
    expect(b.cookies.has("gatehouse_admin")).toBe(false);
    expect((await b.get("/admin/flows")).status).toBe(303);

    const confirmed = await b.submit(link, { confirm: "yes" });
    expect(confirmed.status).toBe(303);
    expect(b.cookies.has("gatehouse_admin")).toBe(true);
    const flows = await b.get("/admin/flows");
    expect(flows.status).toBe(200);
    expect(flows.text).toContain('data-testid="flow-list"');

    // The link worked once.
    const other = admin();
    expect((await other.get(link)).status).toBe(410);
    expect((await other.submit(link, { confirm: "yes" })).status).toBe(403); // a 410 page has no form: no CSRF token

    // Signing out ends the session at once.
    await b.submit("/admin/flows", {}, "/admin/sign-out");
    expect((await b.get("/admin/flows")).location).toBe("/admin/sign-in");
  });

  it("creates a flow through the form; a request then follows it, and the change is audited", async () => {
    const b = admin();
    await b.signIn("ops@acme.test");
    const res = await b.submit(
      "/admin/flows/new",
      flowFields({
        id: "figma-eng",
        name: "Figma <b>engineering</b>",
        apps: "figma",
        resources: "eng/*",
        approval: "steps",
        "steps.0.approvers": "group:security",
        "steps.0.require": "all",
        "durations.choices": "30m, 2h",
        requireReason: "on",
      }),
    );
    expect(res.status).toBe(303);
    const list = await b.get(res.location ?? "");
    expect(list.text).toContain("Flow saved.");
    expect(list.text).toContain("Figma &lt;b&gt;engineering&lt;/b&gt;");
    expect(list.text).not.toContain("<b>engineering</b>");

    const stored = (await readConfig(suite.t.relay.database.db)).flows?.find((f) => f.id === "figma-eng");
    expect(stored).toMatchObject({
      apps: ["figma"],
      resources: ["eng/*"],
      approval: { steps: [{ approvers: ["group:security"], require: "all" }] },
      durations: { choices: ["30m", "2h"] },
      requireReason: true,
    });

    const event = await lastAudit(b);
    expect(event).toMatchObject({ actor: "ops@acme.test", action: "flow.created", data: { subject: "figma-eng", before: null } });
    expect(event?.data).toMatchObject({ after: { apps: ["figma"] } });

    const preview = await suite.t.app.request(
      "/api/v1/requests/preview",
      json(
        { app: "figma", resource: { id: "eng/roadmap", name: null, url: "https://www.figma.com/file/eng/roadmap" } },
        bearer(suite.token),
      ),
    );
    expect(await preview.json()).toMatchObject({ flow: { id: "figma-eng" }, durations: ["30m", "2h"], requireReason: true });
    const created = await suite.t.app.request(
      "/api/v1/requests",
      json(
        {
          app: "figma",
          resource: { id: "eng/roadmap", name: null, url: "https://www.figma.com/file/eng/roadmap" },
          message: "",
          duration: "2h",
          reason: "Planning",
        },
        bearer(suite.token),
      ),
    );
    expect(created.status).toBe(201);
    const [row] = await suite.t.relay.database.db
      .select()
      .from(requests)
      .where(eq(requests.id, ((await created.json()) as { id: string }).id));
    expect(row?.flowId).toBe("figma-eng");
    expect(row?.steps[0]?.require).toBe("all");
    expect(row?.steps[0]?.approverIds).toHaveLength(2);
    expect(await verifyChain(suite.t.relay.database.db)).toMatchObject({ ok: true });
  });

  it("refuses an invalid flow with each error beside its field, and saves nothing", async () => {
    const b = admin();
    await b.signIn("ops@acme.test");
    const before = await readConfig(suite.t.relay.database.db);
    const events = await auditCount(b);
    const res = await b.submit(
      "/admin/flows/new",
      flowFields({
        id: "Bad Id",
        name: "Broken",
        apps: "github",
        "steps.0.approvers": "manager\ngroup:secruity",
        "durations.choices": "1h, 2weeks",
        condition: "requester.email ==",
        ticket: "(a+)+$",
      }),
    );
    expect(res.status).toBe(422);
    expect(res.text).toContain("Nothing was saved.");
    const errorFor = (field: string) => new RegExp(`data-error-for="${field.replace(/\./g, "\\.")}"><li>([^<]+)`).exec(res.text)?.[1];
    expect(errorFor("id")).toMatch(/lower-case/);
    expect(errorFor("durations.choices")).toMatch(/expected a duration/);
    // The submitted values stay in the form.
    expect(res.text).toContain("group:secruity");
    expect(await readConfig(suite.t.relay.database.db)).toEqual(before);
    expect(await auditCount(b)).toBe(events);

    // Reference, condition and pattern problems, once the shape is right.
    const refs = await b.submit(
      "/admin/flows/new",
      flowFields({
        id: "broken",
        name: "Broken",
        apps: "github",
        "steps.0.approvers": "manager\ngroup:secruity",
        condition: "requester.email ==",
        ticket: "(a+)+$",
      }),
    );
    expect(refs.status).toBe(422);
    const refErrors = (field: string) => new RegExp(`data-error-for="${field.replace(/\./g, "\\.")}"><li>([^<]+)`).exec(refs.text)?.[1];
    expect(refErrors("steps.0.approvers")).toBe("approvers[1]: unknown group &#39;secruity&#39;");
    expect(refErrors("condition")).toBeTruthy();
    expect(refErrors("ticket")).toBeTruthy();
    expect(refs.text).toContain('data-testid="flow-yaml"');
    expect(await readConfig(suite.t.relay.database.db)).toEqual(before);
  });

  it("reorders and disables flows, which changes what matches", async () => {
    const b = admin();
    await b.signIn("ops@acme.test");
    const first = await b.submit(
      "/admin/flows/new",
      flowFields({ id: "docs-auto", name: "Docs self-service", apps: "google-docs", approval: "auto" }),
    );
    expect(first.status).toBe(303);
    const preview = async () =>
      (
        (await (
          await suite.t.app.request(
            "/api/v1/requests/preview",
            json({ app: "google-docs", resource: docsRequest().resource }, bearer(suite.token)),
          )
        ).json()) as { flow: { id: string } }
      ).flow.id;
    expect(await preview()).toBe("docs"); // the older flow comes first

    const ids = async () => ((await readConfig(suite.t.relay.database.db)).flows ?? []).map((f) => f.id);
    while ((await ids()).indexOf("docs-auto") > (await ids()).indexOf("docs")) {
      const moved = await b.submit("/admin/flows", { by: "-1" }, "/admin/flows/docs-auto/move");
      expect(moved.status).toBe(303);
    }
    expect(await preview()).toBe("docs-auto");
    expect(await lastAudit(b)).toMatchObject({ action: "flow.moved", data: { subject: "docs-auto" } });

    expect((await b.submit("/admin/flows", { enabled: "false" }, "/admin/flows/docs-auto/toggle")).status).toBe(303);
    expect(await preview()).toBe("docs");
    expect(await lastAudit(b)).toMatchObject({ action: "flow.disabled", data: { before: true, after: false } });

    expect((await b.submit("/admin/flows/docs-auto", {}, "/admin/flows/docs-auto/delete")).status).toBe(303);
    expect(await ids()).not.toContain("docs-auto");
  });

  it("refuses a POST without the page's CSRF token and changes nothing", async () => {
    const b = admin();
    await b.signIn("ops@acme.test");
    const events = await auditCount(b);
    const res = await b.request("/admin/flows/docs/toggle", {
      method: "POST",
      headers: { origin: "http://relay.test", "content-type": "application/x-www-form-urlencoded" },
      body: "enabled=false&csrf=forged-token-forged-token-forged-token-xx",
    });
    expect(res.status).toBe(403);
    expect((await readConfig(suite.t.relay.database.db)).flows?.find((f) => f.id === "docs")?.enabled).not.toBe(false);
    expect(await auditCount(b)).toBe(events);
  });

  it("edits people and groups; deactivating an approver moves their pending requests to error", async () => {
    const b = admin();
    await b.signIn("ops@acme.test");
    const created = await suite.t.app.request("/api/v1/requests", json(docsRequest(), bearer(suite.token)));
    const { id } = (await created.json()) as { id: string };

    const res = await b.submit("/admin/users/lee@acme.test", { name: "Lee Okafor", manager: "", timezone: "Europe/Berlin", intent: "" });
    expect(res.status).toBe(303);
    expect(res.location).toMatch(/stranded=[1-9]/);
    const [row] = await suite.t.relay.database.db.select().from(requests).where(eq(requests.id, id));
    expect(row?.state).toBe("error");
    expect(row?.decisionNote).toContain("lee@acme.test");
    expect(await lastAudit(b)).toMatchObject({ actor: "ops@acme.test", action: "user.updated", data: { subject: "lee@acme.test" } });
    const events = await suite.t.relay.database.db.select().from(auditEvents).where(eq(auditEvents.requestId, id));
    expect(events.map((e) => [e.action, e.actor])).toContainEqual(["request.error", "ops@acme.test"]);

    // Reactivate, and check a person with markup in their name is shown escaped.
    expect((await b.submit("/admin/users/lee@acme.test", { name: "Lee Okafor", timezone: "UTC", active: "on" })).status).toBe(303);
    const added = await b.submit("/admin/users/new", {
      email: "eve@acme.test",
      name: "<img src=x onerror=alert(1)>",
      timezone: "Mars/Olympus",
      active: "on",
    });
    expect(added.status).toBe(422);
    expect(added.text).toMatch(/data-error-for="timezone"><li>unknown time zone/);
    expect(added.text).not.toContain("<img src=x");
    expect(
      (await b.submit("/admin/users/new", { email: "eve@acme.test", name: "<img src=x onerror=alert(1)>", timezone: "UTC", active: "on" }))
        .status,
    ).toBe(303);
    const dir = await b.get("/admin/directory");
    expect(dir.text).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(dir.text).not.toContain("<img src=x");

    // Groups: members must exist; a group a flow names cannot be deleted.
    const bad = await b.submit("/admin/groups/security", { name: "Security", members: "priya@acme.test\nghost@acme.test" });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain("unknown user &#39;ghost@acme.test&#39;");
    const del = await b.submit("/admin/groups/security", {}, "/admin/groups/security/delete");
    expect(del.status).toBe(422);
    expect(del.text).toMatch(/flows\[\d+\]\.approval\.steps\[0\]\.approvers\[0\]: unknown group &#39;security&#39;/);
    expect((await readConfig(suite.t.relay.database.db)).directory?.groups?.map((g) => g.id)).toContain("security");

    // An admin cannot lock themselves out.
    const self = await b.submit("/admin/users/ops@acme.test", { name: "Ops Desk", timezone: "UTC", active: "on" });
    expect(self.status).toBe(422);
    expect(self.text).toContain("cannot remove your own admin access");
  });

  it("imports people from CSV all or nothing, naming the line of each problem", async () => {
    const b = admin();
    const users = async () => ((await readConfig(suite.t.relay.database.db)).directory?.users ?? []).map((u) => u.email);
    await b.signIn("ops@acme.test");
    const post = (text: string) => b.submit("/admin/users/import", { text });
    const bad = await post(
      "email,name,manager,timezone\nkim@acme.test,Kim,lee@acme.test,Asia/Tokyo\nraj@acme.test,Raj,nobody@acme.test,UTC\n",
    );
    expect(bad.status).toBe(422);
    expect(bad.text).toContain("line 3, manager: unknown user &#39;nobody@acme.test&#39;");
    expect(await users()).not.toContain("kim@acme.test");
    expect((await post("mail,name\nx@acme.test,X\n")).text).toContain("no &#39;email&#39; column");

    const good = await post(
      'email,name,manager,timezone,active\nkim@acme.test,Kim Park,raj@acme.test,Asia/Tokyo,true\nraj@acme.test,"Raj, Jr.",,UTC,yes\n',
    );
    expect(good.status).toBe(303);
    expect(await users()).toEqual(expect.arrayContaining(["kim@acme.test", "raj@acme.test"]));
    const kim = (await readConfig(suite.t.relay.database.db)).directory?.users?.find((u) => u.email === "kim@acme.test");
    expect(kim).toMatchObject({ name: "Kim Park", manager: "raj@acme.test", timezone: "Asia/Tokyo" });
    expect(await lastAudit(b)).toMatchObject({ action: "users.imported", actor: "ops@acme.test" });
  });

  it("simulates on the page with the explanation, and switches the fallback flow in settings", async () => {
    const b = admin();
    await b.signIn("ops@acme.test");
    const q = (o: Record<string, string>) => `/admin/simulate?${new URLSearchParams(o)}`;
    const sim = await b.get(q({ requester: "dana@acme.test", app: "slack", resource: "general", duration: "1h", reason: "help" }));
    expect(sim.status).toBe(200);
    expect(sim.text).toContain('data-outcome="needs_approval" data-flow="fallback"');
    expect(sim.text).toContain("notion: app &#39;slack&#39; is not one of notion");

    const approvals = { "notify.email": "on", remindAfter: "4h", expireAfter: "1d" };
    const tooLong = await b.submit("/admin/settings", { max: "8h", enabled: "on", ...approvals });
    expect(tooLong.status).toBe(422);
    expect(tooLong.text).toMatch(/data-error-for="max"><li>the fallback flow grants at most 4h/);
    const noChannel = await b.submit("/admin/settings", { max: "2h", remindAfter: "4h", expireAfter: "soon" });
    expect(noChannel.status).toBe(422);
    expect(noChannel.text).toContain('data-error-for="notify"');
    expect(noChannel.text).toContain('data-error-for="expireAfter"');
    expect((await b.submit("/admin/settings", { max: "2h", ...approvals, "notify.slack": "on" })).status).toBe(303);
    expect(await lastAudit(b)).toMatchObject({
      action: "settings.updated",
      data: {
        after: { fallback: { enabled: false, max: "2h" }, approvals: { notify: ["email", "slack"], remindAfter: "4h", expireAfter: "1d" } },
      },
    });
    const off = await b.get(q({ requester: "dana@acme.test", app: "slack", resource: "general", duration: "1h" }));
    expect(off.text).toContain('data-outcome="denied"');
    expect(off.text).toContain("no_flow");
    expect((await b.submit("/admin/settings", { max: "4h", enabled: "on", ...approvals })).status).toBe(303);

    // The same question through the CLI's engine gives the same answer as the page.
    const bad = await b.get(q({ requester: "dana@acme.test", app: "jira", duration: "2weeks" }));
    expect(bad.status).toBe(422);
  });

  it("shows the policy as YAML and keeps UI edits across a restart unless the file changed", async () => {
    const b = admin();
    await b.signIn("ops@acme.test");
    const yaml = await b.get("/admin/policy.yaml");
    expect(yaml.text).toContain("flows:");
    const { bootRelay } = await import("../src/boot.ts");
    const { parseEnv } = await import("../src/env.ts");
    const { silentLogger } = await import("../src/log.ts");
    expect((await b.submit("/admin/flows/new", flowFields({ id: "kept", name: "Kept", apps: "figma" }))).status).toBe(303);
    // A restart on the same database with the same file keeps the edit.
    const again = await bootRelay({ env: suite.t.relay.env, clock: suite.t.clock, database: suite.t.relay.database, log: silentLogger });
    await again.bus.stop();
    expect((await readConfig(suite.t.relay.database.db)).flows?.map((f) => f.id)).toContain("kept");
    // A changed file wins, and says so in the audit trail.
    const { writeFileSync, readFileSync, mkdtempSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const file = join(mkdtempSync(join(tmpdir(), "gh-cfg-")), "gatehouse.yaml");
    writeFileSync(file, `${readFileSync(suite.t.relay.env.configPath, "utf8")}\n# changed\n`);
    const changed = await bootRelay({
      env: parseEnv({ ...process.env, GATEHOUSE_CONFIG: file, PUBLIC_URL: "http://relay.test", KEY_ENCRYPTION_KEY: TEST_KEK }),
      clock: suite.t.clock,
      database: suite.t.relay.database,
      log: silentLogger,
    });
    await changed.bus.stop();
    expect((await readConfig(suite.t.relay.database.db)).flows?.map((f) => f.id)).not.toContain("kept");
    expect(await lastAudit(b)).toMatchObject({ action: "config.applied", actor: "config" });
    expect(await verifyChain(suite.t.relay.database.db)).toMatchObject({ ok: true });
  });
});
