import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, HTTPRequest, Page, WebWorker } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScimPeer } from "../../relay/test/scim-peer.ts";
import { linkIn, PanelDriver, ROOT, type SignedInWorld, shot, startSignedIn, waitFor } from "./harness.ts";

/**
 * The grant made real, end to end: a Google Docs denied page, a request from
 * the panel, approval by the mailed link, the relay adding the employee to a
 * group of a SCIM service on loopback (a scimmy server), and a stand-in of
 * the app at its real address that serves the document only to members of
 * that group. The panel says "Reload to continue" only once the membership
 * exists; the warning before the end, an extension from the popup, the end
 * (the membership removed) and the page denying again all follow.
 */
const DENIED_PAGE = readFileSync(join(ROOT, "test/e2e/fixtures/google-docs-you-need-access.html"), "utf8");
const DOC_ID = "1Bd9kQw3XrT7yLmN2pVs5cZa8HfJ4gE6uKoR0iPtY_qW";
const DOC_URL = `https://docs.google.com/document/d/${DOC_ID}/edit`;
const GROUP = `docs-${DOC_ID}`;
const DANA = "dana@acme.test";
const SCIM_TOKEN = "e2e-scim-token-5f0c1d9a";

/** The policy: Google Docs grants go to a SCIM group per document, last 12 s, warn 8 s before the end, extend once by 10 s. */
function policy(scimUrl: string): string {
  return `# Written by provisioning.e2e.test.ts
admins: [ops@acme.test]
providers:
  - { id: docs-scim, type: scim, url: "${scimUrl}", token: "\${env:GH_E2E_SCIM_TOKEN}", groupBy: displayName, timeout: 2s }
grants:
  warnings: [{ before: 8s }]
directory:
  users:
    - { email: dana@acme.test, name: Dana Whitfield, manager: lee@acme.test }
    - { email: lee@acme.test, name: Lee Okafor }
    - { email: ops@acme.test, name: Ops Desk }
flows:
  - id: google-workspace
    name: Google Docs and Drive
    apps: [google-docs]
    approval:
      steps:
        - { approvers: [manager], require: any }
    durations: { choices: [12s, 1h], default: 12s }
    extend: { allowed: true, times: 1, by: 10s, max: 30s }
    grant: { provider: docs-scim, target: { group: "docs-{{ resource.id }}" } }
`;
}

const DOC_PAGE = `<!doctype html><html><head><title>Board deck - Google Docs</title></head>
<body><div role="main" data-testid="doc-body"><h1>Board deck</h1><p>Quarterly numbers.</p></div></body></html>`;

let scim: ScimPeer;
let world: SignedInWorld | undefined;
let browser: Browser;
let worker: () => Promise<WebWorker>;
/** What the app stand-in answered, in order: "denied" or "document". */
const served: string[] = [];

/**
 * The app at its real address: the document for members of its group (asked
 * of the SCIM service, as the real app would ask its directory), the denial
 * for everyone else. Every other https request stays on the machine.
 */
async function serveApp(page: Page): Promise<void> {
  await page.setRequestInterception(true);
  page.on("request", (req: HTTPRequest) => {
    const url = new URL(req.url());
    if (url.hostname === "docs.google.com" && req.isNavigationRequest()) {
      const member = scim.isMember(GROUP, DANA);
      served.push(member ? "document" : "denied");
      void req.respond({ status: member ? 200 : 403, contentType: "text/html; charset=utf-8", body: member ? DOC_PAGE : DENIED_PAGE });
    } else if (url.protocol === "https:") void req.respond({ status: 404, body: "" });
    else void req.continue();
  });
}

async function notifications(): Promise<string[]> {
  const w = await worker();
  return w.evaluate(() => {
    const api = (globalThis as unknown as { chrome: { notifications: { getAll(cb: (all: Record<string, unknown>) => void): void } } })
      .chrome;
    return new Promise<string[]>((r) => api.notifications.getAll((all) => r(Object.keys(all))));
  });
}

beforeAll(async () => {
  scim = new ScimPeer({ token: SCIM_TOKEN });
  await scim.start();
  scim.addUser(DANA, "Dana Whitfield");
  scim.addGroup(GROUP);
  const file = join(mkdtempSync(join(tmpdir(), "gh-e2e-prov-")), "gatehouse.yaml");
  writeFileSync(file, policy(scim.url));
  world = await startSignedIn({
    GATEHOUSE_CONFIG: file,
    GH_E2E_SCIM_TOKEN: SCIM_TOKEN,
    EXPIRY_INTERVAL_MS: "250",
    OUTBOX_INTERVAL_MS: "100",
  });
  ({ browser, worker } = world);
}, 120_000);

afterAll(async () => {
  await world?.stop();
  await scim?.stop();
});

