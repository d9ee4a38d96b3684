import { z } from "zod";
import { type Provider, type ProviderCall, ProviderError, type ProviderFactory, type ProviderResult } from "./types.ts";
import { networkReason } from "./webhook.ts";

/**
 * The SCIM 2.0 provider (RFC 7643/7644): a grant adds the person's SCIM user
 * to a SCIM group with a PatchOp, a revoke removes them again. The person is
 * found by filtering Users on one attribute (userName by default) equal to
 * their email; the group is named by id, or by displayName and looked up.
 * Membership is a set, so both directions are idempotent at the target: a
 * retried grant finds the member already there, a retried revoke finds them
 * gone, and either counts as done.
 */
export interface ScimConfig {
  id: string;
  type: "scim";
  /** Base URL of the SCIM service, e.g. `https://api.example.com/scim/v2`. */
  url: string;
  /** Bearer token (resolved from its `${env:…}`/`${file:…}` reference). */
  token: string;
  /** The User attribute matched against the person's email. */
  userAttribute?: string;
  /** Whether `target.group` is a group id or a displayName to look up. */
  groupBy?: "id" | "displayName";
  timeout?: string;
}

export const PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SCIM_JSON = "application/scim+json";

/**
 * A filter's comparison value. RFC 7644 §3.4.2.2 makes compValue a JSON
 * string, so JSON's own quoting is exactly the grammar: `"` and `\` are
 * escaped (and control characters), nothing else is touched.
 */
export function scimFilterValue(value: string): string {
  return JSON.stringify(value);
}

/** `attribute eq "value"`, the only filter this provider sends. */
export function eqFilter(attribute: string, value: string): string {
  return `${attribute} eq ${scimFilterValue(value)}`;
}

export interface PatchBody {
  schemas: [typeof PATCH_OP_SCHEMA];
  Operations: { op: "add" | "remove"; path: string; value?: { value: string }[] }[];
}

export function addMemberPatch(userId: string): PatchBody {
  return { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: "add", path: "members", value: [{ value: userId }] }] };
}

/** Removal by a value filter on the path (RFC 7644 §3.5.2.2), which every server must accept; a `value` body on remove is not. */
export function removeMemberPatch(userId: string): PatchBody {
  return { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: "remove", path: `members[${eqFilter("value", userId)}]` }] };
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; null when absent or unusable. */
export function retryAfterMs(header: string | null, now: Date = new Date()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds > 0 ? Math.ceil(seconds * 1000) : null;
  const at = Date.parse(header);
  return Number.isFinite(at) && at > now.getTime() ? at - now.getTime() : null;
}

/** The `detail` of a SCIM error body (RFC 7644 §3.12), if the body is one. */
export function scimErrorDetail(body: string): { detail: string | null; scimType: string | null } {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object") {
      const { detail, scimType } = parsed as { detail?: unknown; scimType?: unknown };
      return { detail: typeof detail === "string" ? detail : null, scimType: typeof scimType === "string" ? scimType : null };
    }
  } catch {
    // Not JSON: the caller falls back to the HTTP status alone.
  }
  return { detail: null, scimType: null };
}

/** An attribute path as RFC 7644 allows it in a filter (optionally URN-qualified, one sub-attribute). */
const ATTRIBUTE_PATH = /^(urn:[A-Za-z0-9.:_-]+:)?[A-Za-z][\w$-]*(\.[A-Za-z][\w$-]*)?$/;

interface ScimAnswer {
  status: number;
  headers: Headers;
  body: string;
}

interface ListResponse {
  totalResults?: number;
  Resources?: { id?: unknown; members?: unknown }[];
}

