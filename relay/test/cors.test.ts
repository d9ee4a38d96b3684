import { describe, expect, it } from "vitest";
import { bearer, engines, signedInSuite } from "./harness.ts";

// The extension's background worker calls the API from its own origin, with a bearer token and no cookies.
describe("CORS on the API", () => {
  const suite = signedInSuite(engines[0] as (typeof engines)[number], "dana@acme.test");

  it("answers a preflight with what the extension sends", async () => {
    const res = await suite.t.app.request("/api/v1/requests", {
      method: "OPTIONS",
      headers: {
        origin: "chrome-extension://abc",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,idempotency-key",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")).toContain("idempotency-key");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });

  it("marks answers and problems as readable from any origin", async () => {
    const me = await suite.t.app.request("/api/v1/me", { headers: { ...bearer(suite.token), origin: "chrome-extension://abc" } });
    expect(me.status).toBe(200);
    expect(me.headers.get("access-control-allow-origin")).toBe("*");
    const problem = await suite.t.app.request("/api/v1/me", { headers: { origin: "chrome-extension://abc" } });
    expect(problem.status).toBe(401);
    expect(problem.headers.get("access-control-allow-origin")).toBe("*");
  });
});
