import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, startTestRelay, type TestRelay } from "./harness.ts";

/** The pages' stylesheet is a file (relay/src/http/pages/relay.css), served with a strong ETag; a browser holding it gets 304. */
describe("the stylesheet", () => {
  let t: TestRelay;
  beforeAll(async () => {
    const pglite = engines.find((e) => e.name === "pglite");
    if (!pglite) throw new Error("no pglite engine");
    t = await startTestRelay(pglite);
  });
  afterAll(() => t.close());

  it("is the file, as CSS, cacheable, with a strong ETag", async () => {
    const res = await t.app.request("/static/relay.css");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600, must-revalidate");
    expect(res.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(await res.text()).toBe(readFileSync(new URL("../src/http/pages/relay.css", import.meta.url), "utf8"));
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
  });

  it("answers 304 without a body when If-None-Match names its ETag (weakly or in a list), and 200 otherwise", async () => {
    const etag = (await t.app.request("/static/relay.css")).headers.get("etag") ?? "";
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const res = await t.app.request("/static/relay.css", { headers: { "if-none-match": ifNoneMatch } });
      expect(res.status, ifNoneMatch).toBe(304);
      expect(res.headers.get("etag")).toBe(etag);
      expect(res.headers.get("cache-control")).toBe("public, max-age=3600, must-revalidate");
      expect(await res.text()).toBe("");
    }
    const stale = await t.app.request("/static/relay.css", { headers: { "if-none-match": '"an-older-version"' } });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toContain(":root");
  });
});
