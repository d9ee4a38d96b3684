import { describe, expect, it } from "vitest";
import { AdminBrowser } from "./admin-harness.ts";
import { bearer, docsRequest, engines, json, linkFrom, mailsTo, PUBLIC_URL, signedInSuite } from "./harness.ts";

/**
 * CSRF tokens are HMACs under the relay's key, bound to the admin session or,
 * before any session, to the page's path and a browser cookie: a planted
 * cookie (a plain double-submit's weakness) gives no valid token, a token
 * dies with its session, and a token for one link does not work on another.
 */
describe.each(engines)("CSRF tokens bound to the session ($name)", (engine) => {
  const suite = signedInSuite(engine, "dana@acme.test");
  const form = (csrf: string, cookie: string, fields: Record<string, string>) => ({
    method: "POST",
    headers: { cookie, origin: PUBLIC_URL, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf, ...fields }).toString(),
  });

  it("refuses a planted cookie pair and a token taken from another link's page", async () => {
    const { app } = suite.t;
    const created = await app.request("/api/v1/requests", json(docsRequest("csrf-doc-1"), bearer(suite.token)));
    expect(created.status).toBe(201);
    const link = linkFrom((await mailsTo(suite.t, "lee@acme.test"))[0]?.text ?? "", "/decide/");
    // The old weakness: any value, planted as the cookie and sent in the field.
    const planted = "p".repeat(43);
    const refused = await app.request(link, form(planted, `gatehouse_csrf=${planted}`, { decision: "approve", duration: "1h" }));
    expect(refused.status).toBe(403);

    // A real token, but rendered for another path: refused there.
    const other = await app.request("/admin/sign-in");
    const cookie = other.headers.get("set-cookie")?.split(";")[0] ?? "";
    const token = /name="csrf" value="([^"]+)"/.exec(await other.text())?.[1] ?? "";
    expect(token).not.toBe("");
    const moved = await app.request(link, form(token, cookie, { decision: "approve", duration: "1h" }));
    expect(moved.status).toBe(403);

    // The link's own page gives the token that works, once.
    const page = await app.request(link, { headers: { cookie } });
    const own = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
    const decided = await app.request(link, form(own, cookie, { decision: "approve", duration: "1h" }));
    expect(decided.status).toBe(200);
  });

  it("binds admin forms to the session: a token from one session fails in another, and a new sign-in rotates it", async () => {
    const a = new AdminBrowser(suite.t);
    const b = new AdminBrowser(suite.t);
    await a.signIn("ops@acme.test");
    await b.signIn("ops@acme.test");
    const tokenOf = async (browser: AdminBrowser) =>
      /name="csrf" value="([^"]+)"/.exec((await browser.get("/admin/settings")).text)?.[1] ?? "";
    const tokenA = await tokenOf(a);
    const tokenB = await tokenOf(b);
    expect(tokenA).not.toBe("");
    expect(tokenA).not.toBe(tokenB);
    const cross = await b.request("/admin/sign-out", {
      method: "POST",
      headers: { origin: PUBLIC_URL, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: tokenA }).toString(),
    });
    expect(cross.status).toBe(403);
    // Signing in again gives a new session, and with it a new token.
    await a.signIn("ops@acme.test");
    expect(await tokenOf(a)).not.toBe(tokenA);
  });
});
