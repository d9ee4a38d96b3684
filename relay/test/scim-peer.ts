import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import SCIMMY from "scimmy";
import type { PeerRequest } from "./peers.ts";

/**
 * A real SCIM 2.0 service provider on loopback, for the SCIM provider's
 * tests: SCIMMY does the protocol (filters, attribute selection, PatchOp,
 * list and error messages); this file only keeps the data, routes HTTP to
 * SCIMMY's resources, and adds what tests need (a bearer token, a record of
 * every request, injected failures and hangs).
 *
 * SCIMMY's resource handlers are module-global, so they are declared once
 * per process and find the peer's own store in the `ctx` SCIMMY passes
 * through; two peers in one process keep separate data.
 */

type Meta = { created: Date; lastModified: Date };
type StoredUser = Omit<SCIMMY.Schemas.User, "schemas" | "meta"> & { meta: Meta };
type StoredGroup = Omit<SCIMMY.Schemas.Group, "schemas" | "meta"> & { meta: Meta };

interface ScimStore {
  users: Map<string, StoredUser>;
  groups: Map<string, StoredGroup>;
}

/** SCIMMY's JSON view of a schema instance: its attributes as plain data, without the server-owned ones. */
function attributesOf<T extends object>(instance: T): Omit<T, "id" | "schemas" | "meta"> {
  const { id: _id, schemas: _schemas, meta: _meta, ...rest } = JSON.parse(JSON.stringify(instance)) as T & Record<string, unknown>;
  return rest;
}

function notFound(kind: string, id: string | undefined): SCIMMY.Types.SCIMError {
  return new SCIMMY.Types.Error(404, "", `${kind} ${id} not found`);
}

function declareResources(): void {
  if (SCIMMY.Resources.declared(SCIMMY.Resources.User)) return;

  SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .egress((resource, ctx: ScimStore) => {
      if (resource.id) return ctx.users.get(resource.id) ?? throwError(notFound("User", resource.id));
      const all = [...ctx.users.values()];
      return resource.filter ? resource.filter.match(all) : all;
    })
    // A write with an id is a full replacement (PUT, and the end of SCIMMY's PATCH), so nothing is merged.
    .ingress((resource, instance, ctx: ScimStore) => {
      const data = attributesOf(instance);
      const clash = [...ctx.users.values()].find((u) => u.userName.toLowerCase() === data.userName.toLowerCase() && u.id !== resource.id);
      if (clash) throw new SCIMMY.Types.Error(409, "uniqueness", `userName ${data.userName} is taken`);
      const old = resource.id ? (ctx.users.get(resource.id) ?? throwError(notFound("User", resource.id))) : undefined;
      const user: StoredUser = {
        ...data,
        id: old?.id ?? randomUUID(),
        meta: { created: old?.meta.created ?? new Date(), lastModified: new Date() },
      };
      ctx.users.set(user.id, user);
      return user;
    })
    .degress((resource, ctx: ScimStore) => {
      if (!resource.id || !ctx.users.delete(resource.id)) throw notFound("User", resource.id);
      for (const g of ctx.groups.values()) g.members = g.members?.filter((m) => m.value !== resource.id);
    });

  SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .egress((resource, ctx: ScimStore) => {
      if (resource.id) return ctx.groups.get(resource.id) ?? throwError(notFound("Group", resource.id));
      const all = [...ctx.groups.values()];
      return resource.filter ? resource.filter.match(all) : all;
    })
    .ingress((resource, instance, ctx: ScimStore) => {
      const data = attributesOf(instance);
      // SCIMMY's PatchOp "add" appends even a value already present; membership is a set.
      const members = [...new Map((data.members ?? []).map((m) => [m.value, m])).values()];
      const unknown = members.find((m) => !ctx.users.has(m.value) && !ctx.groups.has(m.value));
      if (unknown) throw new SCIMMY.Types.Error(400, "invalidValue", `member ${unknown.value} is neither a User nor a Group`);
      const old = resource.id ? (ctx.groups.get(resource.id) ?? throwError(notFound("Group", resource.id))) : undefined;
      const group: StoredGroup = {
        ...data,
        ...(members.length ? { members } : { members: undefined }),
        id: old?.id ?? randomUUID(),
        meta: { created: old?.meta.created ?? new Date(), lastModified: new Date() },
      };
      ctx.groups.set(group.id, group);
      return group;
    })
    .degress((resource, ctx: ScimStore) => {
      if (!resource.id || !ctx.groups.delete(resource.id)) throw notFound("Group", resource.id);
    });
}

function throwError(err: Error): never {
  throw err;
}

