import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linkIn, PanelDriver, ROOT, type SignedInWorld, serveDenied, shot, startSignedIn, waitFor } from "./harness.ts";

/**
 * Approvals end to end, in Chromium with the built extension: a two-step flow
 * (the manager, then all of security) decided through the links in real
 * mail, an escalation, a question answered in the extension's popup, and a
 * rejection at the second step.
 */
const DENIED_PAGE = readFileSync(join(ROOT, "test/e2e/fixtures/google-docs-you-need-access.html"), "utf8");
const DOC_URL = (id: string) => `https://docs.google.com/document/d/${id}/edit`;
/** Approver text that would run if any surface rendered it as markup. */
const HOSTILE_QUESTION = `Which deck? <img src=x onerror="document.title='pwned'">`;

let world: SignedInWorld;
let browser: Browser;

beforeAll(async () => {
  world = await startSignedIn({ GATEHOUSE_CONFIG: join(ROOT, "test/e2e/approvals.e2e.yaml"), OUTBOX_INTERVAL_MS: "100" });
  browser = world.browser;
}, 120_000);

afterAll(() => world?.stop());

async function panelStep(panel: PanelDriver): Promise<string | null> {
  return panel.attribute("gatehouse-panel", "data-step");
}

/** Opens the denied doc and sends a request from the panel; returns the tab and its panel. */
async function requestAccess(docId: string, reason: string, body = DENIED_PAGE): Promise<{ page: Page; panel: PanelDriver }> {
  const page = await browser.newPage();
  await serveDenied(page, "docs.google.com", body);
  await page.goto(DOC_URL(docId));
  const panel = await PanelDriver.attach(page);
  await panel.waitFor("gh-open");
  await panel.click("gh-open");
  await waitFor("the request form", async () => (await panelStep(panel)) === "form");
  expect(await panel.text("gh-approvers")).toContain("Lee Okafor");
  await panel.type("gh-reason", reason);
  await panel.click("gh-submit");
  await waitFor("the panel to say the request was sent", async () => (await panelStep(panel)) === "sent");
  return { page, panel };
}

/** Opens the decision link of the newest mail to `to` whose subject matches. */
async function openLink(to: string, subject: RegExp): Promise<Page> {
  const mail = await waitFor(`mail to ${to} matching ${subject}`, () =>
    world.mail.mails.findLast((m) => m.subject && subject.test(m.subject) && JSON.stringify(m.to).includes(to)),
  );
  const page = await browser.newPage();
  await page.goto(linkIn(mail, "/decide/"));
  return page;
}

async function submit(page: Page, decision: string): Promise<string | null> {
  await Promise.all([page.waitForNavigation(), page.click(`button[value=${decision}]`)]);
  return page
    .$eval("[data-testid=decision-result]", (el) => el.getAttribute("data-outcome"))
    .catch(async () => page.$eval("[data-testid=link-problem]", (el) => `problem:${el.getAttribute("data-problem")}`));
}

async function openPopup(): Promise<Page> {
  const popup = await browser.newPage();
  await popup.setViewport({ width: 380, height: 640 });
  await popup.goto(`chrome-extension://${world.extensionId}/popup.html`);
  await popup.waitForSelector("[data-testid=requests] li");
  return popup;
}

