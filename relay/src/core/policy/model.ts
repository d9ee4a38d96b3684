/**
 * The policy model as the relay stores and evaluates it. The config file
 * (config/schema.ts) and, later, the admin UI both produce these shapes.
 */

/** `user:<email>`, `group:<id>`, `manager`, `resource_owner` or `admins`. */
export type ApproverRef = string;

/** One approval from the set, every person in it, or any N distinct people of it (a quorum). */
export type Requirement = "any" | "all" | number;

export interface StepDefinition {
  approvers: ApproverRef[];
  require: Requirement;
}

/** See policy/durations.ts. */
export interface DurationRules {
  choices?: string[] | undefined;
  default?: string | undefined;
  fixed?: string | undefined;
  max?: string | undefined;
  custom?: boolean | undefined;
}

export interface FlowDefinition {
  apps: string[];
  /** Globs on the resource id (policy/glob.ts); omitted: every resource of the apps. */
  resources?: string[] | undefined;
  /** Who may use the flow: `user:<email>` and `group:<id>` refs; omitted: everyone. */
  requesters?: string[] | undefined;
  /** A CEL expression (policy/condition.ts) that must be true. */
  condition?: string | undefined;
  approval: "auto" | { steps: StepDefinition[] };
  durations: DurationRules;
  requireReason: boolean;
  /** A regular expression the request's ticket must match (e.g. `^(OPS|INC)-[0-9]+$`). */
  ticket?: string | undefined;
  /** Whether grants may be extended: how often, by how much, the longest total (omitted: never). */
  extend?:
    | {
        allowed: boolean;
        times?: number | undefined;
        by?: string | undefined;
        max?: string | undefined;
        /** Each extension is approved like a request (by the flow's steps) before the end moves. */
        reapprove?: boolean | undefined;
      }
    | undefined;
  /** How access reaches the app: a provider's id and the target there (templates; policy/template.ts). */
  grant?: { provider: string; target: Record<string, string> } | undefined;
  /** `on_start`: the grant waits for the requester to press Start. Omitted: on approval. */
  activation?: "on_approval" | "on_start" | undefined;
  /** How long an `on_start` grant waits (omitted: the relay-wide `grants.startWithin`). */
  startWithin?: string | undefined;
  /** Where approvers are told (omitted: the relay-wide `approvals.notify`). */
  notify?: Channel[] | undefined;
  /** Whether an approver may widen a grant to the whole app instead of the one resource. */
  allowWholeApp?: boolean | undefined;
}

/** Where approvers are told of a request: email, a Slack DM or channel, a Teams channel. */
export const CHANNELS = ["email", "slack", "teams"] as const;
export type Channel = (typeof CHANNELS)[number];

/** Relay-wide approval settings (`approvals:` in gatehouse.yaml). */
export interface ApprovalSettings {
  /** Channels for flows that name none. */
  notify: Channel[];
  /** Approvers who have not decided are reminded after this long, and again after each such period until the deadline. */
  remindAfter: string;
  /** A request still undecided after this long expires. */
  expireAfter: string;
}

/** Relay-wide grant settings (`grants:` in gatehouse.yaml). */
export interface GrantSettings {
  /** Warnings before a grant ends; each only when shorter than the grant, and for grants of at least `minGrant`. */
  warnings: { before: string; minGrant?: string | undefined }[];
  startWithin: string;
}

export const DEFAULT_GRANT_SETTINGS: GrantSettings = {
  warnings: [{ before: "10m" }, { before: "1h", minGrant: "4h" }],
  startWithin: "24h",
};

export const DEFAULT_APPROVAL_SETTINGS: ApprovalSettings = { notify: ["email"], remindAfter: "24h", expireAfter: "7d" };

export interface Flow {
  id: string;
  name: string;
  enabled: boolean;
  definition: FlowDefinition;
}

export interface DirectoryUser {
  id: string;
  email: string;
  name: string;
  managerEmail: string | null;
  /** IANA time zone, for conditions like `request.time.getHours(requester.timezone)`. */
  timezone?: string;
  active: boolean;
  isAdmin: boolean;
  /** Account names in other systems, for provisioning targets (`requester.accounts.github`). */
  accounts?: Record<string, string>;
}

export interface FallbackSettings {
  enabled: boolean;
  /** Longest grant the fallback flow allows (DESIGN.md: at most 4 hours). */
  max: string;
}

/** Who owns matching resources: approvers of steps that name `resource_owner`. */
export interface ResourceOwner {
  app: string;
  /** A glob on the resource id (policy/glob.ts). */
  resource: string;
  /** `user:<email>` and `group:<id>` refs. */
  owners: string[];
}

/** Everything policy evaluation reads, loaded once per evaluation. */
export interface PolicySnapshot {
  usersByEmail: Map<string, DirectoryUser>;
  /** group id → member emails */
  groups: Map<string, string[]>;
  /** ordered by priority, first match wins */
  flows: Flow[];
  fallback: FallbackSettings;
  /** In file order; every entry matching the request's app and resource counts. */
  resourceOwners?: ResourceOwner[] | undefined;
  /** Omitted: DEFAULT_APPROVAL_SETTINGS. */
  approvals?: ApprovalSettings | undefined;
  /** Tags of resources by pattern, read by conditions as `resource.tags`. */
  resourceTags?: ResourceTag[] | undefined;
}

/** Tags admins give resources by pattern (`resource.tags` in conditions, e.g. `'pii' in resource.tags`). */
export interface ResourceTag {
  app: string;
  /** A glob on the resource id (policy/glob.ts). */
  resource: string;
  tags: string[];
}

export const FALLBACK_FLOW_ID = "fallback";
export const FALLBACK_MAX_CEILING = "4h";
