import { AsyncLocalStorage } from "node:async_hooks";
import type okta from "@okta/okta-sdk-nodejs";
import { z } from "zod";
import { type Provider, type ProviderCall, ProviderError, type ProviderFactory, type ProviderResult } from "./types.ts";

/**
 * Okta provider: a grant adds the person's Okta user to an Okta group (which
 * in turn assigns apps), through the official SDK (@okta/okta-sdk-nodejs)
 * with an SSWS API token. Group membership changes take effect at once, so
 * every answer is `done`.
 */

export interface OktaConfig {
  id: string;
  type: "okta";
  /** The org's address, e.g. `https://acme.okta.com`. */
  orgUrl: string;
  token: string;
}

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

/**
 * The SDK itself (8.x) no longer checks the org URL (older versions did, with
 * a `testing.disableHttpsCheck` escape hatch), so the check lives here: https,
 * or http on loopback only (the test stand-in), so the token never crosses a
 * network in clear. No path: the SDK appends `/api/v1/…` to it.
 */
const orgUrlSchema = z
  .url()
  .refine((u) => {
    const url = new URL(u);
    return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
  }, "orgUrl must be https (http only on loopback)")
  .refine((u) => new URL(u).pathname.replace(/\/+$/, "") === "", "orgUrl is the org's address without a path, e.g. https://acme.okta.com")
  .transform((u) => u.replace(/\/+$/, ""));

/** A group id (`00g…`), not its name: Okta's group endpoints take ids only. Templates are checked when filled in. */
export function targetProblem(target: Record<string, string | undefined>): string | null {
  const group = target.group;
  if (!group || group.includes("{{")) return null;
  return /^[0-9A-Za-z]{10,}$/.test(group) ? null : `group must be an Okta group id (like 00g1emaKYZTWRYYRRTSK), not "${group}"`;
}

/**
 * The SDK cannot take an AbortSignal per call: its API methods have no such
 * parameter. Its request executor hands the request object straight to
 * node-fetch, which does honour `signal`, so the call's signal travels to it
 * in an AsyncLocalStorage and this executor adds it to every request of that
 * call (the user lookup, the change, each page of a list). A timeout thus
 * really closes the socket instead of leaving a request hanging behind a
 * lost race. It extends the plain RequestExecutor rather than the SDK's
 * default one, which retries 429s itself: the relay's effect ledger retries.
 */
const callSignal = new AsyncLocalStorage<AbortSignal>();

type ExecutorRequest = Parameters<okta.RequestExecutor["fetch"]>[0];

type OktaSdk = typeof okta;
let sdk: Promise<OktaSdk> | undefined;
/**
 * The SDK is loaded at the first Okta call, not with the relay: it takes most
 * of a second to import, which every CLI command and relay start would pay.
 */
const loadSdk = (): Promise<OktaSdk> => {
  sdk ??= import("@okta/okta-sdk-nodejs").then((m) => m.default);
  return sdk;
};

function signalExecutor(sdk: OktaSdk): okta.RequestExecutor {
  class SignalRequestExecutor extends sdk.RequestExecutor {
    override fetch(request: ExecutorRequest): ReturnType<okta.RequestExecutor["fetch"]> {
      const signal = callSignal.getStore();
      return super.fetch(signal ? Object.assign({}, request, { signal }) : request);
    }
  }
  return new SignalRequestExecutor();
}

type Headers = { get(name: string): string | null } | Record<string, string | undefined>;

function header(headers: Headers | undefined, name: string): string | null {
  if (!headers) return null;
  if (typeof headers.get === "function") return (headers as { get(name: string): string | null }).get(name);
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === "string" ? value : null;
}

/**
 * What the SDK throws for an HTTP answer: OktaApiError (JSON body:
 * errorCode, errorSummary, errorCauses), HttpError (other bodies), both with
 * `status` and node-fetch headers; the generated layer's ApiException has
 * `code` and plain headers. Matched by shape, as they share no base class.
 */
interface OktaFailure {
  status: number;
  headers: Headers | undefined;
  said: string;
}

function oktaFailure(err: unknown): OktaFailure | null {
  if (typeof err !== "object" || err === null) return null;
  const e = err as Record<string, unknown>;
  const status = typeof e.status === "number" ? e.status : typeof e.code === "number" ? e.code : Number.NaN;
  if (!Number.isInteger(status) || status < 100) return null;
  const causes = Array.isArray(e.errorCauses)
    ? e.errorCauses.map((c: unknown) => (typeof c === "object" && c && "errorSummary" in c ? String(c.errorSummary) : "")).filter(Boolean)
    : [];
  const said =
    typeof e.errorSummary === "string"
      ? `${e.errorCode ? `${String(e.errorCode)} ` : ""}${e.errorSummary}${causes.length ? ` (${causes.join("; ")})` : ""}`
      : `HTTP ${status}`;
  return { status, headers: e.headers as Headers | undefined, said };
}

const isNotFound = (err: unknown) => oktaFailure(err)?.status === 404;

/** Okta's `x-rate-limit-reset` is epoch seconds; measured against the answer's own `date` so clock skew does not matter. */
function rateLimitWaitMs(headers: Headers | undefined): number | null {
  const reset = Number(header(headers, "x-rate-limit-reset"));
  if (!Number.isFinite(reset) || reset <= 0) return null;
  const serverNow = Date.parse(header(headers, "date") ?? "");
  return Math.max(0, reset * 1000 - (Number.isFinite(serverNow) ? serverNow : Date.now()));
}

