import { durationMs } from "@gatehouse/shared";
import { and, eq, or } from "drizzle-orm";
import type { Outcome } from "../channels/message.ts";
import { outcomeLine } from "../channels/message.ts";
import type { Relay } from "../context.ts";
import { offeredDurations } from "../core/policy/durations.ts";
import type { PolicySnapshot } from "../core/policy/model.ts";
import type { Db, Tx } from "../db/client.ts";
import { accessFlows, approvals, type grants, magicLinkUses, requestMessages, requests, users } from "../db/schema/index.ts";
import { appendAudit, unitOfWork } from "../db/unit-of-work.ts";
import type { RequestMeta } from "../devices/service.ts";
import { type DecisionLinkClaims, verifyDecisionLink } from "../keys/signing.ts";
import { currentPolicySnapshot, loadApprovalSettings } from "../policy/snapshot.ts";
import { loadRequestContext, type RequestContext, type RequestRow, type UserRow } from "./context.ts";
import { announceOutcome, notifyApprovers, notifyRequester, publishEvent } from "./notify.ts";
import { approveFinally, nextReminder, openStep } from "./service.ts";
import { isIn, OPEN_FOR_APPROVERS } from "./states.ts";

type GrantRow = typeof grants.$inferSelect;
type ApprovalRow = typeof approvals.$inferSelect;

export type LinkProblem =
  | "invalid" // tampered, foreign key, wrong audience…
  | "expired"
  | "used" // this link already decided something
  | "decided" // the request was decided, or moved on (another step, a new round), without this link
  | "waiting" // an approver asked the requester a question: links decide again once it is answered
  | "not_approver"; // the approver is no longer asked at this step

type LinkCheck =
  | { ok: true; request: RequestRow; approval: ApprovalRow; approver: UserRow }
  | { ok: false; problem: LinkProblem; request?: RequestRow };

/**
 * Whether a verified link may still decide its request, and if not, why. The
 * one place these rules live: GET runs it to render, POST runs it again inside
 * the decision's transaction with the request row locked.
 */
async function checkLink(q: Db | Tx, claims: DecisionLinkClaims, lockRequest: boolean): Promise<LinkCheck> {
  // A decision locks the request row in a statement of its own, first: the reads after it then see
  // whatever a concurrent decision committed while this one waited (a join in the locking statement
  // would re-check the request row only, and keep the approval row as it was before the wait).
  if (lockRequest) {
    const [locked] = await q.select({ id: requests.id }).from(requests).where(eq(requests.id, claims.requestId)).for("update");
    if (!locked) return { ok: false, problem: "invalid" };
  }
  // One round trip: the request, this approver's row at the link's step, the approver, and whether the link was used.
  const [row] = await q
    .select({ request: requests, approval: approvals, approver: users, used: magicLinkUses.jti })
    .from(requests)
    .leftJoin(
      approvals,
      and(eq(approvals.requestId, requests.id), eq(approvals.step, claims.step), eq(approvals.approverId, claims.approverId)),
    )
    .leftJoin(users, eq(users.id, claims.approverId))
    .leftJoin(magicLinkUses, eq(magicLinkUses.jti, claims.jti))
    .where(eq(requests.id, claims.requestId));
  if (!row) return { ok: false, problem: "invalid" };
  const { request, approval, approver } = row;
  if (row.used) return { ok: false, problem: "used", request };
  if (request.state === "info_requested" && request.step === claims.step) return { ok: false, problem: "waiting", request };
  const open = isIn(OPEN_FOR_APPROVERS, request.state);
  if (!open || request.step !== claims.step || request.round !== claims.round) return { ok: false, problem: "decided", request };
  if (approval?.state !== "pending" || !approver?.active || approver.id === request.requesterId) {
    return { ok: false, problem: "not_approver", request };
  }
  return { ok: true, request, approval, approver };
}

/** The shortest of some durations (`indefinite` is the longest). */
function shortest(list: string[]): string {
  const ms = (d: string) => durationMs(d) ?? Number.POSITIVE_INFINITY;
  return list.reduce((a, b) => (ms(b) < ms(a) ? b : a));
}

