import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type OktaConfig, oktaProvider, targetProblem } from "../src/adapters/providers/okta.ts";
import { type Provider, type ProviderCall, ProviderError } from "../src/adapters/providers/types.ts";
import { OktaPeer } from "./okta-peer.ts";
import { waitFor } from "./peers.ts";

/**
 * The Okta provider against the loopback stand-in: the exact requests
 * @okta/okta-sdk-nodejs sends for each grant, revoke and check, and how
 * Okta's answers (unknown users, rate limits, failures, silence) come back.
 */

const peer = new OktaPeer();
let dana = "";
let docs = "";
let ops = "";
beforeAll(async () => {
  await peer.start();
  dana = peer.addUser({ login: "dana@acme.test", firstName: "Dana", lastName: "W" });
  peer.addUser({ login: "sam.lee@acme.test" });
  docs = peer.addGroup("Docs readers");
  ops = peer.addGroup("Ops", ["dana@acme.test"]);
});
afterAll(() => peer.stop());

let config: OktaConfig;
beforeEach(() => {
  peer.requests.length = 0;
  config = { id: "okta", type: "okta", orgUrl: peer.url, token: peer.token };
});
/** The provider, with its optional \`check\` known to be there. */
function provider(): Provider & { check: NonNullable<Provider["check"]> } {
  const p = oktaProvider.create(config);
  if (!p.check) throw new Error("the Okta provider has check");
  return { ...p, check: p.check };
}

let seq = 0;
/** A ProviderCall as the effect worker builds it. */
function call(
  group: string,
  over: { action?: ProviderCall["action"]; email?: string; accounts?: Record<string, string>; signal?: AbortSignal } = {},
): ProviderCall {
  const id = `g${++seq}`;
  const action = over.action ?? "grant";
  return {
    action,
    idempotencyKey: `${id}:${action}:1`,
    grant: { id, app: "docs", resourceId: null, scope: "app", endsAt: null },
    user: { email: over.email ?? "dana@acme.test", name: "Dana W", accounts: over.accounts ?? {} },
    target: { group },
    signal: over.signal ?? AbortSignal.timeout(5_000),
  };
}

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

