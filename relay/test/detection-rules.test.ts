import { describe, expect, it } from "vitest";

import { bearer, configErrors, engines, signedInSuite } from "./harness.ts";

describe.each(engines)("detection rules for the extension ($name)", (engine) => {
  const suite = signedInSuite(engine, "dana@acme.test");

  it("serves the config's rules with a version that is also the ETag", async () => {
    const res = await suite.t.app.request("/api/v1/detection-rules", { headers: bearer(suite.token) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { version: string; rules: unknown[] };
    expect(body.rules).toEqual([
      {
        app: "acme-hr",
        name: "Acme HR",
        hosts: ["hr.acme-corp.internal"],
        text: ["nicht freigegeben"],
        resource: [{ from: "path", pattern: "^/compensation/([^/]+)", template: "comp:$1" }],
      },
    ]);
    expect(res.headers.get("etag")).toBe(`"${body.version}"`);

    const again = await suite.t.app.request("/api/v1/detection-rules", {
      headers: { ...bearer(suite.token), "if-none-match": `"${body.version}"` },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });

  it("announces the rules' version when the live stream opens", async () => {
    const rules = (await (await suite.t.app.request("/api/v1/detection-rules", { headers: bearer(suite.token) })).json()) as {
      version: string;
    };
    const ctrl = new AbortController();
    const res = await suite.t.app.request("/api/v1/notices/stream?after=0", { headers: bearer(suite.token), signal: ctrl.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    const { value } = await reader.read();
    ctrl.abort();
    expect(value).toContain("event: ready");
    expect(value).toContain(`"rulesVersion":"${rules.version}"`);
  });

  it("answers only signed-in devices", async () => {
    const res = await suite.t.app.request("/api/v1/detection-rules");
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });
});

describe("detection rules in gatehouse.yaml", () => {
  it("reports a broken rule by path and line", () => {
    // Schema errors first (the file does not parse into rules)…
    expect(
      configErrors(`detection:
  rules:
    - app: Not An Id
      hosts: ["http://x"]
`),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^detection\.rules\[0\]\.app: .*\(line 3\)$/),
        expect.stringMatching(/^detection\.rules\[0\]\.hosts\[0\]: .*\(line 4\)$/),
      ]),
    );
    // …then what only compiling tells.
    expect(
      configErrors(`detection:
  rules:
    - app: acme-hr
      hosts: ["hr.acme.internal"]
      path: "([unclosed"
`),
    ).toEqual([expect.stringMatching(/^detection\.rules\[0\]\.path: not a valid regular expression.*\(line 5\)$/)]);
  });
});
