import { describe, expect, it } from "vitest";
import { redactMessage, stackFrames } from "../src/db/faults.ts";
import { handleError, redactPath } from "../src/http/errors.ts";
import type { Logger } from "../src/log.ts";

/**
 * Unhandled errors are logged without secrets: a signed link's token is cut
 * from the path, and a failed query's parameters (which carry mail bodies
 * with links) are not logged, neither in the message nor in the stack.
 */
describe("what an unhandled error puts in the logs", () => {
  it("cuts signed links' tokens from paths", () => {
    expect(redactPath("/decide/eyJhbGciOi.abc.def")).toBe("/decide/…");
    expect(redactPath("/pair/tok123")).toBe("/pair/…");
    expect(redactPath("/tasks/tok123")).toBe("/tasks/…");
    expect(redactPath("/admin/sign-in/tok123")).toBe("/admin/sign-in/…");
    expect(redactPath("/api/v1/requests/5b0c")).toBe("/api/v1/requests/5b0c");
  });

  it("logs a failed query's statement, not its parameters, through the error handler", async () => {
    const lines: Record<string, unknown>[] = [];
    const log: Logger = { debug() {}, info() {}, warn() {}, error: (_m, data) => lines.push(data ?? {}) };
    const link = "http://relay.test/decide/eyJsecret.token.sig";
    const err = new Error(`Failed query: insert into "outbox" ("text") values ($1)\nparams: Approve: ${link}`);
    const res = handleError(log)(err, {
      req: { path: "/decide/eyJsecret.token.sig" },
      body: (b: string, s: number, h: Record<string, string>) => new Response(b, { status: s, headers: h }),
    } as never);
    expect(res.status).toBe(500);
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain("eyJsecret");
    expect(logged).toContain('insert into \\"outbox\\"');
    expect(lines[0]).toMatchObject({ path: "/decide/…" });
    expect(redactMessage("plain failure")).toBe("plain failure");
    expect(stackFrames(err.stack)).toMatch(/^ {4}at /);
  });
});