/** Thrown inside a decision's transaction to undo it: the approval was no longer pending. */
class Overtaken extends Error {}

/** Moves this approver's row out of `pending`, or undoes the whole decision if someone got there first. */
async function settleApproval(tx: Tx, approvalId: string, set: Partial<ApprovalRow>): Promise<void> {
  const changed = await tx
    .update(approvals)
    .set(set)
    .where(and(eq(approvals.id, approvalId), eq(approvals.state, "pending")))
    .returning({ id: approvals.id });
  if (changed.length === 0) throw new Overtaken();
}

/**
 * Durations an approver may grant: the flow's offered durations, and the one
 * asked for (a custom duration is not among them). Only the one asked for
 * when the flow is built in (fallback) or no longer exists.
 */
async function grantableDurations(q: Db | Tx, request: RequestRow): Promise<string[]> {
  const [flow] = await q.select({ definition: accessFlows.definition }).from(accessFlows).where(eq(accessFlows.id, request.flowId));
  if (!flow) return [request.duration];
  const offered = offeredDurations(flow.definition.durations);
  return offered.includes(request.duration) ? offered : [...offered, request.duration];
}

export interface LinkContext {
  claims: DecisionLinkClaims;
  request: RequestRow;
  approver: UserRow;
  ctx: RequestContext;
  /** What the approver may grant (see `grantableDurations`). */
  durations: string[];
  /** People the approver may escalate to: their manager and the admins, as suggestions. */
  suggestions: { email: string; name: string }[];
}

/** Checks a decision link without changing anything (what GET does). */
export async function inspectLink(
  relay: Relay,
  token: string,
): Promise<{ ok: true; link: LinkContext } | { ok: false; problem: LinkProblem; request?: RequestRow }> {
  const verified = await verifyDecisionLink(relay.keys, relay.env.publicUrl, token, relay.clock.now());
  if (!verified.ok) return { ok: false, problem: verified.reason };
  const { claims } = verified;
  const { db } = relay.database;
  const check = await checkLink(db, claims, false);
  if (!check.ok) return check;
  const { request, approver } = check;
  const ctx = await loadRequestContext(db, request);
  // Suggestions only (any active person may be chosen): the approver's manager, then the admins.
  const people = await db
    .select({ email: users.email, name: users.name, isAdmin: users.isAdmin })
    .from(users)
    .where(and(eq(users.active, true), or(eq(users.isAdmin, true), eq(users.email, approver.managerEmail ?? ""))));
  const suggestions = people
    .filter((u) => u.email !== approver.email && u.email !== ctx.requester.email)
    .sort((a, b) => Number(a.isAdmin) - Number(b.isAdmin))
    .map(({ email, name }) => ({ email, name }));
  return {
    ok: true,
    link: {
      claims,
      request,
      approver,
      ctx,
      durations: await grantableDurations(db, request),
      suggestions,
    },
  };
}

export type Decision =
  | { action: "approve"; duration: string; wholeApp: boolean }
  | { action: "reject"; note: string }
  | { action: "ask"; question: string }
  | { action: "escalate"; to: string; note: string };

export type DecisionProblem = LinkProblem | "duration_not_allowed" | "whole_app_not_allowed" | "escalation_target" | "text_required";

export type DecisionResult =
  | {
      ok: true;
      outcome: "approved" | "rejected" | "advanced" | "recorded" | "asked" | "escalated";
      request: RequestRow;
      grant: GrantRow | null;
      /** For escalations: who was asked instead. */
      target?: { name: string; email: string };
    }
  | { ok: false; problem: DecisionProblem; detail?: string };

/**
 * Records an approver's decision exactly once. The request row is locked, the
 * link's `jti` is inserted under a primary key, and every check is repeated
 * inside the transaction, so two clicks at the same moment (two tabs, two
 * approvers of an `any` step) decide once; the other is told it was decided.
 */
