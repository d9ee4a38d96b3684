import { durationMs } from "@gatehouse/shared";
import { Duration } from "@marcbachmann/cel-js/evaluator";
import { type ConditionContext, conditionFor } from "./condition.ts";
import { globMatcher } from "./glob.ts";
import { type DirectoryUser, FALLBACK_FLOW_ID, type Flow, type FlowDefinition, type PolicySnapshot, type StepDefinition } from "./model.ts";

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
  require: "any" | "all";
  approvers: DirectoryUser[];
}

export type Evaluation =
  | {
      outcome: "matched";
      flow: { id: string; name: string };
      requester: DirectoryUser;
      approval: "auto" | "steps";
      steps: ResolvedApprovalStep[];
      durations: string[];
      defaultDuration: string;
      requireReason: boolean;
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
  const explain: string[] = [];
  const requester = snapshot.usersByEmail.get(input.requesterEmail.toLowerCase());
  if (!requester) return { outcome: "denied", code: "unknown_requester", explain };
  if (!requester.active) return { outcome: "denied", code: "inactive_requester", explain };

  for (const flow of snapshot.flows) {
    const why = whyNotMatching(snapshot, requester, flow, input);
    if (why) {
      explain.push(`${flow.id}: ${why}`);
      continue;
    }
    return matched(snapshot, requester, flow.id, flow.name, flow.definition, explain);
  }
  if (!snapshot.fallback.enabled) return { outcome: "denied", code: "no_flow", explain };
  explain.push("fallback: no flow matched, the fallback flow applies");
  const durations = fallbackDurations(snapshot.fallback.max);
  const definition: FlowDefinition = {
    apps: [],
    approval: { steps: [{ approvers: ["admins"], require: "any" }] },
    durations: { choices: durations, default: durations[0] },
    requireReason: true,
  };
  return matched(snapshot, requester, FALLBACK_FLOW_ID, "Fallback (admins approve)", definition, explain);
}

function whyNotMatching(snapshot: PolicySnapshot, requester: DirectoryUser, flow: Flow, input: PolicyInput): string | null {
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
    const condition = conditionFor(d.condition);
    if ("error" in condition) return `condition does not compile: ${condition.error}`;
    try {
      if (!condition.evaluate(conditionContext(snapshot, requester, input))) return `condition is false: ${d.condition}`;
    } catch (e) {
      return `condition failed: ${(e as Error).message.split("\n")[0]}`;
    }
  }
  return null;
}

function isRequester(snapshot: PolicySnapshot, requester: DirectoryUser, ref: string): boolean {
  if (ref.startsWith("user:")) return ref.slice(5).toLowerCase() === requester.email;
  if (ref.startsWith("group:")) return snapshot.groups.get(ref.slice(6))?.includes(requester.email) ?? false;
  return false;
}

const groupIndex = new WeakMap<PolicySnapshot, Map<string, string[]>>();
/** The groups each person belongs to, indexed once per snapshot. */
function groupsOf(snapshot: PolicySnapshot, email: string): string[] {
  let index = groupIndex.get(snapshot);
  if (!index) {
    index = new Map();
    for (const [id, members] of snapshot.groups) for (const m of members) index.set(m, [...(index.get(m) ?? []), id]);
    groupIndex.set(snapshot, index);
  }
  return index.get(email) ?? [];
}

function conditionContext(snapshot: PolicySnapshot, requester: DirectoryUser, input: PolicyInput): ConditionContext {
  return {
    requester: {
      email: requester.email,
      name: requester.name,
      groups: groupsOf(snapshot, requester.email),
      manager: requester.managerEmail ?? "",
      timezone: requester.timezone ?? "UTC",
    },
    resource: { app: input.app, id: input.resourceId ?? "", url: input.resourceUrl ?? "", tags: [] },
    request: {
      time: input.at ?? new Date(),
      duration: Duration.fromMilliseconds(input.durationMs ?? 0),
      ip: input.ip ?? "",
      reason: input.reason ?? "",
      ticket: input.ticket ?? "",
    },
  };
}

function matched(
  snapshot: PolicySnapshot,
  requester: DirectoryUser,
  id: string,
  name: string,
  definition: FlowDefinition,
  explain: string[],
): Evaluation {
  const steps = definition.approval === "auto" ? [] : definition.approval.steps.map((step) => resolveStep(snapshot, requester, step));
  const choices = definition.durations.choices;
  return {
    outcome: "matched",
    flow: { id, name },
    requester,
    approval: definition.approval === "auto" ? "auto" : "steps",
    steps,
    durations: choices,
    defaultDuration: definition.durations.default ?? choices[0] ?? "1h",
    requireReason: definition.requireReason,
    explain,
  };
}

/**
 * Resolves a step's approver references to active people. The requester never
 * approves their own request; a step that resolves to nobody goes to the admins.
 */
export function resolveStep(snapshot: PolicySnapshot, requester: DirectoryUser, step: StepDefinition): ResolvedApprovalStep {
  const emails = new Set<string>();
  for (const ref of step.approvers) {
    for (const email of expandRef(snapshot, requester, ref)) emails.add(email);
  }
  const pick = (candidates: Iterable<string>) =>
    [...candidates]
      .map((e) => snapshot.usersByEmail.get(e))
      .filter((u): u is DirectoryUser => !!u && u.active && u.id !== requester.id)
      .sort((a, b) => a.email.localeCompare(b.email));
  let approvers = pick(emails);
  if (approvers.length === 0) approvers = pick(expandRef(snapshot, requester, "admins"));
  return { require: step.require, approvers };
}

function expandRef(snapshot: PolicySnapshot, requester: DirectoryUser, ref: string): string[] {
  if (ref === "manager") return requester.managerEmail ? [requester.managerEmail] : [];
  if (ref === "admins") return [...snapshot.usersByEmail.values()].filter((u) => u.isAdmin).map((u) => u.email);
  if (ref.startsWith("user:")) return [ref.slice(5).toLowerCase()];
  if (ref.startsWith("group:")) return snapshot.groups.get(ref.slice(6)) ?? [];
  return [];
}
