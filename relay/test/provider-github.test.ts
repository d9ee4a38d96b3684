import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type GithubConfig, githubProvider, targetProblem } from "../src/adapters/providers/github.ts";
import { type Provider, type ProviderCall, ProviderError } from "../src/adapters/providers/types.ts";
import { GithubPeer } from "./github-peer.ts";
import { waitFor } from "./peers.ts";

/**
 * The GitHub provider against the loopback stand-in: the exact requests
 * @octokit/rest sends for each grant, revoke and check, and how GitHub's
 * answers (invitations, 404s, rate limits, failures, silence) come back.
 */

const peer = new GithubPeer();
beforeAll(() => peer.start());
afterAll(() => peer.stop());

let config: GithubConfig;
beforeEach(() => {
  peer.requests.length = 0;
  config = { id: "gh", type: "github", org: "acme", token: peer.token, baseUrl: peer.url };
});
/** The provider, with its optional \`check\` known to be there. */
function provider(): Provider & { check: NonNullable<Provider["check"]> } {
  const p = githubProvider.create(config);
  if (!p.check) throw new Error("the GitHub provider has check");
  return { ...p, check: p.check };
}

let seq = 0;
/** A ProviderCall as the effect worker builds it. */
function call(
  target: Record<string, string>,
  over: { action?: ProviderCall["action"]; accounts?: Record<string, string>; signal?: AbortSignal } = {},
): ProviderCall {
  const id = `g${++seq}`;
  const action = over.action ?? "grant";
  return {
    action,
    idempotencyKey: `${id}:${action}:1`,
    grant: { id, app: "github", resourceId: null, scope: "app", endsAt: null },
    user: { email: "dana@acme.test", name: "Dana W", accounts: over.accounts ?? { github: "dana-w" } },
    target,
    signal: over.signal ?? AbortSignal.timeout(5_000),
  };
}

/** The rejection of `p`, which must be a ProviderError. */
async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

/** The one request sent, with its JSON body parsed. */
function only() {
  expect(peer.calls()).toHaveLength(1);
  const [r] = peer.requests;
  if (!r) throw new Error("no request");
  return { ...r, json: r.body ? (JSON.parse(r.body) as unknown) : undefined };
}

describe("github provider: the providers: entry", () => {
  const schema = z.strictObject(githubProvider.fields);

  it("declares its fields, secret, target and timeout", () => {
    expect(githubProvider.type).toBe("github");
    expect(githubProvider.secrets).toEqual(["token"]);
    expect(githubProvider.target.required).toEqual([]);
    expect(githubProvider.target.optional).toEqual(["team", "repository", "permission", "role"]);
    expect(githubProvider.defaultTimeoutMs).toBe(10_000);
    expect(schema.parse({ org: "acme", token: "t" })).toEqual({ org: "acme", token: "t", baseUrl: "https://api.github.com" });
    expect(schema.parse({ org: "acme", token: "t", baseUrl: "https://ghe.acme.test/api/v3/" }).baseUrl).toBe(
      "https://ghe.acme.test/api/v3",
    );
  });

  it("takes http only on loopback", () => {
    expect(schema.safeParse({ org: "acme", token: "t", baseUrl: "http://127.0.0.1:8080" }).success).toBe(true);
    expect(schema.safeParse({ org: "acme", token: "t", baseUrl: "http://ghe.acme.test" }).success).toBe(false);
    expect(schema.safeParse({ org: "acme", token: "t", extra: 1 }).success).toBe(false);
  });

  it("wants exactly one of team or repository", () => {
    expect(githubProvider.target.problem).toBe(targetProblem);
    expect(targetProblem({ team: "payments" })).toBeNull();
    expect(targetProblem({ team: "payments", role: "maintainer" })).toBeNull();
    expect(targetProblem({ repository: "acme/web", permission: "pull" })).toBeNull();
    expect(targetProblem({ repository: "{{ resource.id }}" })).toBeNull();
    expect(targetProblem({})).toMatch(/needs team .* or repository/);
    expect(targetProblem({ team: "payments", repository: "web" })).toMatch(/either team or repository, not both/);
    expect(targetProblem({ team: "payments", role: "owner" })).toMatch(/role must be member or maintainer/);
    expect(targetProblem({ team: "payments", permission: "push" })).toMatch(/permission applies to a repository/);
    expect(targetProblem({ repository: "web", role: "member" })).toMatch(/role applies to a team/);
    expect(targetProblem({ repository: "a/b/c" })).toMatch(/owner\/name or a bare name/);
  });
});

