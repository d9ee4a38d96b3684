import { durationMs, formatDuration } from "@gatehouse/shared";
import { evaluatePolicy, requestProblem } from "./evaluate.ts";
import type { PolicySnapshot } from "./model.ts";

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
    explain: e.explain,
  };
}