/**
 * SCIMMY 1.3.5's filter lexer ends a string value at the first `"` even
 * after a `\`, and never unescapes, so RFC 7644's JSON-string values with
 * `"` or `\` in them cannot be parsed. Such filters are parsed with their
 * string values masked, and the decoded values put back into SCIMMY's
 * expression objects (which it accepts as a filter as they are).
 */
export function parseScimFilter(expression: string): SCIMMY.Types.Filter {
  if (!expression.includes("\\")) return new SCIMMY.Types.Filter(expression);
  const literals: string[] = [];
  const masked = expression.replace(/"(?:[^"\\]|\\.)*"/g, (literal) => {
    literals.push(JSON.parse(literal) as string);
    return `"@${literals.length - 1}@"`;
  });
  const restore = (node: unknown): unknown => {
    if (typeof node === "string") {
      const m = /^@(\d+)@$/.exec(node);
      return m ? literals[Number(m[1])] : node;
    }
    if (Array.isArray(node)) return node.map(restore);
    if (node && typeof node === "object") return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, restore(v)]));
    return node;
  };
  return new SCIMMY.Types.Filter(restore(JSON.parse(JSON.stringify(new SCIMMY.Types.Filter(masked)))));
}

/** SCIMMY's ErrorResponse only takes RFC 7644 §3.12's statuses; others (429, 503) get its shape with the status put in. */
const SCIM_ERROR_STATUSES = new Set([307, 308, 400, 401, 403, 404, 409, 412, 413, 500, 501]);
function errorBody(status: number, detail: string): SCIMMY.Messages.ErrorResponse {
  if (SCIM_ERROR_STATUSES.has(status))
    return new SCIMMY.Messages.Error({ status: status as SCIMMY.Messages.ErrorResponse.ValidStatusCodes, detail });
  return Object.assign(new SCIMMY.Messages.Error({ status: 500, detail }), { status: String(status) as unknown as 500 });
}

type Answer = { status: number; json?: unknown; headers?: Record<string, string> };
const ROUTE = /^\/scim\/v2\/(Users|Groups)(?:\/([^/]+))?\/?$/;

export class ScimPeer {
  readonly requests: PeerRequest[] = [];
  url = "";
  #store: ScimStore = { users: new Map(), groups: new Map() };
  #token: string;
  #server: Server;
  #fail: { left: number; status: number; headers: Record<string, string> } = { left: 0, status: 500, headers: {} };
  #hang = 0;
  #hung: ServerResponse[] = [];
  #patches = new Map<string, number>();

