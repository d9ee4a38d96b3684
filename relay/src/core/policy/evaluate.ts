import { durationMs } from "@gatehouse/shared";
import { Duration } from "@marcbachmann/cel-js/evaluator";
import { type ConditionContext, conditionFor, conditionTime } from "./condition.ts";
import { checkDuration, type DurationProblem, defaultDuration, offeredDurations } from "./durations.ts";
import { globMatcher } from "./glob.ts";
import {
  type Channel,
  DEFAULT_APPROVAL_SETTINGS,
  type DirectoryUser,
  type DurationRules,
  FALLBACK_FLOW_ID,
  type Flow,
  type FlowDefinition,
  type PolicySnapshot,
  type Requirement,
  type ResourceTag,
  type StepDefinition,
} from "./model.ts";

export interface PolicyInput {
  requesterEmail: string;
  app: string;
  resourceId: string | null;
  /** What conditions may read; all optional (a preview knows less than a request). */
  resourceUrl?: string | undefined;
  at?: Date | undefined;
  durationMs?: number | null | undefined;
  reason?: string | undefined;
  ticket?: string | undefined;
  ip?: string | undefined;
}

export interface ResolvedApprovalStep {
  require: Requirement;
  approvers: DirectoryUser[];
}

export type Evaluation =
  | {
      outcome: "matched";
      flow: { id: string; name: string };
      requester: DirectoryUser;
      approval: "auto" | "steps";
      steps: ResolvedApprovalStep[];
      /** The durations to offer; `durationRules` decides what is allowed (policy/durations.ts). */
      durations: string[];
      durationRules: DurationRules;
      defaultDuration: string;
      requireReason: boolean;
      /** The pattern a ticket must match, when the flow asks for one. */
      ticket: string | null;
      /** Where approvers are told (the flow's, else the relay-wide default). */
      notify: Channel[];
      /** Whether an approver may widen the grant to the whole app. */
      allowWholeApp: boolean;
      /** When access starts: at approval (or a scheduled start the request asks for), or when the requester presses Start. */
      activation: "on_approval" | "on_start";
      /** When undecided requests are reminded about and when they expire (relay-wide). */
      timing: { remindAfter: string; expireAfter: string };
      explain: string[];
    }
  | { outcome: "denied"; code: "unknown_requester" | "inactive_requester" | "no_flow"; explain: string[] };

/** Durations the fallback flow offers: the usual choices up to its maximum. */
export function fallbackDurations(max: string): string[] {
  const cap = durationMs(max) ?? 0;
  const choices = ["1h", "2h", "4h"].filter((d) => (durationMs(d) ?? 0) <= cap);
  return choices.length > 0 ? choices : [max];
}

/**
 * Decides which access flow covers a request and who approves it. Pure: the
 * caller loads the snapshot; the server calls this on every request and never
 * trusts the extension's preview.
 */
export function evaluatePolicy(snapshot: PolicySnapshot, input: PolicyInput): Evaluation {
  const requester = snapshot.usersByEmail.get(input.requesterEmail.toLowerCase());
  if (!requester) return { outcome: "denied", code: "unknown_requester", explain: [] };
  if (!requester.active) return { outcome: "denied", code: "inactive_requester", explain: [] };

  // Only the flows for this app can match; the others are explained (lazily) as "another app".
  const { byApp } = indexOf(snapshot);
  const reasons = new Map<number, string>();
  const conditions: ConditionCache = { context: null, results: new Map() };
  for (const i of byApp.get(input.app) ?? []) {
    const flow = snapshot.flows[i] as Flow;
    const why = whyNotMatching(snapshot, requester, flow, input, conditions);
    if (why) {
      reasons.set(i, why);
      continue;
    }
    return matched(snapshot, requester, input, flow.id, flow.name, flow.definition, lazyExplain(snapshot, input, reasons, i));
  }
  const all = lazyExplain(snapshot, input, reasons, snapshot.flows.length);
  if (!snapshot.fallback.enabled) return { outcome: "denied", code: "no_flow", explain: all };
  const durations = fallbackDurations(snapshot.fallback.max);
  const definition: FlowDefinition = {
    apps: [],
    approval: { steps: [{ approvers: ["admins"], require: "any" }] },
    durations: { choices: durations, default: durations[0] },
    requireReason: true,
  };
  const explain = lazyExplain(snapshot, input, reasons, snapshot.flows.length, "fallback: no flow matched, the fallback flow applies");
  return matched(snapshot, requester, input, FALLBACK_FLOW_ID, "Fallback (admins approve)", definition, explain);
}