describe("github provider: teams", () => {
  beforeAll(() => {
    peer.addOrgMember("acme", "dana-w").addUser("outsider").addTeam("acme", "payments").addTeam("acme", "docs");
  });

  it("grant adds the login to the team (PUT membership, role member) and is done when active", async () => {
    const result = await provider().grant(call({ team: "payments" }));
    expect(result).toEqual({ status: "done", detail: "dana-w is a member of acme/payments" });
    const r = only();
    expect(r.method).toBe("PUT");
    expect(r.path).toBe("/orgs/acme/teams/payments/memberships/dana-w");
    expect(r.json).toEqual({ role: "member" });
    expect(r.headers.authorization).toBe(`token ${peer.token}`);
    expect(r.headers.accept).toBe("application/vnd.github.v3+json");
    expect(r.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(r.headers["user-agent"]).toMatch(/^gatehouse-relay octokit-rest\.js\/22\.0\.1 /);
    expect(peer.isMember("acme", "payments", "dana-w")).toBe(true);
  });

  it("grant passes the role", async () => {
    await provider().grant(call({ team: "docs", role: "maintainer" }));
    expect(only().json).toEqual({ role: "maintainer" });
    expect(peer.teamMembership("acme", "docs", "dana-w")).toEqual({ role: "maintainer", state: "active" });
  });

  it("grant is pending while GitHub waits for a non-member to accept the org invitation; check tells when it lands", async () => {
    const p = provider();
    const pending = await p.grant(call({ team: "payments" }, { accounts: { github: "outsider" } }));
    expect(pending).toEqual({ status: "pending", detail: "outsider was invited to acme; payments membership starts when they accept" });
    expect(peer.teamMembership("acme", "payments", "outsider")).toEqual({ role: "member", state: "pending" });

    peer.requests.length = 0;
    expect(await p.check(call({ team: "payments" }, { accounts: { github: "outsider" } }))).toBe("absent");
    expect(only()).toMatchObject({ method: "GET", path: "/orgs/acme/teams/payments/memberships/outsider", body: "" });

    peer.acceptTeamInvitation("acme", "payments", "outsider");
    expect(await p.check(call({ team: "payments" }, { accounts: { github: "outsider" } }))).toBe("present");
  });

  it("revoke removes the membership (DELETE) and is done", async () => {
    peer.addTeam("acme", "ops", { "dana-w": { role: "member", state: "active" } });
    const result = await provider().revoke(call({ team: "ops" }, { action: "revoke" }));
    expect(result).toEqual({ status: "done", detail: "dana-w is not in acme/ops" });
    const r = only();
    expect(r).toMatchObject({ method: "DELETE", path: "/orgs/acme/teams/ops/memberships/dana-w", body: "" });
    expect(r.headers.authorization).toBe(`token ${peer.token}`);
    expect(peer.teamMembership("acme", "ops", "dana-w")).toBeNull();
  });

  it("revoke of someone not in the team (404) is done", async () => {
    peer.addTeam("acme", "empty");
    expect(await provider().revoke(call({ team: "empty" }, { action: "revoke" }))).toMatchObject({ status: "done" });
    expect(peer.calls()).toEqual(["DELETE /orgs/acme/teams/empty/memberships/dana-w"]);
  });

  it("check: active is present, no membership (404) is absent", async () => {
    peer.addTeam("acme", "check", { "dana-w": { role: "member", state: "active" } });
    expect(await provider().check(call({ team: "check" }))).toBe("present");
    expect(peer.calls()).toEqual(["GET /orgs/acme/teams/check/memberships/dana-w"]);
    expect(await provider().check(call({ team: "check" }, { accounts: { github: "outsider" } }))).toBe("absent");
  });

  it("grant to a team GitHub does not know (404) is permanent, with GitHub's message", async () => {
    const err = await failure(provider().grant(call({ team: "nope" })));
    expect(err.permanent).toBe(true);
    expect(err.message).toBe("GitHub rejected the request (HTTP 404): Not Found");
  });
});

describe("github provider: repositories", () => {
  beforeAll(() => {
    peer.addOrgMember("acme", "dana-w").addUser("vendor-vic").addRepo("acme/web").addRepo("acme/api").addRepo("partner/tools");
  });

  it("grant adds an org member directly (PUT collaborator, 204) and is done", async () => {
    const result = await provider().grant(call({ repository: "web" }));
    expect(result).toEqual({ status: "done", detail: "dana-w has push on acme/web" });
    const r = only();
    expect(r).toMatchObject({ method: "PUT", path: "/repos/acme/web/collaborators/dana-w" });
    expect(r.json).toEqual({ permission: "push" });
    expect(r.headers.authorization).toBe(`token ${peer.token}`);
    expect(peer.isCollaborator("acme/web", "dana-w")).toBe(true);
    expect(await provider().check(call({ repository: "web" }))).toBe("present");
  });

  it("grant to an outside collaborator creates an invitation (201) and is pending until accepted", async () => {
    const vic = { accounts: { github: "vendor-vic" } };
    const p = provider();
    const result = await p.grant(call({ repository: "acme/api", permission: "pull" }, vic));
    expect(result).toEqual({ status: "pending", detail: "vendor-vic was invited to acme/api; access starts when they accept" });
    expect(only().json).toEqual({ permission: "pull" });
    expect(peer.invitations("acme/api")).toEqual([{ id: expect.any(Number), invitee: "vendor-vic", permission: "pull" }]);

    peer.requests.length = 0;
    expect(await p.check(call({ repository: "acme/api" }, vic))).toBe("absent");
    expect(peer.calls()).toEqual(["GET /repos/acme/api/collaborators/vendor-vic"]);
    peer.acceptRepoInvitation("acme/api", "vendor-vic");
    expect(await p.check(call({ repository: "acme/api" }, vic))).toBe("present");
  });

  it("revoke of a never-accepted grant withdraws the invitation, leaving nothing behind", async () => {
    const vic = { accounts: { github: "vendor-vic" } };
    await provider().grant(call({ repository: "partner/tools" }, vic));
    const [invitation] = peer.invitations("partner/tools");
    peer.requests.length = 0;

    const result = await provider().revoke(call({ repository: "partner/tools" }, { ...vic, action: "revoke" }));
    expect(result).toEqual({ status: "done", detail: "vendor-vic is not a collaborator on partner/tools (withdrew 1 pending invitation)" });
    expect(peer.calls()).toEqual([
      "GET /repos/partner/tools/invitations?per_page=100",
      `DELETE /repos/partner/tools/invitations/${invitation?.id}`,
      "DELETE /repos/partner/tools/collaborators/vendor-vic",
    ]);
    expect(peer.invitations("partner/tools")).toEqual([]);
    expect(peer.isCollaborator("partner/tools", "vendor-vic")).toBe(false);
  });

  it("revoke removes a collaborator, and one already gone is done as well", async () => {
    peer.addRepo("acme/site", { "dana-w": "push" });
    expect(await provider().revoke(call({ repository: "site" }, { action: "revoke" }))).toMatchObject({ status: "done" });
    expect(peer.calls()).toEqual(["GET /repos/acme/site/invitations?per_page=100", "DELETE /repos/acme/site/collaborators/dana-w"]);
    expect(peer.isCollaborator("acme/site", "dana-w")).toBe(false);

    peer.requests.length = 0;
    expect(await provider().revoke(call({ repository: "site" }, { action: "revoke" }))).toMatchObject({ status: "done" });
    expect(peer.calls()).toEqual(["GET /repos/acme/site/invitations?per_page=100", "DELETE /repos/acme/site/collaborators/dana-w"]);
  });

  it("revoke on a repository GitHub no longer shows (404s) is done: nothing is left to remove", async () => {
    expect(await provider().revoke(call({ repository: "deleted" }, { action: "revoke" }))).toMatchObject({ status: "done" });
    expect(peer.calls()).toEqual(["GET /repos/acme/deleted/invitations?per_page=100", "DELETE /repos/acme/deleted/collaborators/dana-w"]);
  });

  it("grant with a permission GitHub rejects (422) is permanent, with GitHub's words", async () => {
    const err = await failure(provider().grant(call({ repository: "web", permission: "superuser" })));
    expect(err.permanent).toBe(true);
    expect(err.message).toBe("GitHub rejected the request (HTTP 422): Validation Failed (superuser is not a valid permission)");
  });
});

describe("github provider: failures", () => {
  beforeAll(() => {
    peer.addOrgMember("acme", "dana-w").addTeam("acme", "infra");
  });

  it("a person without accounts.github is a permanent failure, and nothing is sent", async () => {
    const err = await failure(provider().grant(call({ team: "infra" }, { accounts: { okta: "dana" } })));
    expect(err.permanent).toBe(true);
    expect(err.message).toBe("dana@acme.test has no GitHub account in the directory (accounts.github)");
    expect(peer.requests).toEqual([]);
  });

  it("a wrong token is permanent, and the message never holds the token", async () => {
    config.token = "ghp_wrongwrongwrongwrongwrongwrongwrong";
    const err = await failure(provider().grant(call({ team: "infra" })));
    expect(err.permanent).toBe(true);
    expect(err.message).toBe("GitHub refused the credentials (HTTP 401): Bad credentials");
    expect(err.message).not.toContain(config.token);
    expect(only().headers.authorization).toBe("token ghp_wrongwrongwrongwrongwrongwrongwrong");
  });

  it("403 without rate-limit headers is a permanent refusal", async () => {
    peer.failNext(1, 403, {}, "Resource not accessible by personal access token");
    const err = await failure(provider().grant(call({ team: "infra" })));
    expect(err).toMatchObject({ permanent: true, retryAfterMs: null });
    expect(err.message).toBe("GitHub refused the credentials (HTTP 403): Resource not accessible by personal access token");
  });

  it("5xx is transient, and the SDK does not retry it itself", async () => {
    peer.failNext(1, 502);
    const err = await failure(provider().grant(call({ team: "infra" })));
    expect(err).toMatchObject({ permanent: false, retryAfterMs: null, message: "GitHub failed (HTTP 502): Server Error" });
    expect(peer.calls()).toEqual(["PUT /orgs/acme/teams/infra/memberships/dana-w"]);
  });

  it("429 is transient and waits retry-after", async () => {
    peer.failNext(1, 429, { "retry-after": "42" });
    const err = await failure(provider().grant(call({ team: "infra" })));
    expect(err).toMatchObject({ permanent: false, retryAfterMs: 42_000 });
    expect(err.message).toBe("GitHub rate limit (HTTP 429): API rate limit exceeded");
    expect(peer.calls()).toHaveLength(1);
  });

  it("403 with x-ratelimit-remaining: 0 is the primary rate limit: transient until x-ratelimit-reset", async () => {
    const reset = Math.floor(Date.now() / 1000) + 120;
    peer.failNext(1, 403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) }, "API rate limit exceeded for user ID 1.");
    const err = await failure(provider().grant(call({ team: "infra" })));
    expect(err.permanent).toBe(false);
    expect(err.retryAfterMs).toBeGreaterThan(115_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it("403 with retry-after is a secondary rate limit: transient", async () => {
    peer.failNext(1, 403, { "retry-after": "60" }, "You have exceeded a secondary rate limit.");
    expect(await failure(provider().grant(call({ team: "infra" })))).toMatchObject({ permanent: false, retryAfterMs: 60_000 });
  });

  it("a request GitHub never answers is aborted at the call's timeout: transient, and the socket is closed", async () => {
    peer.hangNext(1);
    const before = peer.abandoned;
    const started = Date.now();
    const err = await failure(provider().grant(call({ team: "infra" }, { signal: AbortSignal.timeout(300) })));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(err).toMatchObject({ permanent: false, message: "GitHub did not answer before the provider's timeout" });
    await waitFor("the hung request to be closed", () => peer.abandoned > before, 5_000);
  });

  it("an unreachable GitHub is transient", async () => {
    config.baseUrl = "http://127.0.0.1:1";
    const err = await failure(provider().grant(call({ team: "infra" })));
    expect(err.permanent).toBe(false);
    expect(err.message).toMatch(/^GitHub could not be reached: /);
  });

  it("check answers unknown on a transient failure, and throws a permanent one", async () => {
    peer.failNext(1, 503);
    expect(await provider().check(call({ team: "infra" }))).toBe("unknown");
    peer.failNext(1, 401);
    expect((await failure(provider().check(call({ team: "infra" })))).permanent).toBe(true);
  });
});