/** What the SDK sends on every request. */
function expectSdkHeaders(headers: Record<string, unknown>) {
  expect(headers.authorization).toBe(`SSWS ${peer.token}`);
  expect(headers.accept).toBe("application/json, */*;q=0.8");
  expect(headers["user-agent"]).toMatch(/^@okta\/okta-sdk-nodejs\/8\.1\.0 node\//);
}

describe("okta provider: the providers: entry", () => {
  const schema = z.strictObject(oktaProvider.fields);

  it("declares its fields, secret, target and timeout", () => {
    expect(oktaProvider.type).toBe("okta");
    expect(oktaProvider.secrets).toEqual(["token"]);
    expect(oktaProvider.target).toMatchObject({ required: ["group"], optional: [] });
    expect(oktaProvider.defaultTimeoutMs).toBe(10_000);
    expect(schema.parse({ orgUrl: "https://acme.okta.com/", token: "t" })).toEqual({ orgUrl: "https://acme.okta.com", token: "t" });
  });

  it("takes http only on loopback, and no path", () => {
    expect(schema.safeParse({ orgUrl: "http://127.0.0.1:9000", token: "t" }).success).toBe(true);
    expect(schema.safeParse({ orgUrl: "http://localhost:9000", token: "t" }).success).toBe(true);
    expect(schema.safeParse({ orgUrl: "http://acme.okta.com", token: "t" }).success).toBe(false);
    expect(schema.safeParse({ orgUrl: "https://acme.okta.com/api/v1", token: "t" }).success).toBe(false);
    expect(schema.safeParse({ token: "t" }).success).toBe(false);
  });

  it("wants a group id, not a name", () => {
    expect(oktaProvider.target.problem).toBe(targetProblem);
    expect(targetProblem({ group: "00g1emaKYZTWRYYRRTSK" })).toBeNull();
    expect(targetProblem({ group: "{{ resource.id }}" })).toBeNull();
    expect(targetProblem({ group: "Docs readers" })).toMatch(/must be an Okta group id/);
  });
});

describe("okta provider: grant, revoke, check", () => {
  it("grant looks the user up by email, then adds them to the group (PUT, 204): done", async () => {
    const result = await provider().grant(call(docs));
    expect(result).toEqual({ status: "done", detail: `dana@acme.test is in Okta group ${docs}` });
    expect(peer.calls()).toEqual(["GET /api/v1/users/dana%40acme.test", `PUT /api/v1/groups/${docs}/users/${dana}`]);
    const [lookup, put] = peer.requests;
    expectSdkHeaders(lookup?.headers ?? {});
    expectSdkHeaders(put?.headers ?? {});
    expect(put?.body).toBe("");
    expect(peer.isMember(docs, dana)).toBe(true);
  });

  it("grant uses accounts.okta over the email", async () => {
    const group = peer.addGroup("Sam's");
    await provider().grant(call(group, { accounts: { okta: "sam.lee" } }));
    expect(peer.calls()[0]).toBe("GET /api/v1/users/sam.lee");
    expect(peer.isMember(group, "sam.lee@acme.test")).toBe(true);
  });

  it("each call looks the user up afresh (the SDK's GET cache is off)", async () => {
    await provider().grant(call(docs));
    const p = provider();
    await p.check(call(docs));
    await p.check(call(docs));
    expect(peer.calls().filter((c) => c === "GET /api/v1/users/dana%40acme.test")).toHaveLength(3);
  });

  it("revoke removes the user from the group (DELETE, 204): done", async () => {
    const result = await provider().revoke(call(ops, { action: "revoke" }));
    expect(result).toEqual({ status: "done", detail: `dana@acme.test is not in Okta group ${ops}` });
    expect(peer.calls()).toEqual(["GET /api/v1/users/dana%40acme.test", `DELETE /api/v1/groups/${ops}/users/${dana}`]);
    expectSdkHeaders(peer.requests[1]?.headers ?? {});
    expect(peer.isMember(ops, dana)).toBe(false);
  });

  it("revoke of someone not in the group is done", async () => {
    const empty = peer.addGroup("Empty");
    expect(await provider().revoke(call(empty, { action: "revoke" }))).toMatchObject({ status: "done" });
    expect(peer.calls()).toEqual(["GET /api/v1/users/dana%40acme.test", `DELETE /api/v1/groups/${empty}/users/${dana}`]);
  });

  it("revoke on a group Okta no longer has (404) is done", async () => {
    expect(await provider().revoke(call("00gDeletedGroup000000", { action: "revoke" }))).toMatchObject({ status: "done" });
    expect(peer.calls()).toEqual(["GET /api/v1/users/dana%40acme.test", `DELETE /api/v1/groups/00gDeletedGroup000000/users/${dana}`]);
  });

  it("revoke for a user Okta does not know (404) is done, with nothing else sent", async () => {
    const result = await provider().revoke(call(docs, { action: "revoke", email: "gone@acme.test" }));
    expect(result).toEqual({ status: "done", detail: "gone@acme.test is not an Okta user; nothing to remove" });
    expect(peer.calls()).toEqual(["GET /api/v1/users/gone%40acme.test"]);
  });

  it("check lists the user's groups: present when the group is among them, absent otherwise", async () => {
    const group = peer.addGroup("Check", ["dana@acme.test"]);
    expect(await provider().check(call(group))).toBe("present");
    expect(peer.calls()).toEqual(["GET /api/v1/users/dana%40acme.test", `GET /api/v1/users/${dana}/groups`]);
    expectSdkHeaders(peer.requests[1]?.headers ?? {});
    expect(await provider().check(call(peer.addGroup("Other")))).toBe("absent");
    expect(await provider().check(call(group, { email: "gone@acme.test" }))).toBe("absent");
  });
});

describe("okta provider: failures", () => {
  it("grant for a user Okta does not know is permanent", async () => {
    const err = await failure(provider().grant(call(docs, { email: "nobody@acme.test" })));
    expect(err.permanent).toBe(true);
    expect(err.message).toBe("nobody@acme.test is not an Okta user (looked up by accounts.okta, else the email)");
    expect(peer.calls()).toEqual(["GET /api/v1/users/nobody%40acme.test"]);
  });

  it("grant to a group Okta does not know is permanent, with Okta's error", async () => {
    const err = await failure(provider().grant(call("00gNoSuchGroup0000000")));
    expect(err.permanent).toBe(true);
    expect(err.message).toBe(
      "Okta rejected the request (HTTP 404): E0000007 Not found: Resource not found: 00gNoSuchGroup0000000 (UserGroup)",
    );
  });

  it("a wrong token is permanent, and the message never holds the token", async () => {
    config.token = "00wrongWrongWrongWrongWrongWrongWrong";
    const err = await failure(provider().grant(call(docs)));
    expect(err.permanent).toBe(true);
    expect(err.message).toBe("Okta refused the credentials (HTTP 401): E0000011 Invalid token provided");
    expect(err.message).not.toContain(config.token);
    expect(peer.requests[0]?.headers.authorization).toBe("SSWS 00wrongWrongWrongWrongWrongWrongWrong");
  });

  it("403 (a token without the permission) is permanent", async () => {
    peer.failNext(1, 403);
    const err = await failure(provider().grant(call(docs)));
    expect(err).toMatchObject({ permanent: true, retryAfterMs: null });
    expect(err.message).toBe(
      "Okta refused the credentials (HTTP 403): E0000006 You do not have permission to perform the requested action",
    );
  });

  it("5xx is transient", async () => {
    peer.failNext(1, 500);
    const err = await failure(provider().grant(call(docs)));
    expect(err).toMatchObject({ permanent: false, retryAfterMs: null, message: "Okta failed (HTTP 500): E0000009 Internal Server Error" });
    expect(peer.calls()).toEqual(["GET /api/v1/users/dana%40acme.test"]);
  });

  it("429 is transient, waits until x-rate-limit-reset, and the SDK does not retry it itself", async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    peer.failNext(1, 429, {
      date: new Date(now).toUTCString(),
      "x-rate-limit-remaining": "0",
      "x-rate-limit-reset": String(now / 1000 + 30),
    });
    const err = await failure(provider().grant(call(docs)));
    expect(err).toMatchObject({ permanent: false, retryAfterMs: 30_000 });
    expect(err.message).toBe("Okta rate limit (HTTP 429): E0000047 API call exceeded rate limit due to too many requests.");
    expect(peer.calls()).toHaveLength(1);
  });

  it("a request Okta never answers is aborted at the call's timeout: transient, and the socket is closed", async () => {
    peer.hangNext(1);
    const before = peer.abandoned;
    const started = Date.now();
    const err = await failure(provider().grant(call(docs, { signal: AbortSignal.timeout(300) })));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(err).toMatchObject({ permanent: false, message: "Okta did not answer before the provider's timeout" });
    await waitFor("the hung request to be closed", () => peer.abandoned > before, 5_000);
  });

  it("the timeout also reaches the second request of a call (the group change)", async () => {
    const group = peer.addGroup("Slow");
    peer.hangNext(1, 1);
    const err = await failure(provider().grant(call(group, { signal: AbortSignal.timeout(500) })));
    expect(err.permanent).toBe(false);
    expect(peer.calls()).toEqual(["GET /api/v1/users/dana%40acme.test", `PUT /api/v1/groups/${group}/users/${dana}`]);
    expect(peer.isMember(group, dana)).toBe(false);
  });

  it("an unreachable Okta is transient", async () => {
    config.orgUrl = "http://127.0.0.1:1";
    const err = await failure(provider().grant(call(docs)));
    expect(err.permanent).toBe(false);
    expect(err.message).toMatch(/^Okta could not be reached: /);
  });

  it("check answers unknown on a transient failure, and throws a permanent one", async () => {
    peer.failNext(1, 503);
    expect(await provider().check(call(docs))).toBe("unknown");
    peer.failNext(1, 401);
    expect((await failure(provider().check(call(docs)))).permanent).toBe(true);
  });
});
