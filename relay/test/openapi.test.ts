import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, startTestRelay, type TestRelay } from "./harness.ts";

interface Operation {
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema: unknown }> }>;
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string; scheme?: string }> };
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** Every `$ref` anywhere in `value`. */
function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => (k === "$ref" && typeof v === "string" ? [v] : refs(v)));
}

/**
 * The OpenAPI document is generated from the routes: every API route is in
 * it (and nothing else), it holds together as an OpenAPI 3.1 document, and
 * what it says about security is what the routes do.
 */
describe("the OpenAPI document", () => {
  let t: TestRelay;
  let doc: Document;
  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));

  beforeAll(async () => {
    t = await startTestRelay(engines[0] as (typeof engines)[number]);
    const res = await t.app.request("/api/v1/openapi.json");
    expect(res.status).toBe(200);
    doc = (await res.json()) as Document;
  });
  afterAll(() => t.close());

  it("keeps its info, server and schema names", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toEqual({ title: "Gatehouse relay API", version: "1" });
    expect(doc.servers).toEqual([{ url: "http://relay.test/api/v1" }]);
    expect(Object.keys(doc.components.schemas).sort()).toEqual(
      [
        "AnswerBody",
        "CreateRequestBody",
        "DetectionRules",
        "DeviceAuthorizeBody",
        "DeviceAuthorizeResponse",
        "DeviceTokenBody",
        "DeviceTokenResponse",
        "ExtendBody",
        "Me",
        "NoticeList",
        "PreviewBody",
        "PreviewResponse",
        "Problem",
        "ProvisioningCallbackBody",
        "ProvisioningCallbackResponse",
        "RequestList",
        "RequestView",
      ].sort(),
    );
    expect(doc.components.securitySchemes.deviceToken).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("lists every route of the API app, and only those", () => {
    // `use` and `all` register as ALL: middleware and the API's not-found fallback, not operations.
    const routed = new Set(
      t.app.routes
        .filter((r) => r.path.startsWith("/api/v1/") && r.method !== "ALL")
        .map((r) => `${r.method.toLowerCase()} ${r.path.slice("/api/v1".length).replace(/:([^/]+)/g, "{$1}")}`),
    );
    const documented = new Set(operations().map((o) => `${o.method} ${o.path}`));
    expect(routed.size).toBeGreaterThanOrEqual(17);
    expect([...routed].sort()).toEqual([...documented].sort());
  });

  it("is a structurally sound OpenAPI 3.1 document", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title && doc.info.version).toBeTruthy();
    for (const { path, method, op } of operations()) {
      const where = `${method} ${path}`;
      expect(path, where).toMatch(/^\//);
      expect(METHODS, where).toContain(method);
      expect(op.summary, where).toBeTruthy();
      // Responses: at least one success, each described, and a problem for everything else.
      expect(
        Object.keys(op.responses).some((s) => /^[23]\d\d$/.test(s)),
        where,
      ).toBe(true);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(status, where).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
        expect(response.description, `${where} ${status}`).toBeTruthy();
      }
      expect(op.responses.default?.content?.["application/problem+json"]?.schema, where).toEqual({
        $ref: "#/components/schemas/Problem",
      });
      // Parameters: unique by name and place; every path template is a required path parameter.
      const params = op.parameters ?? [];
      expect(new Set(params.map((p) => `${p.in}:${p.name}`)).size, where).toBe(params.length);
      for (const p of params) {
        expect(["query", "header", "path", "cookie"], where).toContain(p.in);
        expect(p.schema, `${where} ${p.name}`).toBeDefined();
      }
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect(
        params.filter((p) => p.in === "path").map((p) => p.name),
        where,
      ).toEqual(templated);
      for (const p of params.filter((p) => p.in === "path")) expect(p.required, `${where} ${p.name}`).toBe(true);
      // Security names a declared scheme.
      for (const requirement of op.security ?? [])
        for (const name of Object.keys(requirement)) expect(doc.components.securitySchemes, where).toHaveProperty(name);
      if (op.requestBody) expect(Object.keys(op.requestBody.content).length, where).toBeGreaterThan(0);
    }
    // Every reference resolves within the document.
    for (const ref of new Set(refs(doc))) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas, ref).toHaveProperty(ref.slice("#/components/schemas/".length));
    }
  });

  it("declares a device token exactly where the relay asks for one", async () => {
    for (const { path, method, op } of operations()) {
      const url = `/api/v1${path.replace(/\{[^}]+\}/g, "00000000-0000-4000-8000-000000000000")}`;
      const res = await t.app.request(url, {
        method: method.toUpperCase(),
        headers: { "content-type": "application/json" },
        body: method === "get" ? undefined : "{}",
      });
      const secured = (op.security ?? []).some((r) => "deviceToken" in r);
      expect(res.status === 401 && ((await res.json()) as { code: string }).code, `${method} ${path}`).toBe(
        secured ? "unauthenticated" : false,
      );
    }
  });
});
