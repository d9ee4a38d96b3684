import { durationMs, formatDuration } from "@gatehouse/shared";
import { evaluatePolicy, requestProblem, resourceTagsOf } from "./evaluate.ts";
import type { PolicySnapshot } from "./model.ts";
import { renderTarget, TemplateError } from "./template.ts";

export interface SimulateInput {
  requester: string;
  app: string;
  resource: string | null;
  duration: string;
  at?: Date | undefined;
  reason?: string | undefined;
  ticket?: string | undefined;
  ip?: string | undefined;
}

export type SimulateCode =
  | "unknown_requester"
  | "inactive_requester"
  | "no_flow"
  | "duration_not_allowed"
  | "duration_exceeds_max"
  | "reason_required"
  | "ticket_invalid"
  /** A step resolves to nobody, not even an admin: the relay refuses such a request (problem `no_approver`). */
  | "no_approver";

export interface SimulateResult {
  outcome: "auto_approved" | "needs_approval" | "denied";
  flow: string | null;
  code?: SimulateCode;
  steps: { require: "any" | "all" | number; approvers: string[] }[];
  duration: string | null;
  explain: string[];
  /** Where the grant would go: the flow's provider and its target rendered for this request (null: nothing is provisioned). */
  provisioning?: { provider: string; target: Record<string, string> | null; error?: string; activation: "on_approval" | "on_start" } | null;
}

/**
 * What the relay would do with a request, without making one: the answer
 * `gatehouse simulate` prints and the admin UI shows. Pure.
 */
export function simulate(snapshot: PolicySnapshot, input: SimulateInput): SimulateResult {
  const e = evaluatePolicy(snapshot, {
    requesterEmail: input.requester,
    app: input.app,
    resourceId: input.resource,
    at: input.at,
    durationMs: durationMs(input.duration),
    reason: input.reason,
    ticket: input.ticket,
    ip: input.ip,
  });
  if (e.outcome === "denied") return { outcome: "denied", flow: null, code: e.code, steps: [], duration: null, explain: e.explain };
  const steps = e.steps.map((s) => ({ require: s.require, approvers: s.approvers.map((u) => u.email) }));
  const denied = (code: SimulateCode, why: string): SimulateResult => ({
    outcome: "denied",
    flow: e.flow.id,
    code,
    steps,
    duration: null,
    explain: [...e.explain, why],
  });
  const problem = requestProblem(e, input);
  if (problem) return denied(problem.code, `${e.flow.id}: ${problem.detail}`);
  const empty = steps.findIndex((step) => step.approvers.length === 0);
  if (empty >= 0) return denied("no_approver", `${e.flow.id}: step ${empty + 1} resolves to nobody, not even an admin`);
  return {
    outcome: e.approval === "auto" ? "auto_approved" : "needs_approval",
    flow: e.flow.id,
    steps,
    // Written the one way durations are written: 240m is 4h.
    duration: durationMs(input.duration) === null ? input.duration : formatDuration(durationMs(input.duration) as number),
    provisioning: provisioningPlan(snapshot, e.flow.id, input),
    explain: e.explain,
  };
}

/** The provisioning plan of a request under a flow: the provider and the target its templates give. */
function provisioningPlan(snapshot: PolicySnapshot, flowId: string, input: SimulateInput): SimulateResult["provisioning"] {
  const flow = snapshot.flows.find((f) => f.id === flowId)?.definition;
  if (!flow?.grant) return null;
  const requester = snapshot.usersByEmail.get(input.requester.toLowerCase());
  const groups = [...snapshot.groups].filter(([, members]) => members.includes(requester?.email ?? "")).map(([id]) => id);
  const activation = flow.activation ?? "on_approval";
  try {
    const target = renderTarget(flow.grant.target, {
      requester: {
        email: requester?.email ?? input.requester,
        name: requester?.name ?? "",
        groups,
        manager: requester?.managerEmail ?? "",
        timezone: requester?.timezone ?? "UTC",
        accounts: requester?.accounts ?? {},
      },
      resource: {
        app: input.app,
        id: input.resource ?? "",
        name: "",
        url: "",
        tags: resourceTagsOf(snapshot.resourceTags ?? [], input.app, input.resource),
      },
      request: { duration: input.duration, reason: input.reason ?? "", ticket: input.ticket ?? "" },
    });
    return { provider: flow.grant.provider, target, activation };
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    return { provider: flow.grant.provider, target: null, error: err.message, activation };
  }
}
