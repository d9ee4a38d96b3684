import { Octokit } from "@octokit/rest";
import { z } from "zod";
import { type Provider, type ProviderCall, ProviderError, type ProviderFactory, type ProviderResult } from "./types.ts";

/**
 * GitHub provider: a grant adds the person's GitHub login to an org team or
 * as a collaborator on a repository, through the official SDK (@octokit/rest).
 * GitHub answers some adds with an invitation the person still has to
 * accept; those grants are `pending` and `check` tells when they landed.
 */

export interface GithubConfig {
  id: string;
  type: "github";
  org: string;
  token: string;
  /** GitHub Enterprise Server: `https://ghe.example.com/api/v3`. */
  baseUrl?: string;
}

const DEFAULT_BASE_URL = "https://api.github.com";
const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** https only, except on loopback (the test stand-in), so the token never crosses a network in clear. */
const baseUrlSchema = z
  .url()
  .refine((u) => {
    const url = new URL(u);
    return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
  }, "baseUrl must be https (http only on loopback)")
  .transform((u) => u.replace(/\/+$/, ""));

const TEAM_ROLES = ["member", "maintainer"];

/** A `{{ … }}` template (policy load) is only known at grant time, so its value is checked then. */
const templated = (v: string) => v.includes("{{");

/**
 * Exactly one of `team` or `repository`; `role` belongs to a team,
 * `permission` to a repository. Runs when the policy loads (on templates)
 * and again at each call (on the filled-in values).
 */
export function targetProblem(target: Record<string, string | undefined>): string | null {
  const { team, repository, role, permission } = target;
  if (team && repository) return "a GitHub target names either team or repository, not both";
  if (!team && !repository) return "a GitHub target needs team (a team slug) or repository (owner/name or a name in the org)";
  if (team && permission) return "permission applies to a repository; a team takes role (member or maintainer)";
  if (repository && role)
    return "role applies to a team; a repository takes permission (pull, triage, push, maintain, admin or a custom role)";
  if (role && !templated(role) && !TEAM_ROLES.includes(role)) return `role must be member or maintainer, not "${role}"`;
  if (repository && !templated(repository) && !/^([A-Za-z0-9_.-]+\/)?[A-Za-z0-9_.-]+$/.test(repository)) {
    return `repository must be owner/name or a bare name, not "${repository}"`;
  }
  return null;
}

type Where =
  | { kind: "team"; org: string; team: string; role: "member" | "maintainer" }
  | { kind: "repo"; owner: string; repo: string; permission: string };

function whereOf(org: string, target: Record<string, string>): Where {
  const problem = targetProblem(target);
  if (problem) throw new ProviderError(problem, true);
  if (target.team) return { kind: "team", org, team: target.team, role: target.role === "maintainer" ? "maintainer" : "member" };
  const [first = "", second] = (target.repository ?? "").split("/");
  return second
    ? { kind: "repo", owner: first, repo: second, permission: target.permission ?? "push" }
    : { kind: "repo", owner: org, repo: first, permission: target.permission ?? "push" };
}

function loginOf(call: Pick<ProviderCall, "user">): string {
  const login = call.user.accounts.github;
  if (!login) throw new ProviderError(`${call.user.email} has no GitHub account in the directory (accounts.github)`, true);
  return login;
}

/** The fields Octokit's RequestError carries; matched by shape because @octokit/request-error is not a direct dependency. */
interface HttpFailure {
  status: number;
  response: { headers: Record<string, string | number | undefined>; data: unknown };
}

function httpFailure(err: unknown): HttpFailure | null {
  if (typeof err !== "object" || err === null || !("status" in err) || !("response" in err)) return null;
  const { status, response } = err as { status: unknown; response: unknown };
  if (typeof status !== "number" || typeof response !== "object" || response === null) return null;
  return err as HttpFailure;
}

/** 404 from GitHub (not a network failure, which Octokit also reports with a status). */
function isNotFound(err: unknown): boolean {
  return httpFailure(err)?.status === 404;
}

