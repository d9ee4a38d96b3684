import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { closeServer, listenOnLoopback, type PeerRequest } from "./peers.ts";

/**
 * A stand-in for the GitHub REST API (v3) on loopback, for the endpoints the
 * GitHub provider uses: team memberships, repository collaborators and
 * repository invitations. Same paths, status codes and JSON shapes as
 * api.github.com, so the real SDK (@octokit/rest) talks to it unchanged. It
 * keeps state (org members, teams, repositories), records every request,
 * and can fail or hang the next requests on demand.
 */

export type TeamRole = "member" | "maintainer";
export interface TeamMembership {
  role: TeamRole;
  /** `pending`: the person is not an org member yet; GitHub sent an invitation. */
  state: "active" | "pending";
}

interface User {
  login: string;
  id: number;
}

interface Repo {
  id: number;
  owner: string;
  name: string;
  /** Lower-cased login → permission (pull, triage, push, maintain, admin). */
  collaborators: Map<string, string>;
  invitations: Invitation[];
}

interface Invitation {
  id: number;
  invitee: string;
  inviter: string;
  permission: string;
  createdAt: string;
}

/** What a route returns once it has answered: a route that forgets to answer does not compile. */
type Answered = true;

type Fault = { kind: "fail"; status: number; headers: Record<string, string>; message: string | undefined } | { kind: "hang" };

const PERMISSIONS = ["pull", "triage", "push", "maintain", "admin"];
/** How GitHub names a permission on an invitation. */
const INVITATION_PERMISSION: Record<string, string> = {
  pull: "read",
  push: "write",
  triage: "triage",
  maintain: "maintain",
  admin: "admin",
};
const MESSAGES: Record<number, string> = {
  400: "Problems parsing JSON",
  401: "Bad credentials",
  403: "Forbidden",
  404: "Not Found",
  422: "Validation Failed",
  429: "API rate limit exceeded",
  500: "Server Error",
  502: "Server Error",
  503: "Service Unavailable",
};
const DOCS = "https://docs.github.com/rest";

const key = (s: string) => s.toLowerCase();

export class GithubPeer {
  readonly requests: PeerRequest[] = [];
  url = "";
  /** Hung requests whose client gave up and closed the connection (a real abort, not a lost race). */
  abandoned = 0;
  /** The token the stand-in accepts (`Authorization: token …` or `Bearer …`). */
  readonly token: string;
  #server: Server;
  #users = new Map<string, User>();
  #orgMembers = new Map<string, Set<string>>();
  #teams = new Map<string, { id: number; org: string; slug: string; members: Map<string, TeamMembership> }>();
  #repos = new Map<string, Repo>();
  /** Queued answers for the next requests; null: answer normally. */
  #faults: (Fault | null)[] = [];
  #nextId = 1000;

