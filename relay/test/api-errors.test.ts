import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { describe, expect, it } from "vitest";
import { requests } from "../src/db/schema/index.ts";
import { bearer, docsRequest, engines, json, linkFrom, mailsTo, signedInSuite, submitForm } from "./harness.ts";

describe.each(engines)("API errors and push ($name)", (engine) => {
  const suite = signedInSuite(engine, "dana@acme.test");

  const expectProblem = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = (await res.json()) as { type: string; code: string; title: string; status: number };
    expect(body).toMatchObject({ code, status, type: `https://gatehouse.dev/problems/${code}` });
    expect(body.title.length).toBeGreaterThan(0);
    return body;
  };

  it("answers bad input with problem+json and writes nothing", async () => {
    const count = async () => (await suite.t.relay.database.db.select().from(requests)).length;
    const before = await count();
    await expectProblem(await suite.t.app.request("/api/v1/devices/authorize", json({ email: "not-an-email" })), 400, "validation_failed");
    await expectProblem(
      await suite.t.app.request("/api/v1/devices/authorize", {
        method: "POST",
        body: "{",
        headers: { "content-type": "application/json" },
      }),
      400,
      "validation_failed",
    );
    await expectProblem(await suite.t.app.request("/api/v1/devices/authorize", json({ email: "nobody@acme.test" })), 404, "unknown_user");
    await expectProblem(await suite.t.app.request("/api/v1/devices/authorize", json({ email: "old@acme.test" })), 403, "inactive_user");
    await expectProblem(await suite.t.app.request("/api/v1/requests", json(docsRequest())), 401, "unauthenticated");
    // The bare paths need the token too (each route checks it once: api-auth-once.test.ts).
    await expectProblem(await suite.t.app.request("/api/v1/requests"), 401, "unauthenticated");
    await expectProblem(await suite.t.app.request("/api/v1/notices"), 401, "unauthenticated");
    expect((await suite.t.app.request("/admin")).headers.get("location")).toBe("/admin/sign-in");
    await expectProblem(
      await suite.t.app.request("/api/v1/requests", json(docsRequest(), { authorization: "Bearer ght_forged" })),
      401,
      "unauthenticated",
    );
    await expectProblem(
      await suite.t.app.request("/api/v1/requests", json({ ...docsRequest(), duration: "2h" }, bearer(suite.token))),
      400,
      "duration_not_allowed",
    );
    await expectProblem(
      await suite.t.app.request("/api/v1/requests", json({ ...docsRequest(), duration: "forever" }, bearer(suite.token))),
      400,
      "validation_failed",
    );
    await expectProblem(
      await suite.t.app.request(
        "/api/v1/requests",
        json({ ...docsRequest(), resource: { id: "x", name: null, url: "javascript:alert(1)" } }, bearer(suite.token)),
      ),
      400,
      "validation_failed",
    );
    const githubNoReason = {
      app: "github",
      resource: { id: "a/b", name: "a/b", url: "https://github.com/a/b" },
      duration: "1h",
      reason: " ",
    };
    await expectProblem(await suite.t.app.request("/api/v1/requests", json(githubNoReason, bearer(suite.token))), 400, "reason_required");
    await expectProblem(await suite.t.app.request("/api/v1/nope"), 404, "not_found");
    expect(await count()).toBe(before);
  });

  it("answers a route's schema mismatch with the same validation problem as ever", async () => {
    const problem = async (res: Response) => {
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      return await res.json();
    };
    const invalid = {
      type: "https://gatehouse.dev/problems/validation_failed",
      code: "validation_failed",
      title: "The request is not valid",
      status: 400,
    };
    // A body field by its path.
    expect(await problem(await suite.t.app.request("/api/v1/devices/authorize", json({ email: "not-an-email" })))).toEqual({
      ...invalid,
      detail: "Some fields are not valid",
      errors: [{ path: "email", message: "Invalid email address" }],
    });
    expect(
      await problem(
        await suite.t.app.request(
          "/api/v1/requests",
          json({ ...docsRequest(), resource: { id: "x", name: null, url: "javascript:alert(1)" } }, bearer(suite.token)),
        ),
      ),
    ).toEqual({ ...invalid, detail: "Some fields are not valid", errors: [{ path: "resource.url", message: "Invalid URL" }] });
    // A body that is missing or not JSON, or JSON sent as something else.
    for (const body of [undefined, "{"])
      expect(
        await problem(
          await suite.t.app.request("/api/v1/devices/authorize", { method: "POST", body, headers: { "content-type": "application/json" } }),
        ),
      ).toEqual({ ...invalid, detail: "The body must be JSON" });
    expect(
      await problem(
        await suite.t.app.request("/api/v1/devices/authorize", {
          method: "POST",
          body: JSON.stringify({ email: "dana@acme.test" }),
          headers: { "content-type": "text/plain" },
        }),
      ),
    ).toEqual({ ...invalid, detail: "Send the body with Content-Type: application/json" });
    // Anything else under where it was sent.
    expect(
      await problem(
        await suite.t.app.request("/api/v1/requests", json(docsRequest(), { ...bearer(suite.token), "idempotency-key": "has space" })),
      ),
    ).toEqual({
      ...invalid,
      detail: "Idempotency-Key must be 1 to 255 printable characters without spaces",
      errors: [{ path: "header.idempotency-key", message: "1 to 255 printable characters" }],
    });
    expect(await problem(await suite.t.app.request("/api/v1/notices?after=-1", { headers: bearer(suite.token) }))).toEqual({
      ...invalid,
      detail: "Some fields are not valid",
      errors: [{ path: "query.after", message: "Too small: expected number to be >=0" }],
    });
    expect(
      await problem(await suite.t.app.request("/api/v1/notices/stream", { headers: { ...bearer(suite.token), "last-event-id": "x" } })),
    ).toEqual({
      ...invalid,
      detail: "Some fields are not valid",
      errors: [{ path: "header.last-event-id", message: "Invalid input: expected number, received NaN" }],
    });
  });

  it("serves an OpenAPI document and the JWKS", async () => {
    const doc = (await (await suite.t.app.request("/api/v1/openapi.json")).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/requests", "/notices", "/devices/authorize"]));
    const jwks = (await (await suite.t.app.request("/.well-known/jwks.json")).json()) as {
      keys: { kty: string; crv: string; kid: string; d?: string }[];
    };
    expect(jwks.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519" });
    expect(jwks.keys[0]?.d).toBeUndefined(); // never the private half
  });

  it("escapes requester text on the approver's page and in the mail, under a strict CSP", async () => {
    const evil = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
    const res = await suite.t.app.request(
      "/api/v1/requests",
      json({ ...docsRequest("evil-doc-123456"), reason: evil, message: evil }, bearer(suite.token)),
    );
    expect(res.status).toBe(201);
    const [mail] = await mailsTo(suite.t, "lee@acme.test");
    expect(mail?.html).not.toContain("<script>alert");
    expect(mail?.html).toContain("&lt;script&gt;");
    const page = await suite.t.app.request(linkFrom(mail?.text ?? "", "/decide/"));
    const html = await page.text();
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;script&gt;");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
  });

  it("pushes a decision over a live SSE stream on real HTTP", async () => {
    const server = serve({ fetch: suite.t.app.fetch, hostname: "127.0.0.1", port: 0 });
    await new Promise((r) => server.once("listening", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cursor = ((await (await suite.t.app.request("/api/v1/notices", { headers: bearer(suite.token) })).json()) as { cursor: number })
      .cursor;
    const controller = new AbortController();
    const res = await fetch(`${base}/api/v1/notices/stream?after=${cursor}`, { headers: bearer(suite.token), signal: controller.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
    let received = "";
    const got = (async () => {
      while (!received.includes("event: notice")) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
        received += chunk.value;
      }
    })();

    const created = await fetch(`${base}/api/v1/requests`, json(docsRequest("live-doc-123456"), bearer(suite.token)));
    expect(created.status).toBe(201);
    const [mail] = await mailsTo(suite.t, "lee@acme.test");
    const started = Date.now();
    await submitForm(suite.t, linkFrom(mail?.text ?? "", "/decide/"), { decision: "approve", duration: "1h" });
    await Promise.race([got, new Promise((r) => setTimeout(r, 5000))]);
    expect(received).toContain("event: notice");
    expect(received).toContain('"kind":"grant.started"');
    expect(Date.now() - started).toBeLessThan(1000); // DESIGN: told within a second
    controller.abort();
    server.close();
  });
});
