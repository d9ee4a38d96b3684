/**
 * Manual provisioning tasks, as pure rules: what a round of tasks records,
 * whether a task link may still answer, and how a task is put in words for
 * mails, chat and the task page. A round lives on its provider call's outbox
 * row (`response.task`), so the call, its tasks and its answer change
 * together, in one transaction, exactly once (grants/task-desk.ts and
 * grants/task-answers.ts do the I/O).
 */
import type { ProviderAction } from "./grant-lifecycle.ts";

/** One sending of a call's tasks to its operators. An admin's retry clears it, so the next call sends a new round. */
export interface TaskRound {
  /** Random: links carry it, so links of an earlier round no longer answer. */
  round: string;
  openedAt: string;
  deadlineAt: string;
  operators: string[];
  answer?: TaskAnswer;
}

export interface TaskAnswer {
  by: string;
  at: string;
  outcome: "done" | "cannot_do";
  note: string | null;
}

/** The round stored on a call's row, or null (no tasks sent yet, or a retry cleared them). */
export function taskRoundOf(response: Record<string, unknown> | null | undefined): TaskRound | null {
  const task = response?.task as Partial<TaskRound> | undefined;
  if (!task || typeof task.round !== "string" || typeof task.deadlineAt !== "string" || !Array.isArray(task.operators)) return null;
  return task as TaskRound;
}

/** What a task link finds: the task still open for this operator, or why it no longer answers. */
export type TaskLinkState =
  | { kind: "open"; round: TaskRound }
  | { kind: "handled"; answer: TaskAnswer }
  /** The call is over without an operator's answer: the grant ended first, or nobody answered in time. */
  | { kind: "closed"; reason: "cancelled" | "gave_up"; detail: string | null }
  /** An admin's retry sent the task again: the newer mail has the live link. */
  | { kind: "superseded" }
  | { kind: "not_operator" };

/** The call as the rules need it: its outbox state, last error and stored round. */
export interface TaskCall {
  state: string;
  lastError: string | null;
  response: Record<string, unknown> | null;
}

/**
 * Whether a link (operator, round) may answer the call now. An answer is
 * named first whatever the link's round, so every operator learns who did
 * it; a call that is no longer waiting answers nothing. A late answer while
 * the relay has not yet recorded the deadline still counts: the work is done.
 */
export function taskLinkState(call: TaskCall, link: { operator: string; round: string }): TaskLinkState {
  const round = taskRoundOf(call.response);
  if (round?.answer) return { kind: "handled", answer: round.answer };
  if (call.state === "cancelled") return { kind: "closed", reason: "cancelled", detail: call.lastError };
  if (call.state !== "pending" && call.state !== "waiting") return { kind: "closed", reason: "gave_up", detail: call.lastError };
  if (!round || round.round !== link.round) return { kind: "superseded" };
  if (!round.operators.includes(link.operator)) return { kind: "not_operator" };
  return { kind: "open", round };
}

/** What the task is about, for its mail, chat message and page. */
export interface TaskFacts {
  action: ProviderAction;
  provider: string;
  requester: { name: string; email: string };
  app: string;
  /** null: the whole app. */
  resource: string | null;
  /** The approved length (the clock starts when an operator confirms a grant). */
  duration: string;
  endsAt: Date | null;
  /** The flow's `grant.target`, templates filled in: the operator's instructions. */
  target: Record<string, string>;
  deadlineAt: Date;
}

export const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;

export function taskHeadline(f: Pick<TaskFacts, "action" | "requester">): string {
  const who = f.requester.name || f.requester.email;
  if (f.action === "grant") return `Give ${who} access`;
  if (f.action === "revoke") return `Remove ${who}'s access`;
  return `${who}'s access was extended`;
}

/** The task's facts as label/value pairs (escaped by whoever renders them). */
export function taskFactRows(f: TaskFacts): [string, string][] {
  const when: [string, string] =
    f.action === "grant"
      ? ["For", f.duration === "indefinite" ? "until revoked" : `${f.duration}, counted from your confirmation`]
      : f.action === "revoke"
        ? ["Access ended", f.endsAt ? utc(f.endsAt) : "now"]
        : ["Now ends", f.endsAt ? utc(f.endsAt) : "when revoked"];
  return [
    ["Requester", `${f.requester.name} <${f.requester.email}>`],
    ["App", f.app],
    ["Resource", f.resource ?? "(whole app)"],
    when,
    ["Provider", f.provider],
  ];
}

/** What the operator is asked to confirm, under the instructions. */
export function taskAsk(action: ProviderAction): string {
  if (action === "grant") return "Make the change in the app, then press Done: the requester is told their access is in place.";
  if (action === "revoke") return "Remove the access in the app, then press Done: the grant ends only once you confirm.";
  return "If the access has an end date in the app, move it; then press Done.";
}
