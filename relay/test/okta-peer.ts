import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { closeServer, listenOnLoopback, type PeerRequest } from "./peers.ts";

/**
 * A stand-in for the Okta Management API on loopback, for the endpoints the
 * Okta provider uses: user lookup, group membership and a user's groups.
 * Same paths, status codes and JSON shapes as an Okta org (errors as
 * `{errorCode, errorSummary, errorLink, errorId, errorCauses}`), so the real
 * SDK (@okta/okta-sdk-nodejs) talks to it unchanged. It keeps users and
 * groups, records every request, and can fail or hang the next requests.
 */

export interface OktaUserSeed {
  login: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  status?: "ACTIVE" | "STAGED" | "PROVISIONED" | "SUSPENDED" | "DEPROVISIONED" | "LOCKED_OUT" | "PASSWORD_EXPIRED" | "RECOVERY";
}

interface User extends Required<OktaUserSeed> {
  id: string;
  created: string;
}

interface Group {
  id: string;
  name: string;
  description: string;
  created: string;
  members: Set<string>;
}

/** What a route returns once it has answered: a route that forgets to answer does not compile. */
type Answered = true;

type Fault = { kind: "fail"; status: number; headers: Record<string, string> } | { kind: "hang" };

/** Okta's codes and summaries for the statuses a test injects. */
const ERRORS: Record<number, [string, string]> = {
  400: ["E0000001", "Api validation failed"],
  401: ["E0000011", "Invalid token provided"],
  403: ["E0000006", "You do not have permission to perform the requested action"],
  404: ["E0000007", "Not found: Resource not found"],
  429: ["E0000047", "API call exceeded rate limit due to too many requests."],
  500: ["E0000009", "Internal Server Error"],
  503: ["E0000010", "Service is in read only mode"],
};

const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** Okta ids: a three-letter kind (`00u` user, `00g` group) and 17 more characters. */
function oktaId(prefix: string): string {
  return prefix + Array.from(randomBytes(17), (b) => ALNUM[b % ALNUM.length]).join("");
}

export class OktaPeer {
  readonly requests: PeerRequest[] = [];
  url = "";
  /** Hung requests whose client gave up and closed the connection (a real abort, not a lost race). */
  abandoned = 0;
  /** The API token the stand-in accepts (`Authorization: SSWS …`). */
  readonly token: string;
  #server: Server;
  #users = new Map<string, User>();
  #groups = new Map<string, Group>();
  /** Queued answers for the next requests; null: answer normally. */
  #faults: (Fault | null)[] = [];

