import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page, WebWorker } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linkIn, PanelDriver, ROOT, type SignedInWorld, serveDenied, shot, startSignedIn, waitFor } from "./harness.ts";

/**
 * The thin loop end to end: sign-in by emailed link, a Google Docs denied page
 * (served at its real URL by request interception), the in-page panel, the
 * approver's mail and confirmation page, push back to the extension, expiry.
 */
const DENIED_PAGE = readFileSync(join(ROOT, "test/e2e/fixtures/google-docs-you-need-access.html"), "utf8");
const DOC_URL = (id: string) => `https://docs.google.com/document/d/${id}/edit`;

let mail: SignedInWorld["mail"];
let relay: SignedInWorld["relay"];
let browser: Browser;
let stop: (() => Promise<void>) | undefined;
let extensionId: string;
let worker: () => Promise<WebWorker>;

const drivers = new WeakMap<Page, PanelDriver>();
async function panelOf(page: Page): Promise<PanelDriver> {
  let d = drivers.get(page);
  if (!d) {
    d = await PanelDriver.attach(page);
    drivers.set(page, d);
  }
  return d;
}

async function panelStep(page: Page): Promise<string | null> {
  return (await panelOf(page)).attribute("gatehouse-panel", "data-step");
}

async function notificationIds(): Promise<string[]> {
  const w = await worker();
  // Runs inside the extension's service worker, where `chrome` exists.
  return w.evaluate(() => {
    const api = (globalThis as unknown as { chrome: { notifications: { getAll(cb: (all: Record<string, unknown>) => void): void } } })
      .chrome;
    return new Promise<string[]>((r) => api.notifications.getAll((all) => r(Object.keys(all))));
  });
}

/** Opens a denied doc, fills the panel and submits; returns the page. */
async function requestAccess(docId: string, duration: string, reason: string): Promise<Page> {
  const page = await browser.newPage();
  await serveDenied(page, "docs.google.com", DENIED_PAGE);
  await page.goto(DOC_URL(docId));
  const panel = await panelOf(page);
  await panel.waitFor("gh-open");
  expect(await panel.text("gh-message")).toContain("You need access");
  expect(await panel.text("gh-resource")).toBe(docId);
  await panel.click("gh-open");
  const step = await waitFor("the panel to leave the prompt", async () => {
    const s = await panelStep(page);
    return s !== "prompt" && s !== "loading" && s;
  });
  if (step !== "form") throw new Error(`panel shows ${step}: ${await panel.text("gatehouse-panel")}`);
  expect(await panel.text("gh-approvers")).toContain("Lee Okafor");
  await panel.select("gh-duration", duration);
  await panel.type("gh-reason", reason);
  await shot(page, "panel-form");
  await panel.click("gh-submit");
  await waitFor("the panel to say the request was sent", async () => (await panelStep(page)) === "sent");
  return page;
}

async function openDecisionLink(subjectPart: RegExp): Promise<{ link: string; page: Page }> {
  const m = await mail.waitForMail("lee@acme.test", subjectPart);
  const link = linkIn(m, "/decide/");
  const page = await browser.newPage();
  await page.goto(link);
  return { link, page };
}

beforeAll(async () => {
  ({ mail, relay, browser, extensionId, worker, stop } = await startSignedIn({
    EXPIRY_INTERVAL_MS: "250",
    OUTBOX_INTERVAL_MS: "100",
  }));
}, 120_000);

afterAll(() => stop?.());

describe("denied page → approval by mail → grant → expiry", () => {
  let usedLink = "";

  it("approves from the emailed link, pushes the grant to the tab and ends it on time", async () => {
    const docId = "1Qm7vXcR2pLkT9sWbN4eYhJ8uFzA3dG6oKiE0tP5rBqM";
    const page = await requestAccess(docId, "1h", "Quarterly numbers for the board deck");

    const { link, page: decide } = await openDecisionLink(/Dana Whitfield/);
    usedLink = link;
    expect(await decide.$eval("[data-testid=reason]", (el) => el.textContent)).toBe("Quarterly numbers for the board deck");
    expect(await decide.$eval("[data-testid=page-message]", (el) => el.textContent)).toContain("You need access");
    await shot(decide, "approver-confirmation");
    await decide.select("#duration", "8s"); // the approver shortens it, within the flow
    await Promise.all([decide.waitForNavigation(), decide.click("button[value=approve]")]);
    expect(await decide.$eval("[data-testid=decision-result]", (el) => el.getAttribute("data-outcome"))).toBe("approved");
    const approvedAt = Date.now();

    await waitFor("the tab to show the approval", async () => (await panelStep(page)) === "approved", 10_000);
    const pushMs = Date.now() - approvedAt;
    expect(await (await panelOf(page)).has("gh-reload")).toBe(true);
    await shot(page, "panel-approved");
    expect(pushMs).toBeLessThan(5_000);
    await waitFor("an 'access granted' notification", async () => (await notificationIds()).some((id) => id.endsWith(":grant.started")));

    // The popup lists the active grant with its remaining time.
    const popup = await browser.newPage();
    await popup.goto(`chrome-extension://${extensionId}/popup.html`);
    await popup.waitForSelector("[data-testid=grants] li");
    expect(await popup.$eval("[data-testid=grants]", (el) => el.textContent)).toMatch(/s left/);
    await popup.setViewport({ width: 380, height: 420 });
    await shot(popup, "popup");
    await popup.close();

    await waitFor("the tab to show the expiry", async () => (await panelStep(page)) === "ended", 20_000);
    await waitFor("an 'access ended' notification", async () => (await notificationIds()).some((id) => id.endsWith(":ended")));
    await page.close();
    await decide.close();
  }, 90_000);

  it("reports a rejection with the approver's note", async () => {
    const page = await requestAccess("1Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0EdCbA-rejectme", "4h", "Need the vendor contract");
    const { page: decide } = await openDecisionLink(/rejectme/);
    await decide.type("#note", "Ask Legal for a redacted copy");
    await Promise.all([decide.waitForNavigation(), decide.click("button[value=reject]")]);
    expect(await decide.$eval("[data-testid=decision-result]", (el) => el.getAttribute("data-outcome"))).toBe("rejected");
    await waitFor("the tab to show the rejection", async () => (await panelStep(page)) === "rejected", 10_000);
    expect(await (await panelOf(page)).text("gh-status")).toContain("Ask Legal for a redacted copy");
    await page.close();
    await decide.close();
  }, 60_000);

  it("refuses a link that was already used, on GET and on POST", async () => {
    expect(usedLink).not.toBe("");
    const page = await browser.newPage();
    const res = await page.goto(usedLink);
    expect(res?.status()).toBe(410);
    expect(await page.$eval("[data-testid=link-problem]", (el) => el.getAttribute("data-problem"))).toBe("used");
    expect(await page.$("button[value=approve]")).toBeNull();

    // A POST with a planted CSRF pair (any value as both cookie and field) is refused before the link is
    // even looked at: tokens are HMACs bound to the page. (A genuine saved form on a dead link meets "used" or "decided"
    // instead: relay/test/links.test.ts.)
    const csrf = "c".repeat(43);
    const res2 = await fetch(usedLink, {
      method: "POST",
      headers: { origin: relay.url, cookie: `gatehouse_csrf=${csrf}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ decision: "approve", duration: "4h", csrf }),
    });
    expect(res2.status).toBe(403);
    expect(await res2.text()).toContain('data-problem="csrf"');
    await page.close();
  }, 30_000);
});
