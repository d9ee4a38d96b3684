/**
 * A request's life, as a pure state machine beside the grant's
 * (grant-lifecycle.ts): `transition(request, approvals, event)` says what
 * changes (`patch` for the request row, `settle` for approval rows) and what
 * must happen because of it (`effects`: audit events, notices, messages,
 * opening the next step, the grant), or why the event does not apply. No I/O
 * and no clock: the caller passes `now` and what it looked up (names,
 * reminders), loads the request under its row lock, and writes the result in
 * one transaction (requests/transitions.ts), so every decision is atomic with
 * its audit trail and its notices.
 *
 *   pending ─┬─► approved                     (the last step's quorum is met)
 *            ├─► pending, step + 1            (an earlier step's quorum is met)
 *            ├─► info_requested ─► pending | escalated   (asked, answered: a new round of links)
 *            ├─► escalated ─► …               (an approver passed their part on)
 *            ├─► rejected | cancelled | expired
 *            └─► error                        (the step can no longer be completed) ─► rejected | cancelled
 *
 * The quorum rule (`stepVerdict`) lives here once: the decision that may
 * complete a step and the directory check that may strand one both ask it.
 */
import type { RequestState } from "@gatehouse/shared";

/** Waiting for approvers: their links decide, reminders go to them. */
export const OPEN_FOR_APPROVERS: readonly RequestState[] = ["pending", "escalated"];
/** Not decided yet: deadlines apply, the directory check looks at them. */
export const UNDECIDED: readonly RequestState[] = ["pending", "info_requested", "escalated"];
/** Still to be ended by someone: undecided, or stuck in `error` (the requester cancels; an admin denies or cancels). */
export const ENDABLE: readonly RequestState[] = [...UNDECIDED, "error"];
export const isIn = (states: readonly RequestState[], state: RequestState) => states.includes(state);

export type StepRequire = "any" | "all" | number;
export type ApprovalState = "pending" | "approved" | "rejected" | "superseded" | "escalated";

/** What the machine needs to know of a request. */
export interface RequestFacts {
  id: string;
  requesterId: string;
  state: RequestState;
  step: number;
  steps: readonly { require: StepRequire; approverIds: readonly string[] }[];
  round: number;
  resumeState: RequestState | null;
  /** The duration as it stands: asked, or the shortest an approver chose so far. */
  duration: string;
  wholeAppAllowed: boolean;
  deadlineAt: Date | null;
}

/** One approver's part of one step. */
export interface ApprovalFacts {
  id: string;
  step: number;
  approverId: string;
  state: ApprovalState;
  duration: string | null;
  escalatedFrom: string | null;
}

export interface Person {
  id: string;
  email: string;
  name: string;
}

/** How a request ended (or moved on): what the requester, the chat messages and the webhook are told. */
export type RequestOutcome =
  | { kind: "approved"; by: string; duration: string; wholeApp: boolean }
  | { kind: "rejected"; by: string; note: string }
  | { kind: "cancelled"; by?: string }
  | { kind: "expired" }
  | { kind: "error"; note: string };

/** Why approvers are told about a request. */
export type ApproverReason =
  | { kind: "opened" }
  | { kind: "reminder" }
  | { kind: "answered" }
  | { kind: "escalated"; by: { name: string; email: string } };

export type RequestEvent =
  | {
      type: "approve";
      now: Date;
      by: Person;
      approvalId: string;
      duration: string;
      wholeApp: boolean;
      /** Durations the approver may grant (the flow's offer and the one asked). */
      grantable: readonly string[];
      /** When the next step's approvers would first be reminded. */
      remindAt: Date | null;
      channel: string;
    }
  | { type: "reject"; now: Date; by: Person; approvalId: string; note: string; channel: string }
  | { type: "ask"; now: Date; by: Person; question: string; channel: string }
  | { type: "escalate"; now: Date; by: Person; approvalId: string; to: Person & { active: boolean }; note: string; channel: string }
  | { type: "answer"; now: Date; by: Person; answer: string; remindAt: Date | null }
  | { type: "cancel"; now: Date; by: Person }
  | { type: "admin_end"; now: Date; by: string; action: "deny" | "cancel"; note: string }
  | { type: "deadline_passed"; now: Date }
  | { type: "remind"; now: Date; remindAt: Date | null }
  /** The directory or policy changed: these approvers no longer resolve for the step. */
  | { type: "withdraw"; now: Date; actor: string; approvalIds: readonly string[]; emails: readonly string[] }
  /** The step about to open resolves to nobody, not even an admin. */
  | { type: "step_unresolvable"; now: Date };