  constructor(options: { token: string }) {
    declareResources();
    this.#token = options.token;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const record: PeerRequest = {
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        this.requests.push(record);
        if (this.#hang > 0) {
          this.#hang--;
          this.#hung.push(res);
          return;
        }
        this.#answer(req, record).then(
          (a) => send(res, a),
          (err: unknown) => send(res, { status: 500, json: errorBody(500, err instanceof Error ? err.message : String(err)) }),
        );
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.#server.listen(0, "127.0.0.1", r));
    const addr = this.#server.address();
    if (!addr || typeof addr !== "object") throw new Error("no address");
    this.url = `http://127.0.0.1:${addr.port}/scim/v2`;
  }

  stop(): Promise<void> {
    for (const res of this.#hung.splice(0)) res.destroy();
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }

  addUser(userName: string, displayName?: string): string {
    const id = randomUUID();
    const now = new Date();
    this.#store.users.set(id, {
      id,
      userName,
      ...(displayName ? { displayName } : {}),
      active: true,
      meta: { created: now, lastModified: now },
    });
    return id;
  }

  addGroup(displayName: string): string {
    const id = randomUUID();
    const now = new Date();
    this.#store.groups.set(id, { id, displayName, meta: { created: now, lastModified: now } });
    return id;
  }

  isMember(groupIdOrDisplayName: string, userName: string): boolean {
    const group =
      this.#store.groups.get(groupIdOrDisplayName) ?? [...this.#store.groups.values()].find((g) => g.displayName === groupIdOrDisplayName);
    const user = [...this.#store.users.values()].find((u) => u.userName === userName);
    return !!group && !!user && (group.members ?? []).some((m) => m.value === user.id);
  }

  /** Answer the next `n` requests with `status` and a SCIM error body (e.g. 503, or 429 with `{ "retry-after": "7" }`). */
  failNext(n: number, status: number, headers: Record<string, string> = {}): void {
    this.#fail = { left: n, status, headers };
  }

  /** Never answer the next `n` requests, so the caller's timeout fires. */
  hangNext(n: number): void {
    this.#hang = n;
  }

  /** PATCHes that changed a group's membership, counted by their Idempotency-Key header. */
  successfulPatches(): Map<string, number> {
    return new Map(this.#patches);
  }

  async #answer(req: IncomingMessage, record: PeerRequest): Promise<Answer> {
    if (this.#fail.left > 0) {
      this.#fail.left--;
      return { status: this.#fail.status, json: errorBody(this.#fail.status, "injected failure"), headers: this.#fail.headers };
    }
    if (req.headers.authorization !== `Bearer ${this.#token}`)
      return { status: 401, json: errorBody(401, "bearer token missing or wrong") };

    const url = new URL(record.path, "http://peer");
    const route = ROUTE.exec(url.pathname);
    if (!route) return { status: 404, json: errorBody(404, `no endpoint ${url.pathname}`) };
    const [, endpoint, rawId] = route;
    const id = rawId === undefined ? undefined : decodeURIComponent(rawId);
    const Resource = endpoint === "Users" ? SCIMMY.Resources.User : SCIMMY.Resources.Group;

    try {
      const params = queryParams(url.searchParams);
      const resource = new Resource(id, params);
      const filter = url.searchParams.get("filter");
      if (filter !== null && id === undefined) resource.filter = parseFilter400(filter);
      // SCIMMY keeps the base of meta.location globally; set it to this peer's for this call. The handlers
      // never wait on I/O, so no other request runs before SCIMMY has finished with it.
      SCIMMY.Resources.User.basepath(this.url);
      SCIMMY.Resources.Group.basepath(this.url);

      switch (`${req.method} ${id === undefined ? "collection" : "item"}`) {
        case "GET collection":
        case "GET item":
          return { status: 200, json: await resource.read(this.#store) };
        case "POST collection": {
          const created = await resource.write(parseBody(record.body), this.#store);
          return { status: 201, json: created, headers: { location: `${this.url}/${endpoint}/${created.id}` } };
        }
        case "PATCH item": {
          const before = membersOf(this.#store, endpoint, id);
          const patched = await resource.patch(parseBody(record.body) as Parameters<typeof resource.patch>[0], this.#store);
          const key = req.headers["idempotency-key"];
          if (typeof key === "string" && membersOf(this.#store, endpoint, id) !== before)
            this.#patches.set(key, (this.#patches.get(key) ?? 0) + 1);
          // SCIMMY answers undefined when the patch changed nothing; RFC 7644 §3.5.2 allows 204 then.
          return patched ? { status: 200, json: patched } : { status: 204 };
        }
        case "DELETE item":
          await resource.dispose(this.#store);
          return { status: 204 };
        default:
          return { status: 501, json: errorBody(501, `${req.method} is not supported on ${url.pathname}`) };
      }
    } catch (err) {
      if (err instanceof SCIMMY.Types.Error) {
        const body = new SCIMMY.Messages.Error(err);
        return { status: Number(body.status), json: body };
      }
      throw err;
    }
  }
}

/** The member ids of a group, as a comparable string (null for users or a missing group). */
function membersOf(store: ScimStore, endpoint: string | undefined, id: string | undefined): string | null {
  const group = endpoint === "Groups" && id ? store.groups.get(id) : undefined;
  return group ? JSON.stringify((group.members ?? []).map((m) => m.value).sort()) : null;
}

function parseFilter400(filter: string): SCIMMY.Types.Filter {
  try {
    return parseScimFilter(filter);
  } catch (err) {
    throw new SCIMMY.Types.Error(400, "invalidFilter", err instanceof Error ? err.message : "invalid filter");
  }
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new SCIMMY.Types.Error(400, "invalidSyntax", "request body is not JSON");
  }
}

/** The query parameters SCIMMY's Resource constructor reads; it wants numbers as numbers. The filter is set apart (see parseScimFilter). */
function queryParams(q: URLSearchParams): ConstructorParameters<typeof SCIMMY.Types.Resource>[1] & object {
  const out: ConstructorParameters<typeof SCIMMY.Types.Resource>[1] & object = {};
  for (const key of ["attributes", "excludedAttributes", "sortBy", "sortOrder"] as const) {
    const v = q.get(key);
    if (v !== null) out[key] = v;
  }
  for (const key of ["startIndex", "count"] as const) {
    const v = q.get(key);
    if (v !== null) out[key] = Number(v);
  }
  return out;
}

function send(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, { ...(answer.json === undefined ? {} : { "content-type": "application/scim+json" }), ...answer.headers });
  res.end(answer.json === undefined ? undefined : JSON.stringify(answer.json));
}
