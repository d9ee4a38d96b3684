import { DetectionRuleSchema, DurationTextSchema, durationMs, regexProblem } from "@gatehouse/shared";
import { z } from "zod";
import { factoryOf, ProviderEntrySchema, targetProblems } from "../adapters/providers/registry.ts";
import { compileCondition } from "../core/policy/condition.ts";
import { durationRuleProblems } from "../core/policy/durations.ts";
import { globProblem } from "../core/policy/glob.ts";
import { CHANNELS, DEFAULT_APPROVAL_SETTINGS, DEFAULT_GRANT_SETTINGS, FALLBACK_MAX_CEILING } from "../core/policy/model.ts";
import { compileTemplate } from "../core/policy/template.ts";
import { ruleProblems } from "../detection/rules.ts";

/**
 * The `gatehouse.yaml` format: directory, flows and fallback. Cross-references
 * (managers, approvers, group members) are checked after parsing so every
 * error can name its path.
 */
const email = z.email().transform((e) => e.toLowerCase());
const id = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "ids are lower-case letters, digits, '.', '_' or '-'");
const approverRef = z
  .string()
  .regex(/^(manager|admins|resource_owner|user:.+|group:.+)$/, "expected manager, admins, resource_owner, user:<email> or group:<id>");

export const userSchema = z.strictObject({
  email,
  name: z.string().min(1).max(200),
  manager: email.optional(),
  timezone: z.string().default("UTC"),
  active: z.boolean().default(true),
  /** Account names in other systems, for provisioning (`github: dana-w`; targets read `requester.accounts.github`). */
  accounts: z.record(id, z.string().min(1).max(200)).optional(),
});

const groupSchema = z.strictObject({
  id,
  name: z.string().min(1).max(200),
  members: z.array(email).default([]),
});

const stepSchema = z.strictObject({
  approvers: z.array(approverRef).min(1),
  /** any, all, or a number N: any N distinct people of the set (a quorum). */
  require: z.union([z.enum(["any", "all"]), z.number().int().min(1).max(50)]).default("any"),
});

const flowSchema = z.strictObject({
  id,
  name: z.string().min(1).max(200),
  enabled: z.boolean().default(true),
  apps: z.array(z.string().min(1)).min(1),
  /** Globs on the resource id; omitted: every resource of the apps. */
  resources: z.array(z.string().min(1).max(300)).min(1).optional(),
  /** Who may use the flow; omitted: everyone. */
  requesters: z
    .array(z.string().regex(/^(user:.+|group:.+)$/, "expected user:<email> or group:<id>"))
    .min(1)
    .optional(),
  /** A CEL expression that must be true (docs/policy.md). */
  condition: z.string().min(1).max(2000).optional(),
  approval: z.union([z.literal("auto"), z.strictObject({ steps: z.array(stepSchema).min(1) })]),
  /** One of choices, fixed, or custom with max (policy/durations.ts). */
  durations: z.strictObject({
    choices: z.array(DurationTextSchema).min(1).optional(),
    default: DurationTextSchema.optional(),
    fixed: DurationTextSchema.optional(),
    max: DurationTextSchema.optional(),
    custom: z.boolean().optional(),
  }),
  requireReason: z.boolean().default(false),
  /** A regular expression the request's ticket must match. */
  ticket: z.string().min(1).max(300).optional(),
  /** Whether a grant may be extended before it ends: how many times, by how much, and the longest total. */
  extend: z
    .strictObject({
      allowed: z.boolean(),
      times: z.number().int().min(1).max(100).optional(),
      /** Each extension's length (omitted: the grant's own length). */
      by: DurationTextSchema.optional(),
      /** The longest the access may last in all, extensions included. */
      max: DurationTextSchema.optional(),
      /** Whether each extension goes through the flow's approval steps again (else it is granted at once, within the rules). */
      reapprove: z.boolean().optional(),
    })
    .optional(),
  /** How access reaches the app (docs/provisioning.md): a provider of `providers:` and the target there, as templates. */
  grant: z
    .strictObject({
      provider: id,
      target: z
        .record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/, "target fields are names like group or team"), z.string().min(1).max(500))
        .default({}),
    })
    .optional(),
  /** `on_start`: the approved grant waits for the requester to press Start (within `startWithin`); the clock starts then. */
  activation: z.enum(["on_approval", "on_start"]).optional(),
  /** How long an `on_start` grant waits to be started (omitted: `grants.startWithin`). */
  startWithin: DurationTextSchema.optional(),
  /** Where approvers are told; omitted: `approvals.notify`. */
  notify: z.array(z.enum(CHANNELS)).min(1).optional(),
  /** Whether an approver may grant the whole app rather than the one resource. */
  allowWholeApp: z.boolean().optional(),
});