export async function decide(relay: Relay, token: string, decision: Decision, meta: RequestMeta, via = "email"): Promise<DecisionResult> {
  const verified = await verifyDecisionLink(relay.keys, relay.env.publicUrl, token, relay.clock.now());
  if (!verified.ok) return { ok: false, problem: verified.reason };
  const { claims } = verified;
  const now = relay.clock.now();
  // Read before the transaction (PGlite has one connection): a later step opens under the policy of now.
  const snapshot = decision.action === "approve" ? await currentPolicySnapshot(relay.database.db) : undefined;
  try {
    return await decideIn(relay, claims, decision, meta, via, now, snapshot);
  } catch (e) {
    if (e instanceof Overtaken) return { ok: false, problem: "decided" };
    throw e;
  }
}

async function decideIn(
  relay: Relay,
  claims: DecisionLinkClaims,
  decision: Decision,
  meta: RequestMeta,
  via: string,
  now: Date,
  snapshot: PolicySnapshot | undefined,
): Promise<DecisionResult> {
  return unitOfWork(relay.database.db, async (tx): Promise<DecisionResult> => {
    const check = await checkLink(tx, claims, true);
    if (!check.ok) return { ok: false, problem: check.problem };
    const { request, approval, approver } = check;

    // Everything the decision needs is checked before anything is written.
    let target: UserRow | undefined;
    if (decision.action === "approve") {
      if (!(await grantableDurations(tx, request)).includes(decision.duration)) return { ok: false, problem: "duration_not_allowed" };
      if (decision.wholeApp && !request.wholeAppAllowed) return { ok: false, problem: "whole_app_not_allowed" };
    } else if (decision.action === "ask" && !decision.question.trim()) {
      return { ok: false, problem: "text_required", detail: "Write the question for the requester." };
    } else if (decision.action === "escalate") {
      const found = await escalationTarget(tx, request, approver, decision.to);
      if ("problem" in found) return { ok: false, problem: "escalation_target", detail: found.problem };
      target = found.user;
    }

    const inserted = await tx
      .insert(magicLinkUses)
      .values({ jti: claims.jti, requestId: request.id, approverId: approver.id, outcome: decision.action, usedAt: now })
      .onConflictDoNothing()
      .returning();
    if (inserted.length === 0) return { ok: false, problem: "used" };

    const audit = { at: now, actor: approver.email, requestId: request.id, ...meta };
    switch (decision.action) {
      case "reject":
        return reject(relay, tx, request, approval, approver, decision.note, via, audit);
      case "ask":
        return ask(relay, tx, request, approver, decision.question.trim(), via, audit);
      case "escalate":
        return escalate(relay, tx, request, approval, approver, target as UserRow, decision.note, via, audit);
      case "approve":
        return approve(relay, tx, request, approval, approver, decision, via, audit, meta, snapshot);
    }
  });
}

type Audit = { at: Date; actor: string; requestId: string; ip: string | null; userAgent: string | null };

