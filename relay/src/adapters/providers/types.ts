/**
 * A provider is how a grant reaches the target app: it adds the requester to
 * something (a SCIM group, a GitHub team, an Okta group…) and removes them
 * again. Providers are called only by the effect worker (grants/effects.ts),
 * after the transaction that decided the change has committed, never inside
 * an HTTP request; each call carries an idempotency key that stays the same
 * across retries of the same effect, so a retried call has no second effect.
 */

/** What the grant is, for whom, and where it goes (the flow's `grant.target`, templates already filled in). */
export interface ProviderCall {
  action: "grant" | "revoke" | "extend";
  /** `<grant id>:<action>:<generation>`: the same on every retry of this effect. */
  idempotencyKey: string;
  grant: {
    id: string;
    app: string;
    resourceId: string | null;
    scope: "resource" | "app";
    /** When the grant ends (null: until revoked); for `extend`, the new end. */
    endsAt: string | null;
  };
  user: {
    email: string;
    name: string;
    /** The person's account names in other systems (`accounts:` in the directory), e.g. `{ github: "dana-w" }`. */
    accounts: Record<string, string>;
  };
  /** Provider-specific fields of the flow's `grant.target`, e.g. `{ group: "docs-readers" }` or `{ team: "payments" }`. */
  target: Record<string, string>;
  /** Aborts the call at the provider's timeout. */
  signal: AbortSignal;
  /** Where a provider that answers "pending" confirms later (`POST /api/v1/provisioning/callback`). */
  callbackUrl?: string;
  /** Where a provider hands the work to people instead of an API (the `manual` provider); the effect worker supplies it. */
  tasks?: TaskDesk;
}

/**
 * The relay's side of a manual task: `open` tells each operator of the call
 * (a mail, and a Slack DM when Slack is configured) with a signed link to a
 * task page, where one of them answers "done" or "cannot do". Tasks are
 * opened once per effect: a retried call with the same idempotency key finds
 * them open and sends nothing, so operators are never asked twice.
 */
export interface TaskDesk {
  open(call: ProviderCall, task: { operators: string[]; deadlineMs: number }): Promise<OpenedTask>;
}

export interface OpenedTask {
  /** Whether this call sent the tasks (false: they were already open). */
  sent: boolean;
  /** How long the operators have left, by the relay's clock (≤ 0: the deadline has passed). */
  remainingMs: number;
}

/**
 * `done`: the provider confirmed the change. `pending`: it accepted the work
 * and will confirm later (a webhook answering 202 calls back; a provider with
 * `check` is polled); the grant waits in `provisioning`/`revoking` until then
 * or until `deadlineMs` passes.
 */
export type ProviderResult = { status: "done"; detail?: string } | { status: "pending"; detail?: string; deadlineMs?: number };

/**
 * A failed call. `permanent` ones are not retried (a 4xx other than 408/429,
 * wrong credentials, a user or group the target does not know); others back
 * off, or wait `retryAfterMs` when the far end said so.
 */
export class ProviderError extends Error {
  readonly permanent: boolean;
  readonly retryAfterMs: number | null;
  constructor(message: string, permanent: boolean, retryAfterMs: number | null = null) {
    super(message);
    this.name = "ProviderError";
    this.permanent = permanent;
    this.retryAfterMs = retryAfterMs;
  }
}

export interface Provider {
  /** The provider's type (`webhook`, `scim`, `github`, `okta`, `manual`). */
  readonly type: string;
  grant(call: ProviderCall): Promise<ProviderResult>;
  revoke(call: ProviderCall): Promise<ProviderResult>;
  /** Optional: tell the target of a new end time (group memberships need nothing). */
  extend?(call: ProviderCall): Promise<ProviderResult>;
  /** Optional: whether the grant is in place at the target now (`present`), gone (`absent`) or cannot be told. */
  check?(call: Omit<ProviderCall, "action">): Promise<"present" | "absent" | "unknown">;
}

/**
 * The target fields each provider type needs in a flow's `grant.target`
 * (checked when the policy loads, so a flow cannot name a provider with a
 * target it does not understand).
 */
export interface ProviderTargetSpec {
  required: string[];
  optional: string[];
  /** Any other field is passed on as it is (a webhook's receiver decides what it means). */
  open?: boolean;
  /** A check across fields (e.g. "exactly one of team or repository"); null when fine. */
  problem?: (target: Record<string, string>) => string | null;
}

/** What a provider module exports: how its `providers:` entry is checked, and how to build one. */
export interface ProviderFactory<C extends { id: string; type: string }> {
  type: C["type"];
  /** The `providers:` entry's fields besides `id` and `type` (zod; strict). Secret fields hold resolved values here. */
  fields: import("zod").ZodRawShape;
  /** Fields that are credentials: in the file they must be `${env:NAME}` or `${file:PATH}`, never a literal. */
  secrets: string[];
  target: ProviderTargetSpec;
  /** Per-call timeout unless the entry sets `timeout`. */
  defaultTimeoutMs: number;
  create(config: C): Provider;
}