  constructor(token = `00${randomBytes(20).toString("base64url")}`) {
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

  /** Adds a user; returns its id (`00u…`). */
  addUser(seed: OktaUserSeed): string {
    const [first = "", rest = ""] = seed.login.split("@")[0]?.split(".") ?? [];
    const user: User = {
      id: oktaId("00u"),
      created: new Date().toISOString(),
      login: seed.login,
      email: seed.email ?? seed.login,
      firstName: seed.firstName ?? (first.charAt(0).toUpperCase() + first.slice(1) || "Okta"),
      lastName: seed.lastName ?? (rest.charAt(0).toUpperCase() + rest.slice(1) || "User"),
      status: seed.status ?? "ACTIVE",
    };
    this.#users.set(user.id, user);
    return user.id;
  }

  /** Adds an OKTA_GROUP; returns its id (`00g…`). */
  addGroup(name: string, members: string[] = [], description = ""): string {
    const group: Group = { id: oktaId("00g"), name, description, created: new Date().toISOString(), members: new Set() };
    this.#groups.set(group.id, group);
    for (const m of members) this.addToGroup(group.id, m);
    return group.id;
  }

  addToGroup(groupId: string, userIdOrLogin: string): void {
    const user = this.#user(userIdOrLogin);
    const group = this.#groups.get(groupId);
    if (!user || !group) throw new Error(`no user ${userIdOrLogin} or group ${groupId}`);
    group.members.add(user.id);
  }

  // --- state ---

  isMember(groupId: string, userIdOrLogin: string): boolean {
    const user = this.#user(userIdOrLogin);
    return !!user && (this.#groups.get(groupId)?.members.has(user.id) ?? false);
  }

  userId(login: string): string | null {
    return this.#user(login)?.id ?? null;
  }

  // --- faults ---

  /** The next `n` requests are answered with `status` (Okta's error body) and `headers`, changing nothing. */
  failNext(n: number, status: number, headers: Record<string, string> = {}): void {
    for (let i = 0; i < n; i++) this.#faults.push({ kind: "fail", status, headers });
  }

  /** The next `n` requests (after `after` answered normally) are never answered, until the client gives up or the peer stops. */
  hangNext(n: number, after = 0): void {
    for (let i = 0; i < after; i++) this.#faults.push(null);
    for (let i = 0; i < n; i++) this.#faults.push({ kind: "hang" });
  }

  /** Each request as `METHOD path`. */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  // --- the API ---

  /** By id, login, or login short name (the part before @) when unambiguous, as Okta resolves `{idOrLogin}`. */
  #user(idOrLogin: string): User | undefined {
    const byId = this.#users.get(idOrLogin);
    if (byId) return byId;
    const all = [...this.#users.values()];
    const byLogin = all.find((u) => u.login.toLowerCase() === idOrLogin.toLowerCase());
    if (byLogin) return byLogin;
    const short = all.filter((u) => u.login.split("@")[0]?.toLowerCase() === idOrLogin.toLowerCase());
    return short.length === 1 ? short[0] : undefined;
  }

  #handle(req: IncomingMessage, res: ServerResponse, body: string): Answered | undefined {
    const record: PeerRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body };
    this.requests.push(record);
    const fault = this.#faults.shift();
    if (fault?.kind === "hang") {
      res.on("close", () => this.abandoned++);
      return;
    }
    if (fault?.kind === "fail") return this.#error(res, fault.status, undefined, fault.headers);

    const auth = /^SSWS (.+)$/.exec(req.headers.authorization ?? "");
    if (!auth || auth[1] !== this.token) return this.#error(res, 401);

    const url = new URL(record.path, this.url);
    const parts = url.pathname.split("/").slice(1).map(decodeURIComponent);
    if (parts[0] !== "api" || parts[1] !== "v1") return this.#error(res, 404, `Not found: Resource not found: ${url.pathname} (Page)`);
    const [, , kind, id = "", sub, subId] = parts;
    const method = record.method;

    // GET /api/v1/users/{idOrLogin}
    if (kind === "users" && parts.length === 4 && method === "GET") {
      const user = this.#user(id);
      return user ? this.#send(res, 200, this.#userJson(user)) : this.#notFound(res, id, "User");
    }
    // GET /api/v1/users/{id}/groups
    if (kind === "users" && sub === "groups" && parts.length === 5 && method === "GET") {
      const user = this.#user(id);
      if (!user) return this.#notFound(res, id, "User");
      const groups = [...this.#groups.values()].filter((g) => g.members.has(user.id)).map((g) => this.#groupJson(g));
      return this.#send(res, 200, groups);
    }
    // PUT|DELETE /api/v1/groups/{groupId}/users/{userId}
    if (kind === "groups" && sub === "users" && subId && parts.length === 6 && (method === "PUT" || method === "DELETE")) {
      const group = this.#groups.get(id);
      if (!group) return this.#notFound(res, id, "UserGroup");
      // Okta takes the user's id here, not a login.
      const user = this.#users.get(subId);
      if (!user) return this.#notFound(res, subId, "User");
      if (method === "PUT") group.members.add(user.id);
      else group.members.delete(user.id);
      return this.#send(res, 204);
    }
    return this.#error(res, 404, `Not found: Resource not found: ${url.pathname} (Page)`);
  }

  #userJson(u: User) {
    return {
      id: u.id,
      status: u.status,
      created: u.created,
      activated: u.created,
      statusChanged: u.created,
      lastLogin: null,
      lastUpdated: u.created,
      passwordChanged: u.created,
      type: { id: "oty1a2b3c4d5e6f7g8h9" },
      profile: { firstName: u.firstName, lastName: u.lastName, mobilePhone: null, secondEmail: null, login: u.login, email: u.email },
      credentials: {
        password: {},
        recovery_question: { question: "Who's a major player in the cowboy scene?" },
        provider: { type: "OKTA", name: "OKTA" },
      },
      _links: { self: { href: `${this.url}/api/v1/users/${u.id}` } },
    };
  }

  #groupJson(g: Group) {
    return {
      id: g.id,
      created: g.created,
      lastUpdated: g.created,
      lastMembershipUpdated: new Date().toISOString(),
      objectClass: ["okta:user_group"],
      type: "OKTA_GROUP",
      profile: { name: g.name, description: g.description },
      _links: {
        logo: [{ name: "medium", href: "https://op1static.oktacdn.com/assets/img/logos/groups/okta-medium.png", type: "image/png" }],
        users: { href: `${this.url}/api/v1/groups/${g.id}/users` },
        apps: { href: `${this.url}/api/v1/groups/${g.id}/apps` },
      },
    };
  }

  #notFound(res: ServerResponse, id: string, type: string): Answered {
    return this.#error(res, 404, `Not found: Resource not found: ${id} (${type})`);
  }

  #error(res: ServerResponse, status: number, summary?: string, headers: Record<string, string> = {}): Answered {
    const [code, defaultSummary] = ERRORS[status] ?? ["E0000009", "Internal Server Error"];
    return this.#send(
      res,
      status,
      {
        errorCode: code,
        errorSummary: summary ?? defaultSummary,
        errorLink: code,
        errorId: `oae${randomBytes(11).toString("base64url")}`,
        errorCauses: [],
      },
      headers,
    );
  }

  #send(res: ServerResponse, status: number, json?: unknown, headers: Record<string, string> = {}): Answered {
    const common: Record<string, string> = {
      "x-okta-request-id": randomBytes(12).toString("base64url"),
      "x-rate-limit-limit": "600",
      "x-rate-limit-remaining": "599",
      "x-rate-limit-reset": String(Math.floor(Date.now() / 1000) + 60),
    };
    if (status === 204 || json === undefined) {
      res.writeHead(status, { ...common, ...headers });
      res.end();
      return true;
    }
    res.writeHead(status, { "content-type": "application/json", ...common, ...headers });
    res.end(JSON.stringify(json));
    return true;
  }
}