describe("a grant that grants: SCIM membership from approval to expiry", () => {
  it("provisions before saying so, extends from the popup, removes the membership at the end and the page denies again", async () => {
    const page = await browser.newPage();
    await serveApp(page);
    await page.goto(DOC_URL);
    const panel = await PanelDriver.attach(page);
    const step = () => panel.attribute("gatehouse-panel", "data-step");
    await panel.waitFor("gh-open");
    expect(await panel.text("gh-resource")).toBe(DOC_ID);
    await panel.click("gh-open");
    await waitFor("the request form", async () => (await step()) === "form");
    await panel.select("gh-duration", "12s");
    await panel.type("gh-reason", "Board deck review");
    await panel.click("gh-submit");
    await waitFor("the panel to say the request was sent", async () => (await step()) === "sent");

    // The SCIM service fails the first call: the grant stays in provisioning, the panel says so.
    scim.failNext(1, 503);
    const decision = await mail.waitForMail("lee@acme.test", /Dana Whitfield/);
    const decide = await browser.newPage();
    await decide.goto(linkIn(decision, "/decide/"));
    await Promise.all([decide.waitForNavigation(), decide.click("button[value=approve]")]);
    expect(await decide.$eval("[data-testid=decision-result]", (el) => el.getAttribute("data-outcome"))).toBe("approved");
    await decide.close();

    await waitFor("the panel to say access is being set up", async () => (await step()) === "provisioning", 10_000);
    expect(scim.isMember(GROUP, DANA)).toBe(false);
    await shot(page, "panel-provisioning");

    // "Reload to continue" only once the provider confirmed: the membership is there by then.
    await waitFor("the panel to say access is in place", async () => (await step()) === "approved", 20_000);
    expect(scim.isMember(GROUP, DANA)).toBe(true);
    expect(await panel.has("gh-reload")).toBe(true);
    expect(await panel.text("gh-countdown")).toMatch(/\d+\s?s\b/);
    await shot(page, "panel-active");
    // The 503 answered the first call's user lookup; the retry looked again and made the one change, under the grant's key.
    expect(scim.requests.filter((r) => r.method === "GET" && r.path.includes("/Users")).length).toBeGreaterThanOrEqual(2);
    const patches = scim.requests.filter((r) => r.method === "PATCH");
    expect(patches.length).toBe(1);
    expect(patches[0]?.headers["idempotency-key"]).toMatch(/:grant:\d+$/);

    // Reload: the app stand-in now serves the document, and no panel is offered.
    await Promise.all([page.waitForNavigation(), panel.click("gh-reload")]);
    expect(await page.$eval("[data-testid=doc-body] h1", (el) => el.textContent)).toBe("Board deck");
    expect(served).toEqual(["denied", "document"]);

    // The warning before the end: a notification (with Extend and Open buttons where the browser has them).
    await waitFor("the 'ends soon' notification", async () => (await notifications()).some((id) => id.includes(":grant.expiring")), 15_000);

    // Extend from the popup: one click; the end moves by 10 s.
    const popup = await browser.newPage();
    await popup.goto(`chrome-extension://${world?.extensionId}/popup.html`);
    await popup.waitForSelector("[data-testid=grants] li[data-grant-state=active] [data-testid=extend-grant]");
    const endBefore = await grantEnd();
    await popup.setViewport({ width: 380, height: 460 });
    await shot(popup, "popup-grant");
    await popup.click("[data-testid=extend-grant]");
    await waitFor("the grant's end to move", async () => {
      const end = await grantEnd();
      return end !== null && endBefore !== null && end - endBefore >= 9_000;
    });
    // Once is all the flow allows: the button goes.
    await waitFor("the extend button to go", async () => (await popup.$("[data-testid=extend-grant]")) === null);
    await popup.close();

    // The end: the relay removes the membership, and only then calls the grant over.
    await waitFor("the membership to be removed", async () => !scim.isMember(GROUP, DANA), 40_000);
    await waitFor("the 'access ended' notification", async () => (await notifications()).some((id) => id.endsWith(":ended")), 15_000);
    expect(scim.requests.filter((r) => r.method === "PATCH").map((r) => r.headers["idempotency-key"])).toEqual([
      expect.stringMatching(/:grant:\d+$/),
      expect.stringMatching(/:revoke:\d+$/),
    ]);

    // The page denies again, and the panel says the access ended rather than offering a bare request.
    await page.reload();
    const again = await PanelDriver.attach(page);
    await waitFor("the panel to say access ended", async () => (await again.attribute("gatehouse-panel", "data-step")) === "ended", 15_000);
    expect(await again.text("gh-status")).toMatch(/ended/i);
    expect(await again.has("gh-request-again")).toBe(true);
    expect(served).toEqual(["denied", "document", "denied"]);
    await shot(page, "panel-ended");
    await page.close();
  }, 120_000);
});

const mail = {
  waitForMail: (to: string, subject: RegExp) => {
    if (!world) throw new Error("not started");
    return world.mail.waitForMail(to, subject);
  },
};

/** The grant's end as the relay has it, read over the extension's own API session. */
async function grantEnd(): Promise<number | null> {
  const w = await worker();
  const end = await w.evaluate(async () => {
    const api = (globalThis as unknown as { chrome: { storage: { local: { get(k: null): Promise<Record<string, unknown>> } } } }).chrome;
    const all = await api.storage.local.get(null);
    for (const value of Object.values(all)) {
      if (!Array.isArray(value)) continue;
      for (const r of value as { grant?: { endsAt?: string | null; state?: string } }[])
        if (r?.grant?.state === "active" && r.grant.endsAt) return r.grant.endsAt;
    }
    return null;
  });
  return end ? new Date(end).getTime() : null;
}