/**
 * Why each flow before `upto` did not match, as text, computed only when
 * someone reads it (simulate, the admin UI): formatting 500 reasons on every
 * request would cost more than deciding.
 */
function lazyExplain(snapshot: PolicySnapshot, input: PolicyInput, reasons: Map<number, string>, upto: number, tail?: string): string[] {
  let lines: string[] | null = null;
  const build = () => {
    lines = [];
    for (let i = 0; i < upto; i++) {
      const flow = snapshot.flows[i] as Flow;
      const why = reasons.get(i) ?? (flow.enabled ? `app '${input.app}' is not one of ${flow.definition.apps.join(", ")}` : "disabled");
      lines.push(`${flow.id}: ${why}`);
    }
    if (tail) lines.push(tail);
    return lines;
  };
  return new Proxy([] as string[], {
    get: (_t, key) => {
      const l = lines ?? build();
      const v = Reflect.get(l, key);
      return typeof v === "function" ? v.bind(l) : v;
    },
    has: (_t, key) => Reflect.has(lines ?? build(), key),
    ownKeys: () => Reflect.ownKeys(lines ?? build()),
    getOwnPropertyDescriptor: (_t, key) => Reflect.getOwnPropertyDescriptor(lines ?? build(), key),
  });
}

interface SnapshotIndex {
  /** app → indices of the flows naming it, in priority order */
  byApp: Map<string, number[]>;
  /** group id → its members, as a set */
  members: Map<string, Set<string>>;
  /** person → the groups they belong to */
  groupsOf: Map<string, string[]>;
  /** the admins' emails */
  admins: string[];
  /** person id → person */
  byId: Map<string, DirectoryUser>;
}

const indexes = new WeakMap<PolicySnapshot, SnapshotIndex>();
/** Lookups built once per snapshot (snapshots are immutable; one is loaded per request). */
function indexOf(snapshot: PolicySnapshot): SnapshotIndex {
  let index = indexes.get(snapshot);
  if (!index) {
    const byApp = new Map<string, number[]>();
    snapshot.flows.forEach((f, i) => {
      for (const app of new Set(f.definition.apps)) byApp.set(app, [...(byApp.get(app) ?? []), i]);
    });
    const members = new Map<string, Set<string>>();
    const groupsOf = new Map<string, string[]>();
    for (const [id, list] of snapshot.groups) {
      members.set(id, new Set(list));
      for (const m of list) groupsOf.set(m, [...(groupsOf.get(m) ?? []), id]);
    }
    const admins = [...snapshot.usersByEmail.values()].filter((u) => u.isAdmin).map((u) => u.email);
    const byId = new Map([...snapshot.usersByEmail.values()].map((u) => [u.id, u]));
    index = { byApp, members, groupsOf, admins, byId };
    indexes.set(snapshot, index);
  }
  return index;
}

/**
 * One request's condition results by expression: flows often share a
 * condition (office hours, "not a contractor"), and with the same context it
 * has the same value, so each distinct expression runs once per request.
 */
interface ConditionCache {
  context: ConditionContext | null;
  results: Map<string, boolean | string>;
}

function whyNotMatching(
  snapshot: PolicySnapshot,
  requester: DirectoryUser,
  flow: Flow,
  input: PolicyInput,
  conditions: ConditionCache,
): string | null {
  const d = flow.definition;
  if (!flow.enabled) return "disabled";
  if (!d.apps.includes(input.app)) return `app '${input.app}' is not one of ${d.apps.join(", ")}`;
  if (d.resources?.length) {
    const id = input.resourceId ?? "";
    if (!d.resources.some((p) => globMatcher(p)(id))) return `resource '${id}' matches none of ${d.resources.join(", ")}`;
  }
  if (d.requesters?.length && !d.requesters.some((ref) => isRequester(snapshot, requester, ref)))
    return `${requester.email} is not among the requesters ${d.requesters.join(", ")}`;
  if (d.condition) {
    let result = conditions.results.get(d.condition);
    if (result === undefined) {
      const condition = conditionFor(d.condition);
      if ("error" in condition) result = `condition does not compile: ${condition.error}`;
      else {
        try {
          conditions.context ??= conditionContext(snapshot, requester, input);
          result = condition.evaluate(conditions.context);
        } catch (e) {
          result = `condition failed: ${(e as Error).message.split("\n")[0]}`;
        }
      }
      conditions.results.set(d.condition, result);
    }
    if (result === false) return `condition is false: ${d.condition}`;
    if (typeof result === "string") return result;
  }
  return null;
}