export type RequestPatch = Partial<{
  state: RequestState;
  step: number;
  round: number;
  resumeState: RequestState | null;
  duration: string;
  deadlineAt: Date | null;
  remindAt: Date | null;
  decidedAt: Date;
  decisionNote: string | null;
}>;

export interface ApprovalPatch {
  state: ApprovalState;
  decidedAt: Date;
  via?: string;
  note?: string | null;
  duration?: string;
  escalatedTo?: string;
}

export type RequestEffect =
  /** Every other pending part of the step ends with it (their links die). */
  | { kind: "close_step"; step: number }
  | { kind: "audit"; action: string; data: Record<string, unknown>; actor: string }
  | { kind: "message"; kind_: "question" | "answer" | "escalation"; authorId: string; text: string; step: number }
  | { kind: "add_approver"; approverId: string; escalatedFrom: string; step: number }
  /** Tell these approvers (`waiting`: the step's pending ones) through the request's channels, with fresh links. */
  | { kind: "notify_approvers"; who: "waiting" | readonly string[]; reason: ApproverReason }
  | { kind: "notify_requester"; notice: string; line: string | { outcome: RequestOutcome } }
  /** The requester's extension only (no mail): a state the admins handle. */
  | { kind: "notice"; notice: string }
  /** Chat messages and the webhook hear how it ended. */
  | { kind: "announce"; outcome: RequestOutcome }
  | { kind: "publish"; event: string; data: Record<string, unknown> }
  /** The patch moved to the next step: open it (resolved again under the policy of now). */
  | { kind: "open_step" }
  /** The last quorum is met: the request is approved and the grant starts. */
  | { kind: "grant"; duration: string; wholeApp: boolean; actor: string };

export type RequestProblem =
  | "duration_not_allowed"
  | "whole_app_not_allowed"
  | "text_required"
  | "escalation_target"
  | "request_not_open"
  | "not_approver"
  | "not_applicable";

export type Transition =
  | { ok: true; patch: RequestPatch; settle: { approvalId: string; patch: ApprovalPatch }[]; effects: RequestEffect[] }
  | { ok: false; problem: RequestProblem; detail: string };

const no = (problem: RequestProblem, detail = ""): Transition => ({ ok: false, problem, detail });
const ok = (patch: RequestPatch, effects: RequestEffect[], settle: { approvalId: string; patch: ApprovalPatch }[] = []): Transition => ({
  ok: true,
  patch,
  settle,
  effects,
});

/** The shortest of some durations (`indefinite`, or anything unparsable, is the longest). */
export function shortest(list: readonly string[], ms: (d: string) => number | null): string {
  const len = (d: string) => ms(d) ?? Number.POSITIVE_INFINITY;
  return list.reduce((a, b) => (len(b) < len(a) ? b : a));
}

export type StepVerdict = "complete" | "open" | "stranded";

/**
 * Whether a step is done, can still be, or cannot: `any` completes with one
 * approval, `all` when nobody is left pending, N with N approvals. A step
 * nobody is left to approve, or whose quorum the people left cannot reach,
 * is stranded. A quorum's set always holds at least N people
 * (policy/evaluate.ts), so a fresh step can complete.
 */
export function stepVerdict(require: StepRequire, parts: readonly Pick<ApprovalFacts, "state">[]): StepVerdict {
  const approved = parts.filter((p) => p.state === "approved").length;
  const pending = parts.filter((p) => p.state === "pending").length;
  if (require === "any" ? approved > 0 : require === "all" ? pending === 0 && approved > 0 : approved >= require) return "complete";
  if (pending === 0 || (typeof require === "number" && approved + pending < require)) return "stranded";
  return "open";
}

/** The approvals of the request's current step. */
const atStep = (request: RequestFacts, approvals: readonly ApprovalFacts[]) => approvals.filter((a) => a.step === request.step);

/** Everything a request ending without a grant does (rejected, cancelled, expired): the links die, everyone is told. */
function end(
  request: RequestFacts,
  state: "rejected" | "cancelled" | "expired",
  note: string | null,
  outcome: RequestOutcome,
  now: Date,
  audit: RequestEffect[],
  before: RequestEffect[] = [],
): Transition {
  const notice = { rejected: "request.rejected", cancelled: "request.cancelled", expired: "request.expired" }[state];
  return ok({ state, decidedAt: now, decisionNote: note, remindAt: null, deadlineAt: null }, [
    { kind: "close_step", step: request.step },
    ...before,
    { kind: "notify_requester", notice, line: { outcome } },
    { kind: "announce", outcome },
    { kind: "publish", event: "request.decided", data: { outcome: state, note } },
    ...audit,
  ]);
}

