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

/** Google's "You need access" page in a locale: the real product's translated strings. */
const googleDenial = (lang: string, title: string, heading: string, detail: string, button: string) =>
  `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${title}</title></head><body>
  <div style="display:flex;justify-content:space-between;padding:8px 16px"><span>Google Docs</span><span class="acct" title="Google-Konto: Dana Whitfield (dana@acme.test)">D</span></div>
  <div role="main" style="display:flex;justify-content:center;padding-top:48px"><div style="width:460px">
  <h1 style="font-weight:400">${heading}</h1><p>${detail}</p>
  <form method="POST"><div contenteditable="true" role="textbox" aria-label="…"></div><button type="submit">${button}</button></form>
  <p>dana@acme.test<br><a href="https://accounts.google.com/AccountChooser">…</a></p></div></div></body></html>`;

/** The classes the detector must meet beyond a plain denial page (issue 14): embedded apps, pending requests, other languages, and pages about denials. */
const DETECTOR_CASES: Record<string, { status: number; body: string }> = {
  // A wiki page embedding a Google Doc the reader may not open: the denial is inside the frame.
  "https://wiki.acme-corp.internal/display/LAUNCH/Plan": {
    status: 200,
    body: `<!doctype html><html><head><title>Launch plan - Acme wiki</title></head><body><header><a href="/logout">Log out</a></header>
      <main><h1>Launch plan</h1><p>The timeline is below; the budget lives in the finance doc.</p>
      <iframe title="Budget" src="https://docs.google.com/document/d/1EmbedBudgetDocQwErTyUi/preview" width="820" height="520"></iframe>
      <h2>Milestones</h2><ul><li>Beta on 12 January</li><li>GA on 2 March</li></ul></main></body></html>`,
  },
  "https://docs.google.com/document/d/1EmbedBudgetDocQwErTyUi/preview": { status: 403, body: fixture("google-docs-you-need-access.html") },
  // Figma after the reader asked in the app: still blocked, and waiting.
  "https://www.figma.com/design/Pq7RtY2uVbN4mK9sLd3aXe/Checkout-redesign": {
    status: 200,
    body: `<!doctype html><html lang="en"><head><title>Checkout redesign – Figma</title></head><body>
      <header style="display:flex;justify-content:space-between;padding:8px 16px;background:#2c2c2c;color:#fff"><span>Figma</span>
      <img class="avatar" title="Dana Whitfield" alt="" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></header>
      <main style="text-align:center;padding-top:80px"><h1>Request sent</h1>
      <p>We’ll email you when an owner of “Checkout redesign” responds to your request for access.</p>
      <p><a href="/files/recents">Back to files</a></p></main></body></html>`,
  },
  "https://docs.google.com/spreadsheets/d/1GermanSheetAbCdEfGhIjK/edit?hl=de": {
    status: 403,
    body: googleDenial(
      "de",
      "Google Tabellen – Sie benötigen eine Zugriffsberechtigung",
      "Sie benötigen eine Zugriffsberechtigung",
      "Fordern Sie Zugriff an oder wechseln Sie zu einem Konto mit Zugriffsberechtigung.",
      "Zugriff anfordern",
    ),
  },
  "https://docs.google.com/presentation/d/1JapaneseDeckAbCdEfGhIj/edit?hl=ja": {
    status: 403,
    body: googleDenial(
      "ja",
      "Google スライド - アクセス権が必要です",
      "アクセス権が必要です",
      "アクセス権をリクエストするか、アクセス権のあるアカウントに切り替えてください。",
      "アクセス権をリクエスト",
    ),
  },
  // Pages about access errors, not in that state.
  "https://learn.microsoft.com/en-us/troubleshoot/developer/webapps/iis/health-diagnostic-performance/http-403-14-forbidden-webpage": {
    status: 200,
    body: `<!doctype html><html lang="en-us"><head><title>HTTP Error 403.14 - Forbidden error when you open an IIS webpage - Internet Information Services | Microsoft Learn</title></head>
      <body><header><a href="/en-us/">Microsoft Learn</a> <a href="/en-us/signin">Sign in</a></header>
      <main><article><h1>HTTP Error 403.14 - Forbidden error when you open an IIS webpage</h1>
      <p>This article helps you resolve the HTTP Error 403.14 - Forbidden error that occurs when you open an Internet Information Services (IIS) webpage.</p>
      <h2>Symptoms</h2><p>When you open an IIS webpage, you receive the following error message:</p>
      <p>HTTP Error 403.14 - Forbidden. The Web server is configured to not list the contents of this directory. You do not have permission to view this directory or page.</p>
      <h2>Cause</h2><p>This problem occurs because the site doesn't have the Directory Browsing feature enabled, and the default document isn't configured.</p>
      <h2>Resolution</h2><p>To resolve this problem, follow these steps: open IIS Manager, select the site, and enable Directory Browsing, or add a default document.</p>
      <h3>Method 1: Enable the Directory Browsing feature in IIS</h3><p>Start IIS Manager. In Features View, double-click Directory Browsing, and then select Enable in the Actions pane.</p>
      <h3>Method 2: Add a default document</h3><p>Start IIS Manager, double-click Default Document, select Add, type the name of the default document, and then select OK.</p>
      <h2>More information</h2><p>If your users still see "Access is denied", check the NTFS permissions of the site's folder.</p></article></main></body></html>`,
  },
  "https://grafana.acme-corp.internal/d/edge-denials/edge-access-denials?orgId=1&from=now-24h&to=now": {
    status: 200,
    body: `<!doctype html><html><head><title>Edge access denials - Dashboards - Grafana</title></head><body class="theme-dark">
      <nav aria-label="Main"><a href="/">Home</a> <a href="/dashboards">Dashboards</a> <a href="/logout">Sign out</a></nav>
      <main><h1>Edge access denials</h1>
      <section class="panel-container"><h2>403 Forbidden (24h)</h2><div class="singlestat-panel-value">1,204</div></section>
      <section class="panel-container"><h2>Access denied by WAF rule</h2><div class="singlestat-panel-value">387</div></section>
      <section class="panel-container"><h2>401 Unauthorized by service</h2><table><tr><th>service</th><th>count</th></tr>
      <tr><td>billing-api</td><td>212</td></tr><tr><td>payroll-api</td><td>97</td></tr><tr><td>search</td><td>14</td></tr></table></section>
      <section class="panel-container"><h2>Top denied paths</h2><table><tr><th>path</th><th>status</th><th>count</th></tr>
      <tr><td>/admin/export</td><td>403</td><td>301</td></tr><tr><td>/api/v2/payroll</td><td>401</td><td>88</td></tr></table></section>
      </main></body></html>`,
  },
};

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
  ...DETECTOR_CASES,
  "https://hr.acme-corp.internal/compensation/bands/2025": {
    status: 403,
    body: `<!doctype html><html><head><title>Acme HR</title></head><body><main><div class="notice">Dieser Bereich ist für Ihre Rolle nicht freigegeben.</div></main></body></html>`,
  },
};

