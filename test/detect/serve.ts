import type { Browser, HTTPRequest, Page as Tab } from "puppeteer-core";
import type { Page } from "./corpus.ts";

function withoutHash(url: string): string {
  const u = new URL(url);
  u.hash = "";
  return u.href;
}

/**
 * Opens a fixture page the way the real site would serve it: the navigation
 * to its URL is answered with its body and HTTP status (request
 * interception), and nothing else reaches the network.
 */
export async function openFixture(browser: Browser, page: Page): Promise<Tab> {
  const tab = await browser.newPage();
  await tab.setRequestInterception(true);
  const target = withoutHash(page.url);
  tab.on("request", (req: HTTPRequest) => {
    if (req.isInterceptResolutionHandled()) return;
    if (req.isNavigationRequest() && withoutHash(req.url()) === target) {
      void req.respond({ status: page.status, contentType: "text/html; charset=utf-8", body: page.html });
    } else if (req.url().startsWith("chrome-extension://") || req.url().startsWith("data:")) {
      void req.continue();
    } else {
      void req.respond({ status: 404, contentType: "text/plain", body: "" });
    }
  });
  await tab.goto(page.url, { waitUntil: "load" });
  return tab;
}