async function approve(
  relay: Relay,
  tx: Tx,
  request: RequestRow,
  approval: ApprovalRow,
  approver: UserRow,
  decision: { duration: string; wholeApp: boolean },
  via: string,
  audit: Audit,
  meta: RequestMeta,
  snapshot?: PolicySnapshot,
): Promise<DecisionResult> {
  const now = audit.at;
  const { wholeApp } = decision;
  await settleApproval(tx, approval.id, { state: "approved", decidedAt: now, via, duration: decision.duration });
  await appendAudit(tx, {
    ...audit,
    action: "approval.approved",
    data: { step: request.step, duration: decision.duration, wholeApp, channel: via },
  });
  // Nobody grants more than any approver of the request approved: the shortest duration chosen so far holds.
  const chosen = await tx
    .select({ duration: approvals.duration })
    .from(approvals)
    .where(and(eq(approvals.requestId, request.id), eq(approvals.state, "approved")));
  const duration = shortest(chosen.map((c) => c.duration ?? request.duration));

  const step = request.steps[request.step];
  const rows = await tx
    .select()
    .from(approvals)
    .where(and(eq(approvals.requestId, request.id), eq(approvals.step, request.step)));
  const pending = rows.filter((r) => r.state === "pending").length;
  const approved = rows.filter((r) => r.state === "approved").length;
  // A quorum's set always holds at least N people (policy/evaluate.ts), so it can complete.
  const done = step?.require === "any" ? true : step?.require === "all" ? pending === 0 : approved >= (step?.require ?? 1);
  if (!done) {
    await tx.update(requests).set({ duration }).where(eq(requests.id, request.id));
    return { ok: true, outcome: "recorded", request: { ...request, duration }, grant: null };
  }
  await closeStep(tx, request.id, request.step, now);
  if (request.step + 1 < request.steps.length) {
    const settings = await loadApprovalSettings(tx);
    const [advanced] = await tx
      .update(requests)
      .set({ step: request.step + 1, duration, state: "pending", remindAt: nextReminder(now, settings.remindAfter, request.deadlineAt) })
      .where(eq(requests.id, request.id))
      .returning();
    if (!advanced) throw new Error("request vanished");
    await publishEvent(relay, tx, "request.step_approved", advanced, { step: request.step, actor: approver.email }, now);
    await notifyRequester(
      relay,
      tx,
      advanced,
      "request.advanced",
      `${approver.name} approved step ${request.step + 1}; step ${request.step + 2} of ${request.steps.length} is next.`,
      now,
    );
    await openStep(relay, tx, advanced, { kind: "opened" }, now, snapshot);
    return { ok: true, outcome: "advanced", request: advanced, grant: null };
  }
  const final = await approveFinally(relay, tx, request, { duration, wholeApp }, approver.email, now, meta);
  return { ok: true, outcome: "approved", request: final.request, grant: final.grant };
}

async function reject(
  relay: Relay,
  tx: Tx,
  request: RequestRow,
  approval: ApprovalRow,
  approver: UserRow,
  note: string,
  via: string,
  audit: Audit,
): Promise<DecisionResult> {
  const now = audit.at;
  await settleApproval(tx, approval.id, { state: "rejected", decidedAt: now, note: note || null, via });
  await appendAudit(tx, { ...audit, action: "approval.rejected", data: { step: request.step, note, channel: via } });
  const rejected = await endRequest(relay, tx, request, "rejected", note || null, { kind: "rejected", by: approver.email, note }, now);
  await appendAudit(tx, { ...audit, action: "request.rejected", data: { note } });
  return { ok: true, outcome: "rejected", request: rejected, grant: null };
}

/**
 * The approver asks the requester for more information: the request waits
 * for the answer (`info_requested`); every link of the step stops deciding
 * until then (the answer starts a new round of links).
 */
async function ask(
  relay: Relay,
  tx: Tx,
  request: RequestRow,
  approver: UserRow,
  question: string,
  via: string,
  audit: Audit,
): Promise<DecisionResult> {
  const now = audit.at;
  await tx
    .insert(requestMessages)
    .values({ requestId: request.id, authorId: approver.id, kind: "question", text: question.slice(0, 2000), step: request.step, at: now });
  const [asked] = await tx
    .update(requests)
    .set({ state: "info_requested", resumeState: request.state, remindAt: null })
    .where(eq(requests.id, request.id))
    .returning();
  if (!asked) throw new Error("request vanished");
  await appendAudit(tx, { ...audit, action: "request.info_requested", data: { step: request.step, question, channel: via } });
  await notifyRequester(relay, tx, asked, "request.info_requested", `${approver.name} asks: “${question}”`, now);
  await publishEvent(relay, tx, "request.info_requested", asked, { actor: approver.email, question }, now);
  return { ok: true, outcome: "asked", request: asked, grant: null };
}