function redact(text: string, token: string): string {
  return token.length >= 4 ? text.split(token).join("[REDACTED]") : text;
}

function toProviderError(err: unknown, signal: AbortSignal, token: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const failure = oktaFailure(err);
  if (!failure) {
    // node-fetch rejects an aborted request with an AbortError: the call's timeout.
    if (signal.aborted) return new ProviderError("Okta did not answer before the provider's timeout", false);
    const message = err instanceof Error ? err.message : String(err);
    return new ProviderError(redact(`Okta could not be reached: ${message}`, token), false);
  }
  const { status, headers } = failure;
  const said = redact(failure.said, token);
  if (status === 429) return new ProviderError(`Okta rate limit (HTTP 429): ${said}`, false, rateLimitWaitMs(headers));
  if (status === 401 || status === 403) return new ProviderError(`Okta refused the credentials (HTTP ${status}): ${said}`, true);
  if (status === 408 || status >= 500) return new ProviderError(`Okta failed (HTTP ${status}): ${said}`, false);
  return new ProviderError(`Okta rejected the request (HTTP ${status}): ${said}`, true);
}

function loginOf(call: Pick<ProviderCall, "user">): string {
  return call.user.accounts.okta ?? call.user.email;
}

function createOktaProvider(config: OktaConfig): Provider {
  let made: Promise<okta.Client> | undefined;
  const clientOf = (): Promise<okta.Client> => {
    made ??= loadSdk().then(
      (sdk) =>
        new sdk.Client({
          orgUrl: config.orgUrl.replace(/\/+$/, ""),
          token: config.token,
          // Said outright: the SDK also reads ~/.okta/okta.yaml and OKTA_CLIENT_* variables, which must not switch the mode.
          authorizationMode: "SSWS",
          // Otherwise the SDK answers repeated GETs (the user lookup) from an in-memory cache.
          cacheMiddleware: null,
          requestExecutor: signalExecutor(sdk),
        }),
    );
    return made;
  };

  /** Runs one provider call with its signal in reach of the executor; the SDK's throws become ProviderErrors. */
  async function run<T>(call: Pick<ProviderCall, "signal">, fn: (client: okta.Client) => Promise<T>): Promise<T> {
    try {
      const client = await clientOf();
      return await callSignal.run(call.signal, () => fn(client));
    } catch (err) {
      throw toProviderError(err, call.signal, config.token);
    }
  }

  /** The Okta user id for the login (id, login or unambiguous short login), or null when Okta does not know it. */
  async function userIdOf(client: okta.Client, login: string): Promise<string | null> {
    try {
      const user = await client.userApi.getUser({ userId: login });
      return user.id ?? null;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  function groupOf(call: Pick<ProviderCall, "target">): string {
    const groupId = call.target.group;
    if (!groupId) throw new ProviderError("an Okta target needs group (an Okta group id)", true);
    const problem = targetProblem(call.target);
    if (problem) throw new ProviderError(problem, true);
    return groupId;
  }

  async function grant(call: ProviderCall): Promise<ProviderResult> {
    return run(call, async (client) => {
      const groupId = groupOf(call);
      const login = loginOf(call);
      const userId = await userIdOf(client, login);
      if (!userId) throw new ProviderError(`${login} is not an Okta user (looked up by accounts.okta, else the email)`, true);
      await client.groupApi.assignUserToGroup({ groupId, userId });
      return { status: "done", detail: `${login} is in Okta group ${groupId}` };
    });
  }

  async function revoke(call: ProviderCall): Promise<ProviderResult> {
    return run(call, async (client) => {
      const groupId = groupOf(call);
      const login = loginOf(call);
      const userId = await userIdOf(client, login);
      // A user Okta does not know (deleted since) is in no group: nothing left to remove.
      if (!userId) return { status: "done", detail: `${login} is not an Okta user; nothing to remove` };
      await client.groupApi
        .unassignUserFromGroup({ groupId, userId })
        .catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
      return { status: "done", detail: `${login} is not in Okta group ${groupId}` };
    });
  }

  /** Transient failures are `unknown` (ask again later); permanent ones (bad credentials) are thrown. */
  async function check(call: Omit<ProviderCall, "action">): Promise<"present" | "absent" | "unknown"> {
    try {
      return await run(call, async (client) => {
        const groupId = groupOf(call);
        const userId = await userIdOf(client, loginOf(call));
        if (!userId) return "absent";
        // The user's groups rather than the group's users: a person is in few groups, a group may hold thousands.
        const groups = await client.userApi.listUserGroups({ userId });
        for await (const group of groups) if (group?.id === groupId) return "present";
        return "absent";
      });
    } catch (err) {
      if (err instanceof ProviderError && !err.permanent) return "unknown";
      throw err;
    }
  }

  return { type: "okta", grant, revoke, check };
}

export const oktaProvider: ProviderFactory<OktaConfig> = {
  type: "okta",
  fields: {
    orgUrl: orgUrlSchema,
    token: z.string().min(1),
  },
  secrets: ["token"],
  target: { required: ["group"], optional: [], problem: targetProblem },
  defaultTimeoutMs: 10_000,
  create: createOktaProvider,
};
