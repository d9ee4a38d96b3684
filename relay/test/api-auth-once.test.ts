import { describe, expect, it, vi } from "vitest";
import * as devices from "../src/devices/service.ts";
import { bearer, docsRequest, engines, json, signedInSuite } from "./harness.ts";

// Counts device authentications (one token lookup each), whichever middleware runs them.
vi.mock("../src/devices/service.ts", async (original) => {
  const actual = await original<typeof devices>();
  return { ...actual, authenticateDevice: vi.fn(actual.authenticateDevice) };
});

const NO_SUCH_ID = "00000000-0000-4000-8000-000000000000";

/**
 * Each API request checks its device token once: the check is part of each
 * route (`apiRoute({ auth })`), not mounted on paths where a bare path and
 * its `/*` could both catch one request.
 */
describe.each(engines)("one device authentication per API request ($name)", (engine) => {
  const suite = signedInSuite(engine, "dana@acme.test");
  const authentications = vi.mocked(devices.authenticateDevice);
  const get = () => ({ headers: bearer(suite.token) });
  const post = (body: unknown) => () => json(body, bearer(suite.token));

  it.each([
    ["POST /requests", "/api/v1/requests", post(docsRequest("auth-once-doc-123456")), 201],
    ["GET /notices", "/api/v1/notices", get, 200],
    ["GET /requests", "/api/v1/requests", get, 200],
    ["POST /requests/preview", "/api/v1/requests/preview", post({ app: "google-docs", resource: docsRequest().resource }), 200],
    ["POST /requests/:id/answer", `/api/v1/requests/${NO_SUCH_ID}/answer`, post({ answer: "yes" }), 404],
    ["POST /requests/:id/cancel", `/api/v1/requests/${NO_SUCH_ID}/cancel`, post({}), 404],
    ["POST /grants/:id/extend", `/api/v1/grants/${NO_SUCH_ID}/extend`, post({}), 404],
    ["GET /me", "/api/v1/me", get, 200],
    ["GET /detection-rules", "/api/v1/detection-rules", get, 200],
  ] as const)("%s authenticates once", async (_name, path, init, status) => {
    authentications.mockClear();
    const res = await suite.t.app.request(path, init());
    expect(res.status).toBe(status);
    expect(authentications).toHaveBeenCalledTimes(1);
  });

  it("does not look a token up for an open route", async () => {
    authentications.mockClear();
    const res = await suite.t.app.request("/api/v1/devices/token", json({ deviceCode: "x".repeat(20) }, bearer(suite.token)));
    expect(res.status).toBe(404);
    expect(authentications).not.toHaveBeenCalled();
  });
});
