import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PanelDriver, ROOT, recordNetwork, type SeenRequest, type SignedInWorld, shot, startSignedIn, waitFor } from "./harness.ts";

/**
 * The detector inside the real extension: what it sends (nothing, until the
 * employee acts), single-page-app navigation, late and modal denials, the
 * lazily loaded panel, and the admin's own rules fetched from the relay.
 */
const fixture = (name: string) => readFileSync(join(ROOT, "test/e2e/fixtures", name), "utf8");

const PAGES: Record<string, { status: number; body: string; headers?: Record<string, string> }> = {
  "https://github.com/acme-corp/design-tokens": {
    status: 200,
    body: `<!doctype html><html><head><title>acme-corp/design-tokens · GitHub</title><meta name="user-login" content="dana"></head>
      <body><header><a href="/logout">Sign out</a></header><main><h1>design-tokens</h1><p>Colour and spacing tokens.</p>
      <article><h2>README</h2><p>If you get "access denied" from the CDN, ask #platform.</p></article></main></body></html>`,
  },
  "https://intranet.acme-corp.internal/news": {
    status: 200,
    body: `<!doctype html><html><head><title>News · Acme intranet</title></head><body><main><h1>This week at Acme</h1>
      <p>Marcus: I got access denied on the old wiki yesterday, it is fixed now.</p><p>Lunch is on the 4th floor.</p></main></body></html>`,
  },
  "https://docs.google.com/document/d/1ZeroNetworkDocAbCdEfGh/edit": {
    status: 403,
    body: fixture("google-docs-you-need-access.html"),
  },
  "https://linear.app/acme/team/ENG/active": { status: 200, body: fixture("spa-linear.html") },
  // A page that allows no scripts, styles or connections of its own: the panel must still load.
  "https://vault.acme-corp.internal/secrets/payroll": {
    status: 403,
    headers: { "content-security-policy": "default-src 'none'; script-src 'none'; style-src 'none'; connect-src 'none'" },
    body: `<!doctype html><html><head><title>403 Forbidden</title></head><body><main><h1>Access denied</h1><p>You don't have permission to read this secret.</p></main></body></html>`,
  },
  "https://hr.acme-corp.internal/compensation/bands/2025": {
    status: 403,
    body: `<!doctype html><html><head><title>Acme HR</title></head><body><main><div class="notice">Dieser Bereich ist für Ihre Rolle nicht freigegeben.</div></main></body></html>`,
  },
};

let relay: SignedInWorld["relay"];
let browser: Browser;
let stop: (() => Promise<void>) | undefined;

/** Serves PAGES at their real URLs; anything else on http(s) gets an empty 404 and never leaves the machine. */
async function open(url: string): Promise<Page> {
  const page = await browser.newPage();
  await page.setRequestInterception(true);
  page.on("request", (req) => {
    const u = new URL(req.url());
    if (u.protocol !== "https:" && u.protocol !== "http:") return void req.continue();
    if (u.host === new URL(relay.url).host) return void req.continue();
    u.hash = "";
    const known = PAGES[u.href];
    if (known && req.isNavigationRequest())
      void req.respond({ status: known.status, contentType: "text/html; charset=utf-8", body: known.body });
    else void req.respond({ status: 404, body: "" });
  });
  await page.goto(url, { waitUntil: "load" });
  return page;
}

const drivers = new WeakMap<Page, PanelDriver>();
async function panelOf(page: Page): Promise<PanelDriver> {
  let d = drivers.get(page);
  if (!d) {
    d = await PanelDriver.attach(page);
    drivers.set(page, d);
  }
  return d;
}
const hasPanel = async (page: Page) => (await panelOf(page)).shown();
const panelText = async (page: Page, testid: string) => (await (await panelOf(page)).text(testid)) ?? "";

/** http(s) requests made after `since`, other than loading the pages themselves. */
function traffic(seen: SeenRequest[], since: number): SeenRequest[] {
  const own = (r: SeenRequest) => r.method === "GET" && (new URL(r.url).href.split("#")[0] ?? "") in PAGES;
  const favicon = (r: SeenRequest) => new URL(r.url).pathname === "/favicon.ico"; // the browser's, for the tab strip
  return seen.filter((r) => r.at >= since && /^https?:/.test(r.url) && !own(r) && !favicon(r));
}

beforeAll(async () => {
  ({ relay, browser, stop } = await startSignedIn());
}, 120_000);

afterAll(() => stop?.());

