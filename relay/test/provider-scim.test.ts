import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  addMemberPatch,
  eqFilter,
  PATCH_OP_SCHEMA,
  removeMemberPatch,
  retryAfterMs,
  type ScimConfig,
  scimFilterValue,
  scimProvider,
} from "../src/adapters/providers/scim.ts";
import { type ProviderCall, ProviderError } from "../src/adapters/providers/types.ts";
import { ScimPeer } from "./scim-peer.ts";

/**
 * The SCIM provider against a real SCIM 2.0 server (SCIMMY behind
 * node:http on loopback): what it sends, what the server ends up holding,
 * and how each kind of failure is classified for the effect worker.
 */

const TOKEN = "scim-test-token-7f3a9c";

function call(action: ProviderCall["action"], email: string, group: string, timeoutMs = 5_000): ProviderCall {
  return {
    action,
    idempotencyKey: `grant-1:${action}:1`,
    grant: { id: "grant-1", app: "docs", resourceId: null, scope: "app", endsAt: null },
    user: { email, name: "Dana Woods", accounts: {} },
    target: { group },
    signal: AbortSignal.timeout(timeoutMs),
  };
}

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(err)}`);
  return err;
}

describe("scim provider helpers", () => {
  it("quotes filter values as RFC 7644 JSON strings", () => {
    expect(scimFilterValue("dana@example.com")).toBe('"dana@example.com"');
    expect(scimFilterValue('a"b\\c@example.com')).toBe('"a\\"b\\\\c@example.com"');
    expect(eqFilter("userName", 'x"y')).toBe('userName eq "x\\"y"');
  });

  it("builds the PatchOp bodies", () => {
    expect(addMemberPatch("u1")).toEqual({
      schemas: [PATCH_OP_SCHEMA],
      Operations: [{ op: "add", path: "members", value: [{ value: "u1" }] }],
    });
    expect(removeMemberPatch("u1")).toEqual({ schemas: [PATCH_OP_SCHEMA], Operations: [{ op: "remove", path: 'members[value eq "u1"]' }] });
  });

  it("reads Retry-After as seconds or a date", () => {
    const now = new Date("2030-01-01T00:00:00Z");
    expect(retryAfterMs("7", now)).toBe(7000);
    expect(retryAfterMs("Tue, 01 Jan 2030 00:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs(null, now)).toBeNull();
    expect(retryAfterMs("soon", now)).toBeNull();
  });

  it("checks its providers: entry", () => {
    const entry = z.strictObject(scimProvider.fields);
    expect(entry.parse({ url: "https://api.example.com/scim/v2", token: "t" })).toEqual({
      url: "https://api.example.com/scim/v2",
      token: "t",
      userAttribute: "userName",
      groupBy: "id",
    });
    expect(entry.safeParse({ url: "ftp://x", token: "t" }).success).toBe(false);
    expect(entry.safeParse({ url: "https://x", token: "t", userAttribute: 'userName eq "x" or id' }).success).toBe(false);
    expect(scimProvider.secrets).toEqual(["token"]);
    expect(scimProvider.target).toEqual({ required: ["group"], optional: [] });
  });
});

describe("scim provider against a SCIM server", () => {
  const peer = new ScimPeer({ token: TOKEN });
  const config = (over: Partial<ScimConfig> = {}): ScimConfig => ({ id: "scim", type: "scim", url: peer.url, token: TOKEN, ...over });
  let readers = "";

  beforeAll(async () => {
    await peer.start();
    peer.addUser("dana@example.com", "Dana Woods");
    peer.addUser("lee@example.com");
    readers = peer.addGroup("docs-readers");
  });
  afterAll(() => peer.stop());
  afterEach(() => {
    peer.failNext(0, 500);
    peer.hangNext(0);
  });

  it("grants by adding the user to the group, with the exact PatchOp", async () => {
    const provider = scimProvider.create(config());
    const before = peer.requests.length;
    await expect(provider.grant(call("grant", "dana@example.com", readers))).resolves.toEqual({ status: "done" });
    expect(peer.isMember(readers, "dana@example.com")).toBe(true);

    const sent = peer.requests.slice(before);
    expect(sent.map((r) => `${r.method} ${decodeURIComponent(r.path)}`)).toEqual([
      'GET /scim/v2/Users?filter=userName eq "dana@example.com"',
      `PATCH /scim/v2/Groups/${readers}`,
    ]);
    const patch = sent[1];
    expect(JSON.parse(patch?.body ?? "")).toEqual({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "add", path: "members", value: [{ value: expect.any(String) }] }],
    });
    expect(patch?.headers["content-type"]).toBe("application/scim+json");
    expect(patch?.headers.accept).toBe("application/scim+json");
    expect(patch?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(patch?.headers["idempotency-key"]).toBe("grant-1:grant:1");
    expect(sent[0]?.headers.accept).toBe("application/scim+json");

    // A retry of the same effect leaves one membership, and the server saw one change.
    await expect(provider.grant(call("grant", "dana@example.com", readers))).resolves.toEqual({ status: "done" });
    expect(peer.successfulPatches().get("grant-1:grant:1")).toBe(1);
  });

  it("checks present and absent", async () => {
    const provider = scimProvider.create(config());
    await provider.grant(call("grant", "dana@example.com", readers));
    await expect(provider.check?.(call("grant", "dana@example.com", readers))).resolves.toBe("present");
    await expect(provider.check?.(call("grant", "lee@example.com", readers))).resolves.toBe("absent");
    await expect(provider.check?.(call("grant", "nobody@example.com", readers))).resolves.toBe("absent");
  });

  it("revokes by removing the member; removing again, or an unknown user or group, is done", async () => {
    const provider = scimProvider.create(config());
    await provider.grant(call("grant", "dana@example.com", readers));
    const before = peer.requests.length;
    await expect(provider.revoke(call("revoke", "dana@example.com", readers))).resolves.toEqual({ status: "done" });
    expect(peer.isMember(readers, "dana@example.com")).toBe(false);
    const patch = peer.requests.slice(before).find((r) => r.method === "PATCH");
    expect(JSON.parse(patch?.body ?? "")).toMatchObject({
      Operations: [{ op: "remove", path: expect.stringMatching(/^members\[value eq ".+"\]$/) }],
    });
    expect(peer.successfulPatches().get("grant-1:revoke:1")).toBe(1);

    await expect(provider.revoke(call("revoke", "dana@example.com", readers))).resolves.toEqual({ status: "done" });
    expect(peer.successfulPatches().get("grant-1:revoke:1")).toBe(1);
    await expect(provider.revoke(call("revoke", "nobody@example.com", readers))).resolves.toMatchObject({ status: "done" });
    await expect(provider.revoke(call("revoke", "dana@example.com", "no-such-group-id"))).resolves.toMatchObject({ status: "done" });
    await expect(
      scimProvider.create(config({ groupBy: "displayName" })).revoke(call("revoke", "dana@example.com", "no-such-group")),
    ).resolves.toMatchObject({ status: "done" });
  });

  it("finds the group by displayName when groupBy is displayName", async () => {
    const provider = scimProvider.create(config({ groupBy: "displayName" }));
    const editors = peer.addGroup("docs-editors");
    const before = peer.requests.length;
    await expect(provider.grant(call("grant", "lee@example.com", "docs-editors"))).resolves.toEqual({ status: "done" });
    expect(peer.isMember("docs-editors", "lee@example.com")).toBe(true);
    expect(peer.requests.slice(before).map((r) => `${r.method} ${decodeURIComponent(r.path)}`)).toContain(
      'GET /scim/v2/Groups?filter=displayName eq "docs-editors"',
    );
    await expect(provider.check?.(call("grant", "lee@example.com", "docs-editors"))).resolves.toBe("present");
    await provider.revoke(call("revoke", "lee@example.com", "docs-editors"));
    expect(peer.isMember(editors, "lee@example.com")).toBe(false);

    const err = await failure(provider.grant(call("grant", "lee@example.com", "no-such-group")));
    expect(err.permanent).toBe(true);
    expect(err.message).toContain("no-such-group");
  });

  it("fails a grant for an unknown user or group permanently, naming them", async () => {
    const provider = scimProvider.create(config());
    const user = await failure(provider.grant(call("grant", "nobody@example.com", readers)));
    expect(user.permanent).toBe(true);
    expect(user.message).toContain("nobody@example.com");
    const group = await failure(provider.grant(call("grant", "dana@example.com", "no-such-group-id")));
    expect(group.permanent).toBe(true);
    expect(group.message).toContain("no-such-group-id");
  });

  it("fails permanently on a wrong token, saying so and never showing a token", async () => {
    const wrong = "wrong-token-0000";
    const err = await failure(scimProvider.create(config({ token: wrong })).grant(call("grant", "dana@example.com", readers)));
    expect(err.permanent).toBe(true);
    expect(err.message).toMatch(/refused the credentials/);
    expect(err.message).not.toContain(wrong);
    expect(err.message).not.toContain(TOKEN);
  });

  it("passes the SCIM detail of another 4xx on, permanently", async () => {
    peer.failNext(1, 400);
    const err = await failure(scimProvider.create(config()).grant(call("grant", "dana@example.com", readers)));
    expect(err.permanent).toBe(true);
    expect(err.message).toContain("injected failure");
  });

  it("retries a 503", async () => {
    peer.failNext(1, 503);
    const err = await failure(scimProvider.create(config()).grant(call("grant", "dana@example.com", readers)));
    expect(err.permanent).toBe(false);
    expect(err.message).toContain("503");
  });

  it("waits as long as a 429 says", async () => {
    peer.failNext(1, 429, { "retry-after": "7" });
    const err = await failure(scimProvider.create(config()).revoke(call("revoke", "dana@example.com", readers)));
    expect(err.permanent).toBe(false);
    expect(err.retryAfterMs).toBe(7000);
  });

  it("retries when the server does not answer in time", async () => {
    peer.hangNext(1);
    const started = Date.now();
    const err = await failure(scimProvider.create(config()).grant(call("grant", "dana@example.com", readers, 300)));
    expect(err.permanent).toBe(false);
    expect(err.message).toMatch(/timeout/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("escapes a quote in the email, and the server still finds the user", async () => {
    const odd = '"odd\\one"@example.com';
    peer.addUser(odd);
    const provider = scimProvider.create(config());
    const before = peer.requests.length;
    await expect(provider.grant(call("grant", odd, readers))).resolves.toEqual({ status: "done" });
    expect(decodeURIComponent(peer.requests[before]?.path ?? "")).toBe('/scim/v2/Users?filter=userName eq "\\"odd\\\\one\\"@example.com"');
    expect(peer.isMember(readers, odd)).toBe(true);
  });
});

describe("ScimPeer", () => {
  it("keeps two peers' data apart in one process, and serves POST and DELETE through SCIMMY", async () => {
    const a = new ScimPeer({ token: TOKEN });
    const b = new ScimPeer({ token: TOKEN });
    await Promise.all([a.start(), b.start()]);
    try {
      const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/scim+json" };
      const created = await fetch(`${a.url}/Users`, {
        method: "POST",
        headers,
        body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "only-a@example.com" }),
      });
      expect(created.status).toBe(201);
      const { id, meta } = (await created.json()) as { id: string; meta: { location: string } };
      expect(meta.location).toBe(`${a.url}/Users/${id}`);
      const list = async (url: string) =>
        (
          (await (await fetch(`${url}/Users?filter=${encodeURIComponent('userName eq "only-a@example.com"')}`, { headers })).json()) as {
            totalResults: number;
          }
        ).totalResults;
      expect(await list(a.url)).toBe(1);
      expect(await list(b.url)).toBe(0);
      expect((await fetch(`${a.url}/Users/${id}`, { method: "DELETE", headers })).status).toBe(204);
      expect(await list(a.url)).toBe(0);
      expect((await fetch(`${a.url}/Users/${id}`, { headers })).status).toBe(404);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