/** The last approval's patch: the request is decided, nothing more is due on it. */
export const approvedPatch = (now: Date, duration: string): RequestPatch => ({
  state: "approved",
  decidedAt: now,
  duration,
  remindAt: null,
  deadlineAt: null,
});

/** The rule for an escalation target: an active person, not the requester, not the approver, not part of the request already. */
export function escalationProblem(
  request: RequestFacts,
  approvals: readonly ApprovalFacts[],
  by: Person,
  to: Person & { active: boolean },
): string | null {
  if (!to.active) return `${to.email} is not an active person of the directory.`;
  if (to.id === request.requesterId) return "The requester cannot approve their own request.";
  if (to.id === by.id) return "Choose someone other than yourself.";
  if (atStep(request, approvals).some((a) => a.approverId === to.id)) return `${to.name} is already an approver of this step.`;
  // One person, one part: nobody approves two steps of the same request.
  const elsewhere = request.steps.some((s, i) => i !== request.step && s.approverIds.includes(to.id));
  const decided = approvals.some((a) => a.approverId === to.id && a.state === "approved");
  if (elsewhere || decided) return `${to.name} approves another step of this request; choose someone else.`;
  return null;
}

/**
 * What an event does to a request. `approvals` are all of the request's
 * approval rows; `durationMs` parses durations (shared's parser, passed in
 * so the machine stays free of the schema package's runtime).
 */