/** GitHub's own words: `message` plus any validation `errors`. */
function githubMessage(data: unknown): string {
  if (typeof data === "string") return data.slice(0, 300) || "no message";
  if (typeof data !== "object" || data === null) return "no message";
  const { message, errors } = data as { message?: unknown; errors?: unknown };
  const details = Array.isArray(errors)
    ? errors.map((e) => (typeof e === "object" && e && "message" in e ? String(e.message) : JSON.stringify(e))).join("; ")
    : "";
  return `${typeof message === "string" ? message : "no message"}${details ? ` (${details})` : ""}`;
}

/** Seconds from `retry-after` (or an HTTP date), else the wait until the epoch-seconds reset header. */
function retryAfterMs(headers: HttpFailure["response"]["headers"], resetHeader: string): number | null {
  const after = headers["retry-after"];
  if (after !== undefined) {
    const seconds = Number(after);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const at = Date.parse(String(after));
    if (Number.isFinite(at)) return Math.max(0, at - Date.now());
  }
  const reset = Number(headers[resetHeader]);
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - Date.now()) : null;
}

function redact(text: string, token: string): string {
  return token.length >= 4 ? text.split(token).join("[REDACTED]") : text;
}

/** Maps whatever Octokit threw to a ProviderError: permanent only when retrying cannot help. */
function toProviderError(err: unknown, signal: AbortSignal, token: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const failure = httpFailure(err);
  if (!failure) {
    // Octokit reports an abort as status 500 without a response; the signal tells it was our timeout.
    if (signal.aborted) return new ProviderError("GitHub did not answer before the provider's timeout", false);
    const message = err instanceof Error ? err.message : String(err);
    return new ProviderError(redact(`GitHub could not be reached: ${message}`, token), false);
  }
  const { status, response } = failure;
  const said = redact(githubMessage(response.data), token);
  const rateLimited = response.headers["retry-after"] !== undefined || String(response.headers["x-ratelimit-remaining"]) === "0";
  // GitHub signals both its primary and secondary rate limits with 403 (sometimes 429) and these headers.
  if (status === 429 || (status === 403 && rateLimited)) {
    return new ProviderError(`GitHub rate limit (HTTP ${status}): ${said}`, false, retryAfterMs(response.headers, "x-ratelimit-reset"));
  }
  if (status === 401 || status === 403) {
    return new ProviderError(`GitHub refused the credentials (HTTP ${status}): ${said}`, true);
  }
  if (status === 408 || status >= 500) return new ProviderError(`GitHub failed (HTTP ${status}): ${said}`, false);
  return new ProviderError(`GitHub rejected the request (HTTP ${status}): ${said}`, true);
}