  constructor(token = `ghp_${randomBytes(18).toString("hex")}`) {
    this.token = token;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => this.#handle(req, res, Buffer.concat(chunks).toString("utf8")));
    });
  }

  async start(): Promise<void> {
    this.url = await listenOnLoopback(this.#server);
  }

  stop(): Promise<void> {
    return closeServer(this.#server);
  }

  // --- seeding ---

  /** GitHub accounts that exist (an unknown login is a 404). */
  addUser(...logins: string[]): this {
    for (const login of logins) if (!this.#users.has(key(login))) this.#users.set(key(login), { login, id: this.#nextId++ });
    return this;
  }

  /** An org member: team adds are active at once. Anyone else gets an invitation (pending). */
  addOrgMember(org: string, login: string): this {
    this.addUser(login);
    const members = this.#orgMembers.get(key(org)) ?? new Set<string>();
    members.add(key(login));
    this.#orgMembers.set(key(org), members);
    return this;
  }

  addTeam(org: string, slug: string, members: Record<string, TeamMembership> = {}): this {
    const team = { id: this.#nextId++, org, slug, members: new Map<string, TeamMembership>() };
    for (const [login, m] of Object.entries(members)) {
      this.addUser(login);
      team.members.set(key(login), m);
    }
    this.#teams.set(key(`${org}/${slug}`), team);
    return this;
  }

  /** `owner/name`; collaborators as login → permission. */
  addRepo(fullName: string, collaborators: Record<string, string> = {}): this {
    const [owner = "", name = ""] = fullName.split("/");
    const repo: Repo = { id: this.#nextId++, owner, name, collaborators: new Map(), invitations: [] };
    for (const [login, permission] of Object.entries(collaborators)) {
      this.addUser(login);
      repo.collaborators.set(key(login), permission);
    }
    this.#repos.set(key(fullName), repo);
    return this;
  }

  // --- state ---

  teamMembership(org: string, slug: string, login: string): TeamMembership | null {
    return this.#teams.get(key(`${org}/${slug}`))?.members.get(key(login)) ?? null;
  }

  /** An active member of the team (a pending invitation does not count). */
  isMember(org: string, slug: string, login: string): boolean {
    return this.teamMembership(org, slug, login)?.state === "active";
  }

  isCollaborator(fullName: string, login: string): boolean {
    return this.#repos.get(key(fullName))?.collaborators.has(key(login)) ?? false;
  }

  invitations(fullName: string): { id: number; invitee: string; permission: string }[] {
    return (this.#repos.get(key(fullName))?.invitations ?? []).map((i) => ({ id: i.id, invitee: i.invitee, permission: i.permission }));
  }

  /** The person accepts the org invitation that a pending team add sent. */
  acceptTeamInvitation(org: string, slug: string, login: string): void {
    const membership = this.teamMembership(org, slug, login);
    if (!membership) throw new Error(`${login} has no membership in ${org}/${slug}`);
    membership.state = "active";
    this.addOrgMember(org, login);
  }

  /** The person accepts a repository invitation. */
  acceptRepoInvitation(fullName: string, login: string): void {
    const repo = this.#repos.get(key(fullName));
    const invitation = repo?.invitations.find((i) => key(i.invitee) === key(login));
    if (!repo || !invitation) throw new Error(`${login} has no invitation to ${fullName}`);
    repo.invitations = repo.invitations.filter((i) => i !== invitation);
    repo.collaborators.set(key(login), invitation.permission);
  }

  // --- faults ---

  /** The next `n` requests are answered with `status` (GitHub's error body) and `headers`, changing nothing. */
  failNext(n: number, status: number, headers: Record<string, string> = {}, message?: string): void {
    for (let i = 0; i < n; i++) this.#faults.push({ kind: "fail", status, headers, message });
  }

  /** The next `n` requests (after `after` answered normally) are never answered, until the client gives up or the peer stops. */
  hangNext(n: number, after = 0): void {
    for (let i = 0; i < after; i++) this.#faults.push(null);
    for (let i = 0; i < n; i++) this.#faults.push({ kind: "hang" });
  }

  /** Each request as `METHOD path`, e.g. `PUT /orgs/acme/teams/payments/memberships/dana-w`. */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  // --- the API ---

  #handle(req: IncomingMessage, res: ServerResponse, body: string): Answered | undefined {
    const record: PeerRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body };
    this.requests.push(record);
    const fault = this.#faults.shift();
    if (fault?.kind === "hang") {
      res.on("close", () => this.abandoned++);
      return;
    }
    if (fault?.kind === "fail") return this.#error(res, fault.status, fault.message, fault.headers);

    const auth = /^(?:token|bearer) (.+)$/i.exec(req.headers.authorization ?? "");
    if (!auth) return this.#error(res, 401, "Requires authentication");
    if (auth[1] !== this.token) return this.#error(res, 401, "Bad credentials");

    const url = new URL(record.path, this.url);
    const parts = url.pathname.split("/").slice(1).map(decodeURIComponent);
    let json: Record<string, unknown> = {};
    try {
      if (body) json = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return this.#error(res, 400);
    }
    const method = record.method;

    // /orgs/{org}/teams/{team_slug}/memberships/{username}
    if (parts.length === 6 && parts[0] === "orgs" && parts[2] === "teams" && parts[4] === "memberships") {
      const [, org = "", , slug = "", , username = ""] = parts;
      return this.#teamMembership(res, method, org, slug, username, json);
    }
    if (parts[0] === "repos" && parts.length >= 4) {
      const [, owner = "", name = "", collection = "", item] = parts;
      const repo = this.#repos.get(key(`${owner}/${name}`));
      if (!repo) return this.#error(res, 404);
      if (collection === "collaborators" && item && parts.length === 5) return this.#collaborator(res, method, repo, item, json);
      if (collection === "invitations" && parts.length === 4 && method === "GET") return this.#listInvitations(res, url, repo);
      if (collection === "invitations" && item && parts.length === 5 && method === "DELETE") {
        const before = repo.invitations.length;
        repo.invitations = repo.invitations.filter((i) => String(i.id) !== item);
        return before === repo.invitations.length ? this.#error(res, 404) : this.#send(res, 204);
      }
    }
    return this.#error(res, 404);
  }

  #teamMembership(
    res: ServerResponse,
    method: string,
    org: string,
    slug: string,
    username: string,
    json: Record<string, unknown>,
  ): Answered {
    const team = this.#teams.get(key(`${org}/${slug}`));
    const user = this.#users.get(key(username));
    if (!team || !user) return this.#error(res, 404);
    const orgId = 1;
    const answer = (m: TeamMembership) => ({
      url: `${this.url}/organizations/${orgId}/team/${team.id}/memberships/${user.login}`,
      role: m.role,
      state: m.state,
    });
    if (method === "GET") {
      const m = team.members.get(key(username));
      return m ? this.#send(res, 200, answer(m)) : this.#error(res, 404);
    }
    if (method === "PUT") {
      const role = json.role ?? "member";
      if (role !== "member" && role !== "maintainer")
        return this.#validation(res, "TeamMember", "role", `role is not included in the list`);
      const isOrgMember = this.#orgMembers.get(key(org))?.has(key(username)) ?? false;
      const existing = team.members.get(key(username));
      const m: TeamMembership = { role, state: existing?.state === "active" || isOrgMember ? "active" : "pending" };
      team.members.set(key(username), m);
      return this.#send(res, 200, answer(m));
    }
    if (method === "DELETE") {
      if (!team.members.delete(key(username))) return this.#error(res, 404);
      return this.#send(res, 204);
    }
    return this.#error(res, 404);
  }

  #collaborator(res: ServerResponse, method: string, repo: Repo, username: string, json: Record<string, unknown>): Answered {
    const user = this.#users.get(key(username));
    if (method === "GET") return repo.collaborators.has(key(username)) ? this.#send(res, 204) : this.#error(res, 404);
    if (!user) return this.#error(res, 404);
    if (method === "PUT") {
      const permission = typeof json.permission === "string" ? json.permission : "push";
      if (!PERMISSIONS.includes(permission))
        return this.#validation(res, "Repository", "permission", `${permission} is not a valid permission`);
      const orgMember = this.#orgMembers.get(key(repo.owner))?.has(key(username)) ?? false;
      // Existing collaborators get the new permission; org members are added directly; both answer 204.
      if (repo.collaborators.has(key(username)) || orgMember) {
        repo.collaborators.set(key(username), permission);
        return this.#send(res, 204);
      }
      let invitation = repo.invitations.find((i) => key(i.invitee) === key(username));
      if (invitation) invitation.permission = permission;
      else {
        invitation = { id: this.#nextId++, invitee: user.login, inviter: "gatehouse-bot", permission, createdAt: new Date().toISOString() };
        repo.invitations.push(invitation);
      }
      return this.#send(res, 201, this.#invitationJson(repo, invitation));
    }
    if (method === "DELETE") {
      repo.collaborators.delete(key(username));
      return this.#send(res, 204);
    }
    return this.#error(res, 404);
  }

  #listInvitations(res: ServerResponse, url: URL, repo: Repo): Answered {
    const perPage = Math.min(100, Number(url.searchParams.get("per_page") ?? 30) || 30);
    const page = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1);
    const all = repo.invitations.map((i) => this.#invitationJson(repo, i));
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < all.length) {
      const next = new URL(url);
      next.searchParams.set("page", String(page + 1));
      headers.link = `<${this.url}${next.pathname}${next.search}>; rel="next"`;
    }
    return this.#send(res, 200, slice, headers);
  }

  #simpleUser(login: string) {
    const id = this.#users.get(key(login))?.id ?? 1;
    return {
      login,
      id,
      node_id: `MDQ6VXNlcj${id}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
      gravatar_id: "",
      url: `${this.url}/users/${login}`,
      html_url: `https://github.com/${login}`,
      type: "User",
      site_admin: false,
    };
  }

  #invitationJson(repo: Repo, i: Invitation) {
    const fullName = `${repo.owner}/${repo.name}`;
    return {
      id: i.id,
      node_id: `MDIwOlJlcG9zaXRvcnlJbnZpdGF0aW9u${i.id}`,
      repository: {
        id: repo.id,
        node_id: `MDEwOlJlcG9zaXRvcnk${repo.id}`,
        name: repo.name,
        full_name: fullName,
        private: true,
        owner: { ...this.#simpleUser(repo.owner), type: "Organization" },
        html_url: `https://github.com/${fullName}`,
        url: `${this.url}/repos/${fullName}`,
      },
      invitee: this.#simpleUser(i.invitee),
      inviter: this.#simpleUser(i.inviter),
      permissions: INVITATION_PERMISSION[i.permission] ?? i.permission,
      created_at: i.createdAt,
      expired: false,
      url: `${this.url}/user/repository_invitations/${i.id}`,
      html_url: `https://github.com/${fullName}/invitations`,
    };
  }

  #validation(res: ServerResponse, resource: string, field: string, message: string): Answered {
    return this.#send(res, 422, {
      message: "Validation Failed",
      errors: [{ resource, code: "custom", field, message }],
      documentation_url: DOCS,
      status: "422",
    });
  }

  #error(res: ServerResponse, status: number, message?: string, headers: Record<string, string> = {}): Answered {
    return this.#send(
      res,
      status,
      { message: message ?? MESSAGES[status] ?? "Error", documentation_url: DOCS, status: String(status) },
      headers,
    );
  }

  #send(res: ServerResponse, status: number, json?: unknown, headers: Record<string, string> = {}): Answered {
    const reset = Math.floor(Date.now() / 1000) + 3600;
    const common: Record<string, string> = {
      "x-github-media-type": "github.v3; format=json",
      "x-github-api-version-selected": "2022-11-28",
      "x-github-request-id": randomBytes(8).toString("hex").toUpperCase(),
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4999",
      "x-ratelimit-reset": String(reset),
      "x-ratelimit-used": "1",
      "x-ratelimit-resource": "core",
    };
    if (status === 204 || json === undefined) {
      res.writeHead(status, { ...common, ...headers });
      res.end();
      return true;
    }
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...common, ...headers });
    res.end(JSON.stringify(json));
    return true;
  }
}