export function transition(
  request: RequestFacts,
  approvals: readonly ApprovalFacts[],
  event: RequestEvent,
  durationMs: (d: string) => number | null,
): Transition {
  const now = event.now;
  switch (event.type) {
    case "approve": {
      if (!isIn(OPEN_FOR_APPROVERS, request.state)) return no("request_not_open", `This request is ${request.state}`);
      const mine = approvals.find((a) => a.id === event.approvalId);
      if (mine?.state !== "pending" || mine.step !== request.step) return no("not_approver");
      if (!event.grantable.includes(event.duration)) return no("duration_not_allowed");
      if (event.wholeApp && !request.wholeAppAllowed) return no("whole_app_not_allowed");
      const settle = [
        { approvalId: mine.id, patch: { state: "approved" as const, decidedAt: now, via: event.channel, duration: event.duration } },
      ];
      const after = approvals.map((a) => (a.id === mine.id ? { ...a, state: "approved" as const, duration: event.duration } : a));
      // Nobody grants more than any approver of the request approved: the shortest duration chosen so far holds.
      const duration = shortest(
        after.filter((a) => a.state === "approved").map((a) => a.duration ?? request.duration),
        durationMs,
      );
      const audit: RequestEffect = {
        kind: "audit",
        actor: event.by.email,
        action: "approval.approved",
        data: { step: request.step, duration: event.duration, wholeApp: event.wholeApp, channel: event.channel },
      };
      const step = request.steps[request.step];
      if (stepVerdict(step?.require ?? 1, atStep(request, after)) !== "complete") return ok({ duration }, [audit], settle);
      // The other parts still pending end with the step (none left: nothing to close, a statement saved).
      const close: RequestEffect[] = atStep(request, after).some((a) => a.state === "pending")
        ? [{ kind: "close_step", step: request.step }]
        : [];
      if (request.step + 1 < request.steps.length) {
        return ok(
          { step: request.step + 1, duration, state: "pending", remindAt: event.remindAt },
          [
            ...close,
            audit,
            { kind: "publish", event: "request.step_approved", data: { step: request.step, actor: event.by.email } },
            {
              kind: "notify_requester",
              notice: "request.advanced",
              line: `${event.by.name} approved step ${request.step + 1}; step ${request.step + 2} of ${request.steps.length} is next.`,
            },
            { kind: "open_step" },
          ],
          settle,
        );
      }
      return ok(
        approvedPatch(now, duration),
        [...close, audit, { kind: "grant", duration, wholeApp: event.wholeApp, actor: event.by.email }],
        settle,
      );
    }

    case "reject": {
      if (!isIn(OPEN_FOR_APPROVERS, request.state)) return no("request_not_open", `This request is ${request.state}`);
      const mine = approvals.find((a) => a.id === event.approvalId);
      if (mine?.state !== "pending" || mine.step !== request.step) return no("not_approver");
      const t = end(
        request,
        "rejected",
        event.note || null,
        { kind: "rejected", by: event.by.email, note: event.note },
        now,
        [{ kind: "audit", actor: event.by.email, action: "request.rejected", data: { note: event.note } }],
        [
          {
            kind: "audit",
            actor: event.by.email,
            action: "approval.rejected",
            data: { step: request.step, note: event.note, channel: event.channel },
          },
        ],
      );
      if (t.ok)
        t.settle.push({ approvalId: mine.id, patch: { state: "rejected", decidedAt: now, note: event.note || null, via: event.channel } });
      return t;
    }

    case "ask": {
      if (!isIn(OPEN_FOR_APPROVERS, request.state)) return no("request_not_open", `This request is ${request.state}`);
      const question = event.question.trim();
      if (!question) return no("text_required", "Write the question for the requester.");
      // Every link of the step stops deciding until the answer starts a new round.
      return ok({ state: "info_requested", resumeState: request.state, remindAt: null }, [
        { kind: "message", kind_: "question", authorId: event.by.id, text: question.slice(0, 2000), step: request.step },
        {
          kind: "audit",
          actor: event.by.email,
          action: "request.info_requested",
          data: { step: request.step, question, channel: event.channel },
        },
        { kind: "notify_requester", notice: "request.info_requested", line: `${event.by.name} asks: “${question}”` },
        { kind: "publish", event: "request.info_requested", data: { actor: event.by.email, question } },
      ]);
    }

    case "escalate": {
      if (!isIn(OPEN_FOR_APPROVERS, request.state)) return no("request_not_open", `This request is ${request.state}`);
      const mine = approvals.find((a) => a.id === event.approvalId);
      if (mine?.state !== "pending" || mine.step !== request.step) return no("not_approver");
      const problem = escalationProblem(request, approvals, event.by, event.to);
      if (problem) return no("escalation_target", problem);
      const { by, to, note } = event;
      // The approver's part ends as `escalated` (their link dies); the target gets a part and a link of their own.
      return ok(
        { state: "escalated" },
        [
          { kind: "add_approver", approverId: to.id, escalatedFrom: by.id, step: request.step },
          ...(note
            ? [{ kind: "message", kind_: "escalation", authorId: by.id, text: note.slice(0, 2000), step: request.step } as const]
            : []),
          {
            kind: "audit",
            actor: by.email,
            action: "request.escalated",
            data: { step: request.step, from: by.email, to: to.email, note, channel: event.channel },
          },
          { kind: "notify_approvers", who: [to.id], reason: { kind: "escalated", by: { name: by.name, email: by.email } } },
          { kind: "notify_requester", notice: "request.escalated", line: `${by.name} passed your request to ${to.name}.` },
          { kind: "publish", event: "request.escalated", data: { from: by.email, to: to.email } },
        ],
        [
          {
            approvalId: mine.id,
            patch: { state: "escalated", decidedAt: now, note: note || null, via: event.channel, escalatedTo: to.id },
          },
        ],
      );
    }

    case "answer": {
      if (request.state !== "info_requested") return no("request_not_open", "Nobody is waiting for an answer on this request");
      // Back to where it was, with a new round: every older link of the request dies, the waiting approvers get new ones.
      return ok({ state: request.resumeState ?? "pending", resumeState: null, round: request.round + 1, remindAt: event.remindAt }, [
        { kind: "message", kind_: "answer", authorId: event.by.id, text: event.answer, step: request.step },
        { kind: "audit", actor: event.by.email, action: "request.info_answered", data: { step: request.step, answer: event.answer } },
        { kind: "notify_approvers", who: "waiting", reason: { kind: "answered" } },
        { kind: "publish", event: "request.info_answered", data: { actor: event.by.email, answer: event.answer } },
      ]);
    }

    case "cancel":
      if (!isIn(ENDABLE, request.state)) return no("request_not_open", `This request is already ${request.state}`);
      return end(request, "cancelled", null, { kind: "cancelled" }, now, [
        { kind: "audit", actor: event.by.email, action: "request.cancelled", data: { from: request.state } },
      ]);

    case "admin_end": {
      if (!isIn(ENDABLE, request.state)) return no("request_not_open", `This request is already ${request.state}`);
      const state = event.action === "deny" ? "rejected" : "cancelled";
      const outcome: RequestOutcome =
        event.action === "deny" ? { kind: "rejected", by: event.by, note: event.note } : { kind: "cancelled", by: event.by };
      return end(request, state, event.note || null, outcome, now, [
        { kind: "audit", actor: event.by, action: `request.${state}`, data: { note: event.note, by: "admin", from: request.state } },
      ]);
    }

    case "deadline_passed":
      if (!isIn(UNDECIDED, request.state)) return no("request_not_open", `This request is ${request.state}`);
      if (!request.deadlineAt || request.deadlineAt > now) return no("not_applicable", "The deadline has not passed");
      return end(request, "expired", "Nobody decided before the deadline.", { kind: "expired" }, now, [
        {
          kind: "audit",
          actor: "relay",
          action: "request.expired",
          data: { step: request.step, deadlineAt: request.deadlineAt.toISOString(), from: request.state },
        },
      ]);

    case "remind": {
      if (!isIn(OPEN_FOR_APPROVERS, request.state)) return no("request_not_open", `This request is ${request.state}`);
      const approverIds = atStep(request, approvals)
        .filter((a) => a.state === "pending")
        .map((a) => a.approverId);
      return ok({ remindAt: event.remindAt }, [
        { kind: "notify_approvers", who: approverIds, reason: { kind: "reminder" } },
        { kind: "audit", actor: "relay", action: "request.reminded", data: { step: request.step, approverIds } },
        { kind: "publish", event: "request.reminded", data: { step: request.step, approverIds } },
      ]);
    }

    case "withdraw":
      return withdraw(request, approvals, event);

    case "step_unresolvable": {
      const note = `Step ${request.step + 1} resolves to nobody any more, not even an admin. An admin must deny or cancel it; the requester can ask again.`;
      return ok({ state: "error", decidedAt: now, decisionNote: note, remindAt: null }, [
        { kind: "audit", actor: "relay", action: "request.error", data: { step: request.step } },
        { kind: "notify_requester", notice: "request.error", line: note },
      ]);
    }
  }
}