function isRequester(snapshot: PolicySnapshot, requester: DirectoryUser, ref: string): boolean {
  if (ref.startsWith("user:")) return ref.slice(5).toLowerCase() === requester.email;
  if (ref.startsWith("group:")) return indexOf(snapshot).members.get(ref.slice(6))?.has(requester.email) ?? false;
  return false;
}

function conditionContext(snapshot: PolicySnapshot, requester: DirectoryUser, input: PolicyInput): ConditionContext {
  return {
    requester: {
      email: requester.email,
      name: requester.name,
      groups: indexOf(snapshot).groupsOf.get(requester.email) ?? [],
      manager: requester.managerEmail ?? "",
      timezone: requester.timezone ?? "UTC",
    },
    resource: { app: input.app, id: input.resourceId ?? "", url: input.resourceUrl ?? "", tags: tagsOf(snapshot, input) },
    request: {
      time: conditionTime((input.at ?? new Date()).getTime()),
      duration: Duration.fromMilliseconds(input.durationMs ?? 0),
      ip: input.ip ?? "",
      reason: input.reason ?? "",
      ticket: input.ticket ?? "",
    },
  };
}

/** Every tag of every `resourceTags` entry whose app and glob match the resource, once each. */
function tagsOf(snapshot: PolicySnapshot, input: PolicyInput): string[] {
  return resourceTagsOf(snapshot.resourceTags ?? [], input.app, input.resourceId);
}

/** The tags `resourceTags` gives a resource (conditions and provisioning targets see the same). */
export function resourceTagsOf(entries: ResourceTag[], app: string, resourceId: string | null | undefined): string[] {
  const id = resourceId ?? "";
  const tags = new Set<string>();
  for (const t of entries) if (t.app === app && globMatcher(t.resource)(id)) for (const tag of t.tags) tags.add(tag);
  return [...tags];
}

function matched(
  snapshot: PolicySnapshot,
  requester: DirectoryUser,
  input: PolicyInput,
  id: string,
  name: string,
  definition: FlowDefinition,
  explain: string[],
): Evaluation {
  const steps =
    definition.approval === "auto" ? [] : definition.approval.steps.map((step) => resolveStep(snapshot, requester, step, input));
  const choices = offeredDurations(definition.durations);
  const approvalSettings = snapshot.approvals ?? DEFAULT_APPROVAL_SETTINGS;
  return {
    outcome: "matched",
    flow: { id, name },
    requester,
    approval: definition.approval === "auto" ? "auto" : "steps",
    steps,
    durations: choices,
    defaultDuration: defaultDuration(definition.durations),
    durationRules: definition.durations,
    requireReason: definition.requireReason,
    ticket: definition.ticket ?? null,
    notify: definition.notify ?? approvalSettings.notify,
    allowWholeApp: definition.allowWholeApp ?? false,
    activation: definition.activation ?? "on_approval",
    timing: { remindAfter: approvalSettings.remindAfter, expireAfter: approvalSettings.expireAfter },
    explain,
  };
}

/**
 * Resolves a step's approver references to active people. The requester never
 * approves their own request; a step that resolves to nobody goes to the admins.
 */