const warningSchema = z.strictObject({
  /** How long before the end. */
  before: DurationTextSchema,
  /** Only for grants at least this long. */
  minGrant: DurationTextSchema.optional(),
});

export const ConfigSchema = z.strictObject({
  admins: z.array(email).default([]),
  /** Where grants are provisioned: SCIM services, GitHub, Okta, webhooks (docs/provisioning.md). */
  providers: z.array(ProviderEntrySchema).default([]),
  /** Relay-wide grant settings: warnings before the end, how long an `on_start` grant waits. */
  grants: z
    .strictObject({
      warnings: z.array(warningSchema).max(5).default(DEFAULT_GRANT_SETTINGS.warnings),
      startWithin: DurationTextSchema.default(DEFAULT_GRANT_SETTINGS.startWithin),
    })
    .default(DEFAULT_GRANT_SETTINGS),
  directory: z
    .strictObject({
      users: z.array(userSchema).default([]),
      groups: z.array(groupSchema).default([]),
    })
    .default({ users: [], groups: [] }),
  /** Who owns which resources: the `resource_owner` approvers. */
  resourceOwners: z
    .array(
      z.strictObject({
        app: z.string().min(1),
        resource: z.string().min(1).max(300),
        owners: z.array(z.string().regex(/^(user:.+|group:.+)$/, "expected user:<email> or group:<id>")).min(1),
      }),
    )
    .default([]),
  /** Tags of resources by pattern: what conditions read as `resource.tags`. */
  resourceTags: z
    .array(
      z.strictObject({
        app: z.string().min(1),
        resource: z.string().min(1).max(300),
        tags: z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "tags are lower-case letters, digits, '.', '_' or '-'")).min(1),
      }),
    )
    .default([]),
  flows: z.array(flowSchema).default([]),
  fallback: z
    .strictObject({
      enabled: z.boolean().default(true),
      max: DurationTextSchema.default(FALLBACK_MAX_CEILING),
    })
    .default({ enabled: true, max: FALLBACK_MAX_CEILING }),
  /** How approvers are told, reminded, and how long a request may wait. */
  approvals: z
    .strictObject({
      notify: z.array(z.enum(CHANNELS)).min(1).default(DEFAULT_APPROVAL_SETTINGS.notify),
      remindAfter: DurationTextSchema.default(DEFAULT_APPROVAL_SETTINGS.remindAfter),
      expireAfter: DurationTextSchema.default(DEFAULT_APPROVAL_SETTINGS.expireAfter),
    })
    .default(DEFAULT_APPROVAL_SETTINGS),
  /** Detection rules for internal tools the extension's catalog does not know. */
  detection: z
    .strictObject({
      rules: z.array(DetectionRuleSchema).max(200).default([]),
    })
    .default({ rules: [] }),
});
export type GatehouseConfig = z.infer<typeof ConfigSchema>;
/** The file's shape, defaults left out: what the admin UI edits before `validateConfig`. */
export type GatehouseConfigInput = z.input<typeof ConfigSchema>;

/**
 * The parts of a policy that have the right shape, when the whole does not:
 * each section, and each entry of a list, is checked on its own; an entry
 * that fails leaves a hole at its index (so paths stay right) — except a
 * person, who stays known by email so references to them are not reported
 * as well. `validateConfig` runs the reference checks on it, so a file with
 * both kinds of mistakes lists them all at once.
 */