/**
 * Approvers who no longer resolve lose their part (their links die). What is
 * left must still be able to complete the step; otherwise the request needs
 * an admin (`error`). A part that was passed on and is now gone, or an `all`
 * step whose last open part went, is not completed behind anyone's back.
 */
function withdraw(
  request: RequestFacts,
  approvals: readonly ApprovalFacts[],
  event: Extract<RequestEvent, { type: "withdraw" }>,
): Transition {
  if (!isIn(UNDECIDED, request.state)) return no("request_not_open", `This request is ${request.state}`);
  const gone = new Set(event.approvalIds);
  const withdrawn = atStep(request, approvals).filter((a) => gone.has(a.id) && a.state === "pending");
  if (withdrawn.length === 0) return no("not_applicable", "Nobody to withdraw");
  const { now, actor, emails } = event;
  const settle = withdrawn.map((a) => ({
    approvalId: a.id,
    patch: { state: "superseded" as const, decidedAt: now, note: "withdrawn: no longer an approver" },
  }));
  const audit: RequestEffect = { kind: "audit", actor, action: "approval.withdrawn", data: { step: request.step, approvers: [...emails] } };
  // Who escalated (or was overtaken) no longer counts.
  const left = atStep(request, approvals).filter((a) => !gone.has(a.id) && (a.state === "pending" || a.state === "approved"));
  const require = request.steps[request.step]?.require ?? "any";
  const delegatedPartGone = withdrawn.some((a) => a.escalatedFrom);
  // Still open means someone is left to ask and the quorum is reachable; `complete` after a withdrawal
  // (an `all` step whose last open part went) is not taken as approval either.
  if (!delegatedPartGone && stepVerdict(require, left) === "open") return ok({}, [audit], settle);
  const one = emails.length === 1;
  const note = `Step ${request.step + 1} can no longer be approved: ${emails.join(", ")} ${one ? "is" : "are"} no longer ${one ? "an approver" : "approvers"} (deactivated, or no longer in the group, the manager or the owner the flow names). An admin must deny or cancel it; the requester can ask again.`;
  return ok(
    { state: "error", decidedAt: now, decisionNote: note, remindAt: null },
    [
      audit,
      { kind: "audit", actor, action: "request.error", data: { step: request.step, approvers: [...emails] } },
      // The requester's extension shows it; the admins see it among open requests.
      { kind: "notice", notice: "request.error" },
    ],
    settle,
  );
}