export function resolveStep(
  snapshot: PolicySnapshot,
  requester: DirectoryUser,
  step: StepDefinition,
  resource: Pick<PolicyInput, "app" | "resourceId"> = { app: "", resourceId: null },
): ResolvedApprovalStep {
  const emails = new Set<string>();
  for (const ref of step.approvers) {
    for (const email of expandRef(snapshot, requester, ref, resource)) emails.add(email);
  }
  const pick = (candidates: Iterable<string>) =>
    [...candidates]
      .map((e) => snapshot.usersByEmail.get(e))
      .filter((u): u is DirectoryUser => !!u && u.active && u.id !== requester.id)
      // Code-point order, not localeCompare: deterministic everywhere and far cheaper for large groups.
      .sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  let approvers = pick(emails);
  if (approvers.length === 0) approvers = pick(expandRef(snapshot, requester, "admins"));
  if (typeof step.require !== "number") return { require: step.require, approvers };
  // A quorum larger than the people who resolve is filled up with the admins; if
  // even then too few remain, every one of them must approve.
  if (approvers.length < step.require)
    approvers = pick(new Set([...approvers.map((a) => a.email), ...expandRef(snapshot, requester, "admins")]));
  return { require: step.require >= approvers.length ? "all" : step.require, approvers };
}

function expandRef(
  snapshot: PolicySnapshot,
  requester: DirectoryUser,
  ref: string,
  resource: Pick<PolicyInput, "app" | "resourceId"> = { app: "", resourceId: null },
): string[] {
  if (ref === "manager") return requester.managerEmail ? [requester.managerEmail] : [];
  if (ref === "resource_owner") {
    // Every owner entry for this app whose glob matches the resource; owners are people and groups.
    const id = resource.resourceId ?? "";
    return (snapshot.resourceOwners ?? [])
      .filter((o) => o.app === resource.app && globMatcher(o.resource)(id))
      .flatMap((o) =>
        o.owners.flatMap((ref) => (ref.startsWith("user:") || ref.startsWith("group:") ? expandRef(snapshot, requester, ref) : [])),
      );
  }
  if (ref === "admins") return indexOf(snapshot).admins;
  if (ref.startsWith("user:")) return [ref.slice(5).toLowerCase()];
  if (ref.startsWith("group:")) return snapshot.groups.get(ref.slice(6)) ?? [];
  return [];
}

/** A person of the snapshot by id (requests store ids). */
export function userById(snapshot: PolicySnapshot, id: string): DirectoryUser | undefined {
  return indexOf(snapshot).byId.get(id);
}

/**
 * Who step `step` of a request made under flow `flowId` resolves to under
 * this snapshot: the policy of now, for a request made earlier. Null when
 * that cannot be said (the flow was deleted or lost the step, or the
 * requester is gone).
 */
export function resolveStepNow(
  snapshot: PolicySnapshot,
  request: { flowId: string; step: number; requesterId: string; app: string; resourceId: string | null },
): DirectoryUser[] | null {
  const flow = snapshot.flows.find((f) => f.id === request.flowId);
  const stepDef = flow && flow.definition.approval !== "auto" ? flow.definition.approval.steps[request.step] : undefined;
  const requester = userById(snapshot, request.requesterId);
  if (!stepDef || !requester) return null;
  return resolveStep(snapshot, requester, stepDef, { app: request.app, resourceId: request.resourceId }).approvers;
}

export type Matched = Extract<Evaluation, { outcome: "matched" }>;

export interface RequestProblem {
  code: DurationProblem | "reason_required" | "ticket_invalid";
  detail: string;
}

/**
 * What a matched flow still asks of the request itself: an allowed duration,
 * a reason, a ticket. The one check behind the request endpoint and `simulate`.
 */
export function requestProblem(
  e: Matched,
  request: { duration: string; reason?: string | undefined; ticket?: string | undefined },
): RequestProblem | null {
  const duration = checkDuration(e.durationRules, request.duration);
  if (duration === "duration_exceeds_max") return { code: duration, detail: `At most ${e.durationRules.max}` };
  if (duration) return { code: duration, detail: `Choose one of: ${e.durations.join(", ")}` };
  if (e.requireReason && !request.reason?.trim()) return { code: "reason_required", detail: "This flow requires a reason" };
  if (!ticketOk(e.ticket, request.ticket)) return { code: "ticket_invalid", detail: `The ticket must match ${e.ticket}` };
  return null;
}

/** Whether a request's ticket satisfies a flow's pattern (no pattern: anything, even nothing). */
function ticketOk(pattern: string | null, ticket: string | undefined): boolean {
  if (!pattern) return true;
  return ticket !== undefined && ticket.length <= 100 && new RegExp(pattern).test(ticket.trim());
}