export function salvageConfig(raw: unknown): GatehouseConfig | null {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const section = <K extends keyof GatehouseConfig>(key: K, value: unknown): GatehouseConfig[K] => {
    const parsed = ConfigSchema.shape[key].safeParse(value);
    return (parsed.success ? parsed.data : ConfigSchema.shape[key].parse(undefined)) as GatehouseConfig[K];
  };
  /** A list whose valid entries keep their index; `stand_in` may fill the place of an invalid one. */
  const entries = <T>(value: unknown, schema: z.ZodType<T>, standIn?: (entry: unknown) => T | undefined): T[] => {
    const out: T[] = [];
    if (!Array.isArray(value)) return out;
    value.forEach((entry, i) => {
      const parsed = schema.safeParse(entry);
      const kept = parsed.success ? parsed.data : standIn?.(entry);
      if (kept !== undefined) out[i] = kept;
    });
    return out;
  };
  const dir = (r.directory && typeof r.directory === "object" ? r.directory : {}) as Record<string, unknown>;
  const person = (entry: unknown) => {
    const address = email.safeParse((entry as { email?: unknown } | null)?.email);
    return address.success ? { email: address.data, name: address.data, timezone: "UTC", active: true } : undefined;
  };
  return {
    admins: entries(r.admins, email),
    providers: entries(r.providers, ProviderEntrySchema),
    grants: section("grants", r.grants),
    directory: { users: entries(dir.users, userSchema, person), groups: entries(dir.groups, groupSchema) },
    resourceOwners: entries(r.resourceOwners, ConfigSchema.shape.resourceOwners.unwrap().element),
    resourceTags: entries(r.resourceTags, ConfigSchema.shape.resourceTags.unwrap().element),
    flows: entries(r.flows, flowSchema),
    fallback: section("fallback", r.fallback),
    approvals: section("approvals", r.approvals),
    detection: { rules: entries((r.detection as { rules?: unknown } | undefined)?.rules, DetectionRuleSchema) },
  };
}

export interface ConfigIssue {
  path: (string | number)[];
  message: string;
}