let relay: SignedInWorld["relay"];
let browser: Browser;
let extensionId: string;
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
  ({ relay, browser, stop, extensionId } = await startSignedIn());
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

describe("what the detector meets (issue 14)", () => {
  it("shows the panel in the top frame for a denial inside an embedded app", async () => {
    const page = await open("https://wiki.acme-corp.internal/display/LAUNCH/Plan");
    const panel = await panelOf(page);
    await panel.waitFor("gh-open", 10_000);
    expect(await panelText(page, "gh-app")).toBe("Google Docs");
    expect(await panelText(page, "gh-what")).toContain("1EmbedBudgetDocQwErTyUi");
    // One panel, in the top document: the frame shows none of its own.
    expect(await page.$$eval("gatehouse-panel", (els) => els.length)).toBe(1);
    const frame = page.frames().find((f) => f.url().includes("1EmbedBudgetDocQwErTyUi"));
    expect(await frame?.$$eval("gatehouse-panel", (els) => els.length)).toBe(0);
    await shot(page, "panel-iframe");
    await page.close();
  });

  it("tells a request already pending in the app apart, with its own wording", async () => {
    const page = await open("https://www.figma.com/design/Pq7RtY2uVbN4mK9sLd3aXe/Checkout-redesign");
    const panel = await panelOf(page);
    await panel.waitFor("gh-open", 10_000);
    expect(await panel.attribute("gh-what", "data-kind")).toBe("pending");
    expect(await panelText(page, "gh-what")).toMatch(/^Your request for .*Checkout redesign.* in Figma is still pending in the app\.$/);
    expect(await panelText(page, "gh-kind-hint")).toContain("reach an approver now");
    await shot(page, "panel-pending");
    await page.close();
  });

  it.each([
    ["German", "https://docs.google.com/spreadsheets/d/1GermanSheetAbCdEfGhIjK/edit?hl=de", "Sie benötigen eine Zugriffsberechtigung"],
    ["Japanese", "https://docs.google.com/presentation/d/1JapaneseDeckAbCdEfGhIj/edit?hl=ja", "アクセス権が必要です"],
  ])("reads a %s denial", async (_lang, url, words) => {
    const page = await open(url);
    await (await panelOf(page)).waitFor("gh-open", 10_000);
    expect(await panelText(page, "gh-message")).toContain(words);
    expect(await panelText(page, "gh-app")).toBe("Google Docs");
    await page.close();
  });

  it("shows no panel on a documentation page about 403 errors or on a dashboard counting denials, and says why in the options page", async () => {
    const urls = [
      "https://learn.microsoft.com/en-us/troubleshoot/developer/webapps/iis/health-diagnostic-performance/http-403-14-forbidden-webpage",
      "https://grafana.acme-corp.internal/d/edge-denials/edge-access-denials?orgId=1&from=now-24h&to=now",
    ];
    const pages = await Promise.all(urls.map(open));
    // The signal that the content script has judged them: its own account, asked for by the options page's debug view.
    const options = await browser.newPage();
    await options.goto(`chrome-extension://${extensionId}/options.html`);
    await options.waitForSelector("[data-testid=detection-debug] summary");
    await options.click("[data-testid=detection-debug] summary");
    const verdicts = async () =>
      options.$$eval("[data-testid=debug-page]", (els) =>
        els.map((el) => ({
          url: el.querySelector(".debug-url")?.textContent ?? "",
          shown: el.getAttribute("data-shown"),
          reasons: el.querySelector("[data-testid=debug-reasons]")?.textContent ?? "",
        })),
      );
    await waitFor("the debug view to list both pages", async () => {
      const got = await verdicts();
      if (urls.every((u) => got.some((v) => v.url === u))) return true;
      await options.click("[data-testid=debug-refresh]");
      return false;
    });
    const got = await verdicts();
    for (const u of urls) {
      const v = got.find((x) => x.url === u);
      expect(v?.shown, u).toBe("false");
      expect(v?.reasons, u).toMatch(/[+−]\d\.\d\d/); // each signal with what it counted
    }
    await shot(options, "options-detection-debug");
    for (const page of pages) expect(await hasPanel(page)).toBe(false);
    await options.close();
    for (const page of pages) await page.close();
  });
});