/** Who an approver may hand a decision to: an active person of the directory, not the requester, not already asked. */
async function escalationTarget(
  tx: Tx,
  request: RequestRow,
  approver: UserRow,
  email: string,
): Promise<{ user: UserRow } | { problem: string }> {
  const address = email.trim().toLowerCase();
  if (!address) return { problem: "Choose the person to pass this request to." };
  const [user] = await tx.select().from(users).where(eq(users.email, address));
  if (!user?.active) return { problem: `${address} is not an active person of the directory.` };
  if (user.id === request.requesterId) return { problem: "The requester cannot approve their own request." };
  if (user.id === approver.id) return { problem: "Choose someone other than yourself." };
  const [existing] = await tx
    .select()
    .from(approvals)
    .where(and(eq(approvals.requestId, request.id), eq(approvals.step, request.step), eq(approvals.approverId, user.id)));
  if (existing) return { problem: `${user.name} is already an approver of this step.` };
  // One person, one part: nobody approves two steps of the same request.
  const elsewhere = request.steps.some((s, i) => i !== request.step && s.approverIds.includes(user.id));
  const [decided] = await tx
    .select({ id: approvals.id })
    .from(approvals)
    .where(and(eq(approvals.requestId, request.id), eq(approvals.approverId, user.id), eq(approvals.state, "approved")));
  if (elsewhere || decided) return { problem: `${user.name} approves another step of this request; choose someone else.` };
  return { user };
}

/**
 * The approver passes the decision to someone they choose: their approval
 * row ends as `escalated` (their link dies), the target gets a row and a link
 * of their own, and the request is `escalated` until the step completes.
 */
async function escalate(
  relay: Relay,
  tx: Tx,
  request: RequestRow,
  approval: ApprovalRow,
  approver: UserRow,
  target: UserRow,
  note: string,
  via: string,
  audit: Audit,
): Promise<DecisionResult> {
  const now = audit.at;
  await settleApproval(tx, approval.id, { state: "escalated", decidedAt: now, note: note || null, via, escalatedTo: target.id });
  await tx.insert(approvals).values({ requestId: request.id, step: request.step, approverId: target.id, escalatedFrom: approver.id });
  if (note)
    await tx
      .insert(requestMessages)
      .values({ requestId: request.id, authorId: approver.id, kind: "escalation", text: note.slice(0, 2000), step: request.step, at: now });
  const [escalated] = await tx.update(requests).set({ state: "escalated" }).where(eq(requests.id, request.id)).returning();
  if (!escalated) throw new Error("request vanished");
  await appendAudit(tx, {
    ...audit,
    action: "request.escalated",
    data: { step: request.step, from: approver.email, to: target.email, note, channel: via },
  });
  await notifyApprovers(relay, tx, escalated, [target.id], { kind: "escalated", by: { name: approver.name, email: approver.email } }, now);
  await notifyRequester(relay, tx, escalated, "request.escalated", `${approver.name} passed your request to ${target.name}.`, now);
  await publishEvent(relay, tx, "request.escalated", escalated, { from: approver.email, to: target.email }, now);
  return { ok: true, outcome: "escalated", request: escalated, grant: null, target: { name: target.name, email: target.email } };
}

/** Any decision ends the step: the other approvers' links die with it. */
export async function closeStep(tx: Tx, requestId: string, step: number, now: Date): Promise<void> {
  await tx
    .update(approvals)
    .set({ state: "superseded", decidedAt: now })
    .where(and(eq(approvals.requestId, requestId), eq(approvals.step, step), eq(approvals.state, "pending")));
}

const NOTICE_OF = {
  rejected: "request.rejected",
  cancelled: "request.cancelled",
  expired: "request.expired",
  error: "request.error",
} as const;

/**
 * Ends a request without a grant (rejected, cancelled, expired, error): the
 * open approvals are superseded, so every link dies; the requester, the chat
 * messages and the webhook are told. In the caller's transaction, which holds
 * the request row's lock.
 */
export async function endRequest(
  relay: Relay,
  tx: Tx,
  request: RequestRow,
  state: keyof typeof NOTICE_OF,
  note: string | null,
  outcome: Outcome,
  now: Date,
): Promise<RequestRow> {
  await closeStep(tx, request.id, request.step, now);
  const [ended] = await tx
    .update(requests)
    .set({ state, decidedAt: now, decisionNote: note, remindAt: null, deadlineAt: null })
    .where(eq(requests.id, request.id))
    .returning();
  if (!ended) throw new Error("request vanished");
  await notifyRequester(relay, tx, ended, NOTICE_OF[state], outcomeLine(outcome), now);
  await announceOutcome(relay, tx, ended, outcome, now);
  await publishEvent(relay, tx, "request.decided", ended, { outcome: state, note }, now);
  return ended;
}