describe("what leaves the browser", () => {
  it("sends nothing at all for pages that are not denied", async () => {
    const net = await recordNetwork(browser);
    const since = Date.now();
    for (const url of ["https://github.com/acme-corp/design-tokens", "https://intranet.acme-corp.internal/news"]) {
      const page = await open(url);
      await new Promise((r) => setTimeout(r, 1500)); // time for late checks
      expect(await hasPanel(page)).toBe(false);
      await page.close();
    }
    net.stop();
    // Not one request: none from the pages' content script, none from the extension's worker on their behalf.
    const extra = traffic(net.requests, since).filter((r) => !new URL(r.url).pathname.startsWith("/api/v1/notices"));
    expect(extra).toEqual([]);
  });

  it("sends nothing from a denied page until the employee acts, and its message only on submit", async () => {
    const net = await recordNetwork(browser);
    const since = Date.now();
    const page = await open("https://docs.google.com/document/d/1ZeroNetworkDocAbCdEfGh/edit");
    await (await panelOf(page)).waitFor("gh-open", 10_000);
    await new Promise((r) => setTimeout(r, 500));
    const relayCalls = () => traffic(net.requests, since).filter((r) => r.url.startsWith(relay.url) && !r.url.includes("/api/v1/notices"));
    expect(relayCalls()).toEqual([]);
    // The panel's code came from the extension itself, not from the network.
    expect(traffic(net.requests, since).filter((r) => !r.url.startsWith(relay.url))).toEqual([]);

    const panel = await panelOf(page);
    // The page cannot see into the panel, and clicks made by scripts do nothing.
    expect(await page.$eval("gatehouse-panel", (el) => el.shadowRoot === null)).toBe(true);
    await panel.scriptClick("gh-open");
    await new Promise((r) => setTimeout(r, 500));
    expect(await panel.attribute("gatehouse-panel", "data-step")).toBe("prompt");
    expect(relayCalls()).toEqual([]);

    await panel.click("gh-open");
    await panel.waitFor("gh-reason", 10_000);
    const preview = relayCalls();
    expect(preview.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual(["POST /api/v1/requests/preview"]);
    expect(preview[0]?.body).toContain("1ZeroNetworkDocAbCdEfGh");
    expect(preview[0]?.body).not.toContain("You need access"); // the page's own words stay until submit

    await panel.select("gh-duration", "1h");
    await panel.type("gh-reason", "Reviewing the launch plan");
    await panel.click("gh-submit");
    await waitFor("the request to be sent", async () =>
      relayCalls().some((r) => r.url.endsWith("/api/v1/requests") && r.method === "POST"),
    );
    const submit = relayCalls().find((r) => r.url.endsWith("/api/v1/requests") && r.method === "POST");
    expect(submit?.body).toContain("You need access");
    net.stop();
    await page.close();
  });
});

describe("strict pages", () => {
  it("shows the panel on a page whose Content-Security-Policy forbids everything", async () => {
    const page = await open("https://vault.acme-corp.internal/secrets/payroll");
    await (await panelOf(page)).waitFor("gh-open", 10_000);
    expect(await panelText(page, "gh-resource")).toBe("vault.acme-corp.internal");
    await shot(page, "panel-strict-csp");
    await page.close();
  });
});

describe("single-page apps", () => {
  it("re-checks on history navigation, shows the panel for a late denial and removes it on leaving", async () => {
    const page = await open("https://linear.app/acme/team/ENG/active");
    await new Promise((r) => setTimeout(r, 600));
    expect(await hasPanel(page)).toBe(false);

    const started = Date.now();
    await page.evaluate(() => (window as unknown as { go(p: string): void }).go("/acme/issue/ENG-9/pricing-experiments"));
    await (await panelOf(page)).waitFor("gh-open", 5_000);
    const shownAfter = Date.now() - started;
    expect(await panelText(page, "gh-resource")).toBe("Pricing experiments");
    expect(await panelText(page, "gh-resource-id")).toContain("ENG-9");
    expect(await panelText(page, "gh-app")).toBe("Linear");
    expect(shownAfter).toBeLessThan(2_000);
    await shot(page, "panel-spa-linear");

    // This flow asks for a ticket: the form has the field, refuses a wrong one and sends a right one.
    const panel = await panelOf(page);
    await panel.click("gh-open");
    await panel.waitFor("gh-ticket", 10_000);
    await panel.type("gh-ticket", "nope");
    await panel.click("gh-submit");
    await waitFor("the ticket to be refused", async () => ((await panel.text("gatehouse-panel")) ?? "").includes("ticket"), 5_000);
    expect(await panel.attribute("gatehouse-panel", "data-step")).toBe("form");
    await panel.clear("gh-ticket");
    await panel.type("gh-ticket", "ENG-9");
    await panel.click("gh-submit");
    await waitFor("the request to be sent", async () => (await panel.attribute("gatehouse-panel", "data-step")) === "sent", 10_000);

    await page.goBack();
    await waitFor("the panel to go away", async () => !(await hasPanel(page)), 5_000);
    await page.close();
  });

  it("notices a denial that appears in a modal without a navigation", async () => {
    const page = await open("https://linear.app/acme/team/ENG/active");
    await new Promise((r) => setTimeout(r, 300));
    await page.evaluate(() => (window as unknown as { openLockedProject(): void }).openLockedProject());
    await (await panelOf(page)).waitFor("gh-open", 5_000);
    expect(await panelText(page, "gh-message")).toContain("You don’t have access to this project");
    await page.close();
  });
});

describe("admin-defined rules", () => {
  it("are fetched from the relay after sign-in and applied before the generic detector", async () => {
    const page = await open("https://hr.acme-corp.internal/compensation/bands/2025");
    await (await panelOf(page)).waitFor("gh-open", 10_000);
    expect(await panelText(page, "gh-app")).toBe("Acme HR");
    expect(await panelText(page, "gh-resource")).toBe("comp:bands");
    await shot(page, "panel-admin-rule");
    await page.close();
  });
});