/** Checks what a schema cannot: references between parts of the file. */
export function checkReferences(config: GatehouseConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const emails = new Set(config.directory.users.map((u) => u.email));
  const groupIds = new Set(config.directory.groups.map((g) => g.id));
  /** A `user:` or `group:` reference to someone the file does not name. */
  const checkRef = (ref: string, path: (string | number)[]) => {
    if (ref.startsWith("user:") && !emails.has(ref.slice(5).toLowerCase()))
      issues.push({ path, message: `unknown user '${ref.slice(5)}'` });
    if (ref.startsWith("group:") && !groupIds.has(ref.slice(6))) issues.push({ path, message: `unknown group '${ref.slice(6)}'` });
  };
  const seen = new Set<string>();
  config.directory.users.forEach((u, i) => {
    if (seen.has(u.email)) issues.push({ path: ["directory", "users", i, "email"], message: `duplicate user '${u.email}'` });
    seen.add(u.email);
    if (u.manager && !emails.has(u.manager))
      issues.push({ path: ["directory", "users", i, "manager"], message: `unknown user '${u.manager}'` });
    if (!isTimeZone(u.timezone)) issues.push({ path: ["directory", "users", i, "timezone"], message: `unknown time zone '${u.timezone}'` });
  });
  config.admins.forEach((a, i) => {
    if (!emails.has(a)) issues.push({ path: ["admins", i], message: `unknown user '${a}'` });
  });
  const seenGroups = new Set<string>();
  config.directory.groups.forEach((g, gi) => {
    if (seenGroups.has(g.id)) issues.push({ path: ["directory", "groups", gi, "id"], message: `duplicate group '${g.id}'` });
    seenGroups.add(g.id);
    g.members.forEach((m, mi) => {
      if (!emails.has(m)) issues.push({ path: ["directory", "groups", gi, "members", mi], message: `unknown user '${m}'` });
    });
  });
  config.resourceOwners.forEach((o, oi) => {
    const problem = globProblem(o.resource);
    if (problem) issues.push({ path: ["resourceOwners", oi, "resource"], message: `not a valid pattern: ${problem}` });
    o.owners.forEach((ref, ri) => {
      checkRef(ref, ["resourceOwners", oi, "owners", ri]);
    });
  });
  config.resourceTags.forEach((t, ti) => {
    const problem = globProblem(t.resource);
    if (problem) issues.push({ path: ["resourceTags", ti, "resource"], message: `not a valid pattern: ${problem}` });
  });
  const providerTypes = new Map<string, string>();
  config.providers.forEach((p, pi) => {
    if (providerTypes.has(p.id)) issues.push({ path: ["providers", pi, "id"], message: `duplicate provider '${p.id}'` });
    providerTypes.set(p.id, p.type);
  });
  const flowIds = new Set<string>();
  config.flows.forEach((f, fi) => {
    if (flowIds.has(f.id) || f.id === "fallback")
      issues.push({ path: ["flows", fi, "id"], message: `duplicate or reserved flow id '${f.id}'` });
    flowIds.add(f.id);
    if (f.approval !== "auto") {
      f.approval.steps.forEach((s, si) => {
        s.approvers.forEach((ref, ai) => {
          checkRef(ref, ["flows", fi, "approval", "steps", si, "approvers", ai]);
        });
      });
    }
    f.resources?.forEach((pattern, ri) => {
      const problem = globProblem(pattern);
      if (problem) issues.push({ path: ["flows", fi, "resources", ri], message: `not a valid pattern: ${problem}` });
    });
    f.requesters?.forEach((ref, ri) => {
      checkRef(ref, ["flows", fi, "requesters", ri]);
    });
    if (f.condition !== undefined) {
      const compiled = compileCondition(f.condition);
      if ("error" in compiled) issues.push({ path: ["flows", fi, "condition"], message: compiled.error });
    }
    const ticketProblem = f.ticket === undefined ? null : regexProblem(f.ticket);
    if (ticketProblem) issues.push({ path: ["flows", fi, "ticket"], message: ticketProblem });
    for (const p of durationRuleProblems(f.durations)) issues.push({ path: ["flows", fi, "durations", ...p.path], message: p.message });
    if (f.grant) {
      const type = providerTypes.get(f.grant.provider);
      if (!type)
        issues.push({ path: ["flows", fi, "grant", "provider"], message: `unknown provider '${f.grant.provider}' (see providers:)` });
      else if (factoryOf(type))
        for (const p of targetProblems(type, f.grant.target))
          issues.push({ path: ["flows", fi, "grant", "target", ...(p.field ? [p.field] : [])], message: p.message });
      for (const [field, source] of Object.entries(f.grant.target)) {
        const t = compileTemplate(source);
        if ("error" in t) issues.push({ path: ["flows", fi, "grant", "target", field], message: t.error });
      }
    }
    if (f.extend?.by && durationMs(f.extend.by) === null)
      issues.push({ path: ["flows", fi, "extend", "by"], message: "an extension has a length, not indefinite" });
  });
  config.detection.rules.forEach((rule, ri) => {
    for (const p of ruleProblems(rule)) issues.push({ path: ["detection", "rules", ri, ...p.path], message: p.message });
  });
  for (const key of ["remindAfter", "expireAfter"] as const) {
    const ms = durationMs(config.approvals[key]);
    if (ms === null) issues.push({ path: ["approvals", key], message: "expected a duration like 4h or 3d, not indefinite" });
    else if (ms < 15 * 60_000) issues.push({ path: ["approvals", key], message: "at least 15m: approvers are not to be flooded" });
  }
  const max = durationMs(config.fallback.max);
  if (max === null || max > (durationMs(FALLBACK_MAX_CEILING) ?? 0))
    issues.push({ path: ["fallback", "max"], message: `the fallback flow grants at most ${FALLBACK_MAX_CEILING}` });
  return issues;
}

/** Zones already checked: a directory of 20,000 people names a handful, and building a formatter costs ~40 µs. */
const zones = new Map<string, boolean>();

export function isTimeZone(tz: string): boolean {
  let known = zones.get(tz);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
      known = true;
    } catch {
      known = false;
    }
    if (zones.size < 1_000) zones.set(tz, known);
  }
  return known;
}