function createGithubProvider(config: GithubConfig): Provider {
  const octokit = new Octokit({
    auth: config.token,
    baseUrl: (config.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, ""),
    userAgent: "gatehouse-relay",
    // @octokit/rest has no retry or throttling plugin (those live in the `octokit` bundle), so each call is
    // one request and the effect ledger owns retries. Its request-log plugin would print every expected 404
    // to the console; the effect worker logs outcomes instead.
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });

  /** Runs one provider call: Octokit's throws become ProviderErrors. */
  async function run<T>(call: Pick<ProviderCall, "signal">, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toProviderError(err, call.signal, config.token);
    }
  }

  async function grant(call: ProviderCall): Promise<ProviderResult> {
    return run(call, async () => {
      const username = loginOf(call);
      const where = whereOf(config.org, call.target);
      const request = { signal: call.signal };
      if (where.kind === "team") {
        const { data } = await octokit.rest.teams.addOrUpdateMembershipForUserInOrg({
          org: where.org,
          team_slug: where.team,
          username,
          role: where.role,
          request,
        });
        if (data.state === "active") return { status: "done", detail: `${username} is a ${data.role} of ${where.org}/${where.team}` };
        // Not yet an org member: GitHub sent an org invitation; the team membership starts when it is accepted.
        return { status: "pending", detail: `${username} was invited to ${where.org}; ${where.team} membership starts when they accept` };
      }
      const res = await octokit.rest.repos.addCollaborator({
        owner: where.owner,
        repo: where.repo,
        username,
        permission: where.permission,
        request,
      });
      // 201 carries a new invitation; 204 means access was granted directly (an org member, or already a collaborator).
      if (res.status === 201) {
        return { status: "pending", detail: `${username} was invited to ${where.owner}/${where.repo}; access starts when they accept` };
      }
      return { status: "done", detail: `${username} has ${where.permission} on ${where.owner}/${where.repo}` };
    });
  }

  async function revoke(call: ProviderCall): Promise<ProviderResult> {
    return run(call, async () => {
      const username = loginOf(call);
      const where = whereOf(config.org, call.target);
      const request = { signal: call.signal };
      if (where.kind === "team") {
        // Also withdraws a still-pending team membership. 404: already not a member, which is the goal.
        await octokit.rest.teams
          .removeMembershipForUserInOrg({ org: where.org, team_slug: where.team, username, request })
          .catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
        return { status: "done", detail: `${username} is not in ${where.org}/${where.team}` };
      }
      // Invitations first: if the person accepts between the two steps, the collaborator removal still catches it.
      // 404: the repository is gone (or hidden from this token), and with it any invitation.
      const invitations = await octokit
        .paginate(octokit.rest.repos.listInvitations, { owner: where.owner, repo: where.repo, per_page: 100, request })
        .catch((err: unknown) => (isNotFound(err) ? [] : Promise.reject(err)));
      const mine = invitations.filter((i) => i.invitee?.login.toLowerCase() === username.toLowerCase());
      for (const invitation of mine) {
        await octokit.rest.repos
          .deleteInvitation({ owner: where.owner, repo: where.repo, invitation_id: invitation.id, request })
          .catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
      }
      await octokit.rest.repos
        .removeCollaborator({ owner: where.owner, repo: where.repo, username, request })
        .catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
      const withdrawn = mine.length ? ` (withdrew ${mine.length} pending invitation${mine.length > 1 ? "s" : ""})` : "";
      return { status: "done", detail: `${username} is not a collaborator on ${where.owner}/${where.repo}${withdrawn}` };
    });
  }

  /** Transient failures are `unknown` (ask again later); permanent ones (no login, bad credentials) are thrown. */
  async function check(call: Omit<ProviderCall, "action">): Promise<"present" | "absent" | "unknown"> {
    try {
      return await run(call, async () => {
        const username = loginOf(call);
        const where = whereOf(config.org, call.target);
        const request = { signal: call.signal };
        try {
          if (where.kind === "team") {
            const { data } = await octokit.rest.teams.getMembershipForUserInOrg({
              org: where.org,
              team_slug: where.team,
              username,
              request,
            });
            // A pending membership is an unanswered invitation: no access yet.
            return data.state === "active" ? "present" : "absent";
          }
          // 204 also for access through org base permissions or teams: the person can use the repository either way.
          await octokit.rest.repos.checkCollaborator({ owner: where.owner, repo: where.repo, username, request });
          return "present";
        } catch (err) {
          if (isNotFound(err)) return "absent";
          throw err;
        }
      });
    } catch (err) {
      if (err instanceof ProviderError && !err.permanent) return "unknown";
      throw err;
    }
  }

  return { type: "github", grant, revoke, check };
}

export const githubProvider: ProviderFactory<GithubConfig> = {
  type: "github",
  fields: {
    org: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, "a GitHub organization login"),
    token: z.string().min(1),
    baseUrl: baseUrlSchema.default(DEFAULT_BASE_URL),
  },
  secrets: ["token"],
  target: { required: [], optional: ["team", "repository", "permission", "role"], problem: targetProblem },
  defaultTimeoutMs: 10_000,
  create: createGithubProvider,
};
