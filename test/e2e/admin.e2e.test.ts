import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linkIn, PanelDriver, ROOT, type SignedInWorld, serveDenied, shot, startSignedIn, waitFor } from "./harness.ts";

/**
 * The admin UI in Chromium: an admin signs in by the mailed link, creates a
 * flow through the forms (meeting an inline error on the way), moves it to
 * the top and simulates it; the employee's request from a denied page then
 * follows the new flow.
 */
const DENIED_PAGE = readFileSync(join(ROOT, "test/e2e/fixtures/google-docs-you-need-access.html"), "utf8");

let mail: SignedInWorld["mail"];
let relay: SignedInWorld["relay"];
let browser: Browser;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ mail, relay, browser, stop } = await startSignedIn({ OUTBOX_INTERVAL_MS: "100" }));
}, 120_000);

afterAll(() => stop?.());

/** Replaces a field's text the way a person does: select it all, type over it. */
async function fill(page: Page, selector: string, text: string): Promise<void> {
  await page.click(selector, { count: 3 });
  await page.keyboard.press("Backspace");
  if (text) await page.type(selector, text);
}

async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

describe("admin UI", () => {
  it("an admin creates a flow through the forms, and a request then follows it", async () => {
    const admin = await browser.newPage();
    await admin.setViewport({ width: 1200, height: 900 });
    await admin.goto(`${relay.url}/admin`);
    expect(new URL(admin.url()).pathname).toBe("/admin/sign-in");
    await admin.type("[data-testid=admin-email]", "ops@acme.test");
    await submit(admin, "[data-testid=admin-send-link]");
    await admin.waitForSelector("[data-testid=admin-link-sent]");
    const signIn = await mail.waitForMail("ops@acme.test", /Sign in to the Gatehouse admin/);
    await admin.goto(linkIn(signIn, "/admin/sign-in/"));
    await submit(admin, "[data-testid=admin-confirm]");
    expect(new URL(admin.url()).pathname).toBe("/admin/flows");
    expect(await admin.$eval("[data-testid=admin-who]", (el) => el.textContent)).toBe("Ops Desk");

    // A new flow with a condition that does not compile: refused, the error beside the field.
    await submit(admin, "[data-testid=new-flow]");
    await admin.type("#f-id", "docs-self-service");
    await admin.type("#f-name", "Docs self-service");
    await admin.type("#f-apps", "google-docs");
    await admin.type("#f-condition", "request.duration <=");
    await admin.select("#f-approval", "auto");
    await fill(admin, "#f-durations-choices", "30m, 2h");
    await submit(admin, "[data-testid=save-flow]");
    await admin.waitForSelector("[data-testid=form-errors]");
    expect(await admin.$eval("[data-error-for=condition]", (el) => el.textContent)).toBeTruthy();
    expect(await admin.$eval("#f-name", (el) => (el as HTMLInputElement).value)).toBe("Docs self-service");
    await admin.$eval("#f-condition", (el) => el.scrollIntoView({ block: "center" }));
    await shot(admin, "admin-flow-error");

    await fill(admin, "#f-condition", "request.duration <= duration('4h')");
    await submit(admin, "[data-testid=save-flow]");
    expect(await admin.$eval("[data-testid=done]", (el) => el.textContent)).toContain("Flow saved.");

    // It went last; move it to the top so it is tried before the manager-approved docs flow.
    const order = () => admin.$$eval("[data-testid=flow-list] tr[data-flow]", (rows) => rows.map((r) => r.getAttribute("data-flow")));
    while ((await order())[0] !== "docs-self-service") await submit(admin, "[data-testid=up-docs-self-service]");
    await shot(admin, "admin-flows");

    // The page's simulation agrees.
    await submit(admin, "nav a[href='/admin/simulate']");
    await admin.type("#f-requester", "dana@acme.test");
    await admin.type("#f-app", "google-docs");
    await admin.type("#f-resource", "1AdminMadeFlowDocAbCdEf");
    await fill(admin, "#f-duration", "2h");
    await submit(admin, "[data-testid=simulate]");
    const result = await admin.$eval("[data-testid=simulate-result]", (el) => [
      el.getAttribute("data-outcome"),
      el.getAttribute("data-flow"),
    ]);
    expect(result).toEqual(["auto_approved", "docs-self-service"]);
    await shot(admin, "admin-simulate");

    // The employee's request follows the new flow: shown in the panel, granted at once.
    const page = await browser.newPage();
    await serveDenied(page, "docs.google.com", DENIED_PAGE);
    await page.goto("https://docs.google.com/document/d/1AdminMadeFlowDocAbCdEf/edit");
    const panel = await PanelDriver.attach(page);
    await panel.waitFor("gh-open");
    await panel.click("gh-open");
    await panel.waitFor("gh-approvers");
    expect(await panel.text("gh-approvers")).toContain("Granted automatically by policy.");
    expect(await panel.text("gh-approvers")).toContain("Docs self-service");
    await panel.select("gh-duration", "2h");
    await panel.click("gh-submit");
    await waitFor(
      "the panel to show the grant",
      async () => (await panel.attribute("gatehouse-panel", "data-step")) === "approved",
      15_000,
    );

    await admin.bringToFront();
    await admin.goto(`${relay.url}/admin/directory`);
    await shot(admin, "admin-directory");
    await page.close();
    await admin.close();
  }, 120_000);
});
