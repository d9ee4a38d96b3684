import { durationMs } from "@gatehouse/shared";
import { type DirectoryUser, FALLBACK_FLOW_ID, type Flow, type FlowDefinition, type PolicySnapshot, type StepDefinition } from "./model.ts";

export interface PolicyInput {
  requesterEmail: string;
  app: string;
  resourceId: string | null;
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
    const why = whyNotMatching(flow, input);
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

function whyNotMatching(flow: Flow, input: PolicyInput): string | null {
  if (!flow.enabled) return "disabled";
  if (!flow.definition.apps.includes(input.app)) return `app '${input.app}' is not one of ${flow.definition.apps.join(", ")}`;
  return null;
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