describe("approvals in the browser", () => {
  it("goes through two steps: the manager, then every member of security, each from their mail", async () => {
    const docId = "2StepAAAAbbbbCCCCddddEEEEffffGGGGhhhhIIIIjj";
    const { page, panel } = await requestAccess(docId, "Board deck review");

    const lee = await openLink("lee@acme.test", new RegExp(`^Access request: .*${docId}`));
    expect(await lee.$eval("[data-testid=step]", (el) => el.textContent)).toContain("step 1 of 2");
    expect(await submit(lee, "approve")).toBe("advanced");
    await waitFor("the tab to show the first step's approval", async () =>
      (await panel.text("gh-progress"))?.includes("Step 1 of 2 approved"),
    );

    const priya = await openLink("priya@acme.test", new RegExp(`^Access request: .*${docId}`));
    expect(await priya.$eval("[data-testid=step]", (el) => el.textContent)).toContain("step 2 of 2");
    await shot(priya, "approver-step-two");
    expect(await submit(priya, "approve")).toBe("recorded");
    expect(await panelStep(panel)).toBe("sent");
    const sam = await openLink("sam@acme.test", new RegExp(`^Access request: .*${docId}`));
    expect(await submit(sam, "approve")).toBe("approved");
    await waitFor("the tab to show the grant", async () => (await panelStep(panel)) === "approved", 10_000);
    for (const p of [page, lee, priya, sam]) await p.close();
  }, 90_000);

  it("escalates: the manager passes the decision to a person of their choice, whose own link decides", async () => {
    const docId = "EscalateAAAAbbbbCCCCddddEEEEffffGGGGhhhhII";
    const { page, panel } = await requestAccess(docId, "Audit evidence");

    const lee = await openLink("lee@acme.test", new RegExp(`^Access request: .*${docId}`));
    await lee.click("[data-testid=escalate-open]");
    await lee.type("[data-testid=escalate-to]", "ops@acme.test");
    await lee.type("#escalate-note", "I am out this week");
    await shot(lee, "approver-escalate");
    expect(await submit(lee, "escalate")).toBe("escalated");
    await waitFor("the tab to say it was passed on", async () => (await panel.text("gh-progress"))?.includes("passed your request"));

    // Lee's link is dead; Ops has a link of their own, with Lee's note.
    const again = await browser.newPage();
    const res = await again.goto(lee.url());
    expect(res?.status()).toBe(410);
    const ops = await openLink("ops@acme.test", new RegExp(`^Access request: .*${docId}`));
    expect(await ops.$eval("[data-testid=conversation]", (el) => el.textContent)).toContain("I am out this week");
    expect(await submit(ops, "approve")).toBe("advanced");
    for (const p of [page, lee, again, ops]) await p.close();
  }, 90_000);

  it("asks the requester a question, which they answer in the extension; the approver then decides from a new link", async () => {
    const docId = "QuestionAAAAbbbbCCCCddddEEEEffffGGGGhhhhII";
    const { page, panel } = await requestAccess(docId, "Numbers for the forecast");

    const lee = await openLink("lee@acme.test", new RegExp(`^Access request: .*${docId}`));
    await lee.click("[data-testid=ask-open]");
    await lee.type("#question", HOSTILE_QUESTION);
    expect(await submit(lee, "ask")).toBe("asked");
    await waitFor("the tab to show the question", async () => (await panel.text("gh-progress"))?.includes("Which deck?"));
    expect(await page.title()).not.toBe("pwned");

    const popup = await openPopup();
    await popup.waitForSelector("[data-testid=question]");
    // The approver's text is shown as text, never as markup.
    expect(await popup.$eval("[data-testid=question-text]", (el) => el.textContent)).toBe(HOSTILE_QUESTION);
    expect(await popup.$("[data-testid=question-text] img")).toBeNull();
    expect(await popup.title()).not.toBe("pwned");
    await popup.type("[data-testid=answer]", "The Q3 forecast deck");
    await shot(popup, "popup-question");
    await popup.click("[data-testid=send-answer]");
    await popup.waitForFunction(() => !document.querySelector("[data-testid=question]"));
    expect(await popup.$eval(`[data-testid=requests] li[data-state]`, (el) => el.getAttribute("data-state"))).toBe("pending");
    await popup.close();

    const answered = await openLink("lee@acme.test", new RegExp(`^Answered: .*${docId}`));
    expect(await answered.$eval("[data-testid=conversation]", (el) => el.textContent)).toContain("The Q3 forecast deck");
    expect(await answered.$("[data-testid=conversation] img")).toBeNull();
    expect(await submit(answered, "approve")).toBe("advanced");
    for (const p of [page, lee, answered]) await p.close();
  }, 90_000);

  it("ends at a rejection in the second step, and the tab shows the approver's note; page text that looks like markup stays text", async () => {
    const docId = "RejectAAAAbbbbCCCCddddEEEEffffGGGGhhhhIIjj";
    // The page's own words (which travel with the request) hold what would be markup if anyone rendered it so.
    const hostile = DENIED_PAGE.replace(
      "Ask for access, or switch",
      "Ask for access &lt;img src=x onerror=&quot;document.title='pwned'&quot;&gt;, or switch",
    );
    const { page, panel } = await requestAccess(docId, "Vendor contract", hostile);
    expect(await panel.text("gh-message")).toContain(`<img src=x onerror="document.title='pwned'">`);
    const lee = await openLink("lee@acme.test", new RegExp(`^Access request: .*${docId}`));
    expect(await lee.$eval("[data-testid=page-message]", (el) => el.textContent)).toContain(`<img src=x onerror="document.title='pwned'">`);
    expect(await lee.$("[data-testid=page-message] img")).toBeNull();
    expect(await lee.title()).not.toBe("pwned");
    expect(await submit(lee, "approve")).toBe("advanced");
    const sam = await openLink("sam@acme.test", new RegExp(`^Access request: .*${docId}`));
    await sam.type("#note", "Ask Legal for a redacted copy");
    expect(await submit(sam, "reject")).toBe("rejected");
    await waitFor("the tab to show the rejection", async () => (await panelStep(panel)) === "rejected", 10_000);
    expect(await panel.text("gh-status")).toContain("Ask Legal for a redacted copy");
    // Priya's link of the same step died with the rejection.
    const priya = await openLink("priya@acme.test", new RegExp(`^Access request: .*${docId}`));
    expect(await priya.$eval("[data-testid=link-problem]", (el) => el.getAttribute("data-problem"))).toBe("decided");
    for (const p of [page, lee, sam, priya]) await p.close();
  }, 90_000);

  it("shows an admin the whole approval path of a request, and the audit log", async () => {
    const admin = await browser.newPage();
    await admin.setViewport({ width: 1200, height: 900 });
    await admin.goto(`${world.relay.url}/admin/sign-in`);
    await admin.type("[data-testid=admin-email]", "ops@acme.test");
    await Promise.all([admin.waitForNavigation(), admin.click("[data-testid=admin-send-link]")]);
    const mail = await world.mail.waitForMail("ops@acme.test", /Sign in to the Gatehouse admin/);
    await admin.goto(linkIn(mail, "/admin/sign-in/"));
    await Promise.all([admin.waitForNavigation(), admin.click("[data-testid=admin-confirm]")]);

    await admin.goto(`${world.relay.url}/admin/requests?state=all`);
    const row = await admin.$$eval("[data-testid=request-list] tr[data-request]", (rows) =>
      rows.filter((r) => r.textContent?.includes("EscalateAAAA")).map((r) => r.getAttribute("data-request")),
    );
    expect(row).toHaveLength(1);
    await admin.goto(`${world.relay.url}/admin/requests/${row[0]}`);
    const path = await admin.$eval("[data-testid=approval-path]", (el) => el.textContent ?? "");
    expect(path).toContain("passed on to Ops Desk");
    expect(path).toMatch(/Ops Desk[\s\S]*approved[\s\S]*email/);
    await admin.screenshot({ path: join(ROOT, "test-results/screenshots/admin-request.png"), fullPage: true });

    await admin.goto(`${world.relay.url}/admin/audit?action=request.&verify=1`);
    expect(await admin.$("[data-testid=chain-ok]")).not.toBeNull();
    await shot(admin, "admin-audit");
    await admin.close();
  }, 60_000);
});