export function scimProviderFor(config: ScimConfig): Provider {
  const base = config.url.replace(/\/+$/, "");
  const host = new URL(base).host;
  const userAttribute = config.userAttribute ?? "userName";
  const groupBy = config.groupBy ?? "id";
  const label = `scim ${host}`;

  // Never let the token into a message, even if a server echoes it back.
  const clean = (text: string) => (config.token ? text.split(config.token).join("***") : text).slice(0, 300);

  const send = async (
    call: Pick<ProviderCall, "signal" | "idempotencyKey">,
    method: string,
    path: string,
    body?: PatchBody,
  ): Promise<ScimAnswer> => {
    const headers: Record<string, string> = {
      accept: SCIM_JSON,
      authorization: `Bearer ${config.token}`,
      "user-agent": "Gatehouse-Provisioning/1",
    };
    if (body) {
      headers["content-type"] = SCIM_JSON;
      // Harmless to SCIM servers; lets a proxy or a stand-in see retries of one effect.
      headers["idempotency-key"] = call.idempotencyKey;
    }
    try {
      const res = await fetch(`${base}${path}`, {
        method,
        headers,
        body: body ? JSON.stringify(body) : null,
        signal: call.signal,
        // A redirect would carry the bearer token somewhere the entry does not name.
        redirect: "manual",
      });
      return { status: res.status, headers: res.headers, body: await res.text() };
    } catch (err) {
      throw new ProviderError(`${label}: ${clean(networkReason(err))}`, false);
    }
  };

  /** Turns a non-2xx answer into the error the effect worker acts on. */
  const failure = (what: string, answer: ScimAnswer): ProviderError => {
    const { status } = answer;
    if (status === 401 || status === 403)
      return new ProviderError(`${label}: ${what}: HTTP ${status}, the SCIM service refused the credentials (check the token)`, true);
    if (status === 429)
      return new ProviderError(`${label}: ${what}: HTTP 429, rate limited`, false, retryAfterMs(answer.headers.get("retry-after")));
    const { detail } = scimErrorDetail(answer.body);
    const why = detail ? `: ${clean(detail)}` : "";
    if (status >= 300 && status < 400) return new ProviderError(`${label}: ${what}: HTTP ${status} redirect; check the url`, true);
    const permanent = status >= 400 && status < 500 && status !== 408;
    return new ProviderError(
      `${label}: ${what}: HTTP ${status}${why}`,
      permanent,
      permanent ? null : retryAfterMs(answer.headers.get("retry-after")),
    );
  };

  const parseJson = <T>(what: string, answer: ScimAnswer): T => {
    try {
      return JSON.parse(answer.body) as T;
    } catch {
      // A 2xx that is not JSON is a broken proxy or server, maybe briefly.
      throw new ProviderError(`${label}: ${what}: the answer is not JSON`, false);
    }
  };

  /** The id of the one resource an `eq` filter finds, null when none. */
  const findOne = async (
    call: ProviderCall | Omit<ProviderCall, "action">,
    endpoint: "Users" | "Groups",
    attribute: string,
    value: string,
  ) => {
    const what = `looking up ${endpoint === "Users" ? "user" : "group"} ${value}`;
    const answer = await send(call, "GET", `/${endpoint}?filter=${encodeURIComponent(eqFilter(attribute, value))}`);
    if (answer.status !== 200) throw failure(what, answer);
    const list = parseJson<ListResponse>(what, answer);
    const found = list.Resources ?? [];
    if (found.length > 1) throw new ProviderError(`${label}: ${what}: ${found.length} match ${attribute}; expected one`, true);
    const id = found[0]?.id;
    if (found.length === 1 && typeof id !== "string") throw new ProviderError(`${label}: ${what}: the match has no id`, false);
    return typeof id === "string" ? id : null;
  };

  const userId = (call: ProviderCall | Omit<ProviderCall, "action">) => findOne(call, "Users", userAttribute, call.user.email);
  const groupId = async (call: ProviderCall | Omit<ProviderCall, "action">) => {
    const group = call.target["group"] ?? "";
    if (!group) throw new ProviderError(`${label}: the flow's grant.target has no group`, true);
    return groupBy === "displayName" ? findOne(call, "Groups", "displayName", group) : group;
  };

  const groupPath = (id: string) => `/Groups/${encodeURIComponent(id)}`;

  const isMember = async (call: ProviderCall | Omit<ProviderCall, "action">, group: string, user: string) => {
    const what = `reading group ${group}`;
    const answer = await send(call, "GET", `${groupPath(group)}?attributes=members`);
    if (answer.status === 404) return null;
    if (answer.status !== 200) throw failure(what, answer);
    const members = parseJson<{ members?: unknown }>(what, answer).members;
    return Array.isArray(members) && members.some((m) => (m as { value?: unknown } | null)?.value === user);
  };

  return {
    type: "scim",

    async grant(call): Promise<ProviderResult> {
      const user = await userId(call);
      if (!user) throw new ProviderError(`${label}: no SCIM user has ${userAttribute} ${call.user.email}`, true);
      const group = await groupId(call);
      if (!group) throw new ProviderError(`${label}: no SCIM group has displayName ${call.target["group"]}`, true);
      const answer = await send(call, "PATCH", groupPath(group), addMemberPatch(user));
      if (answer.status === 200 || answer.status === 204) return { status: "done" };
      if (answer.status === 404) throw new ProviderError(`${label}: no SCIM group ${group}`, true);
      // Some servers refuse a member that is already there; a retry after a lost answer must still count as done.
      if (answer.status === 409 && (await isMember(call, group, user))) return { status: "done", detail: "already a member" };
      throw failure(`adding ${call.user.email} to group ${group}`, answer);
    },

    async revoke(call): Promise<ProviderResult> {
      const user = await userId(call);
      if (!user) return { status: "done", detail: "no such user at the target; nothing to remove" };
      const group = await groupId(call);
      if (!group) return { status: "done", detail: "no such group at the target; nothing to remove" };
      const answer = await send(call, "PATCH", groupPath(group), removeMemberPatch(user));
      if (answer.status === 200 || answer.status === 204) return { status: "done" };
      if (answer.status === 404) return { status: "done", detail: "no such group at the target; nothing to remove" };
      // RFC 7644 lets a server answer noTarget when the member filter matches nothing: already removed.
      if (answer.status === 400 && scimErrorDetail(answer.body).scimType === "noTarget") return { status: "done", detail: "not a member" };
      throw failure(`removing ${call.user.email} from group ${group}`, answer);
    },

    async check(call) {
      const user = await userId(call);
      if (!user) return "absent";
      const group = await groupId(call);
      if (!group) return "absent";
      return (await isMember(call, group, user)) ? "present" : "absent";
    },
  };
}

export const scimProvider: ProviderFactory<ScimConfig> = {
  type: "scim",
  fields: {
    url: z.url({ protocol: /^https?$/, error: "expected the http(s) base URL of the SCIM service, e.g. https://api.example.com/scim/v2" }),
    token: z.string().min(1, "expected a bearer token"),
    userAttribute: z.string().regex(ATTRIBUTE_PATH, "expected a SCIM attribute path such as userName or emails.value").default("userName"),
    groupBy: z.enum(["id", "displayName"]).default("id"),
  },
  secrets: ["token"],
  target: { required: ["group"], optional: [] },
  defaultTimeoutMs: 10_000,
  create: (config) => scimProviderFor(config),
};
