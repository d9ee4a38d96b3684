import { and, eq, or } from "drizzle-orm";
import type { Relay } from "../context.ts";
import { offeredDurations } from "../core/policy/durations.ts";
import type { PolicySnapshot } from "../core/policy/model.ts";
import { isIn, OPEN_FOR_APPROVERS, type RequestEvent } from "../core/request-lifecycle.ts";
import type { Db, Tx } from "../db/client.ts";
import { accessFlows, approvals, type grants, magicLinkUses, requests, users } from "../db/schema/index.ts";
import { unitOfWork } from "../db/unit-of-work.ts";
import type { RequestMeta } from "../devices/service.ts";
import { type DecisionLinkClaims, verifyDecisionLink } from "../keys/signing.ts";
import { currentPolicySnapshot, loadApprovalSettings } from "../policy/snapshot.ts";
import { loadRequestContext, type RequestContext, type RequestRow, type UserRow } from "./context.ts";
import { grantApproved, nextReminder, openStep } from "./service.ts";
import { applyTransition, approvalsOf, Overtaken, requestTransition } from "./transitions.ts";

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

/**
 * Durations an approver may grant: the flow's offered durations, and the one
 * asked for (a custom duration is not among them). Only the one asked for
 * when the flow is built in (fallback) or no longer exists.
 */
async function grantableDurations(q: Db | Tx, request: RequestRow, snapshot?: PolicySnapshot): Promise<string[]> {
  // The policy of now has the flows: read from it when the caller has it.
  const [flow] = snapshot
    ? snapshot.flows.filter((f) => f.id === request.flowId)
    : await q.select({ definition: accessFlows.definition }).from(accessFlows).where(eq(accessFlows.id, request.flowId));
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
    const parts = await approvalsOf(tx, request.id);
    const by = { id: approver.id, email: approver.email, name: approver.name };

    // Everything the decision needs is looked up and checked (by the machine) before anything is written.
    let event: RequestEvent;
    switch (decision.action) {
      case "approve": {
        const advances = request.step + 1 < request.steps.length;
        const settings = advances ? (snapshot?.approvals ?? (await loadApprovalSettings(tx))) : null;
        const remindAt = settings ? nextReminder(now, settings.remindAfter, request.deadlineAt) : null;
        const grantable = await grantableDurations(tx, request, snapshot);
        event = {
          type: "approve",
          now,
          by,
          approvalId: approval.id,
          duration: decision.duration,
          wholeApp: decision.wholeApp,
          grantable,
          remindAt,
          channel: via,
        };
        break;
      }
      case "reject":
        event = { type: "reject", now, by, approvalId: approval.id, note: decision.note, channel: via };
        break;
      case "ask":
        event = { type: "ask", now, by, question: decision.question, channel: via };
        break;
      case "escalate": {
        const address = decision.to.trim().toLowerCase();
        if (!address) return { ok: false, problem: "escalation_target", detail: "Choose the person to pass this request to." };
        const [user] = await tx.select().from(users).where(eq(users.email, address));
        if (!user) return { ok: false, problem: "escalation_target", detail: `${address} is not an active person of the directory.` };
        const to = { id: user.id, email: user.email, name: user.name, active: user.active };
        event = { type: "escalate", now, by, approvalId: approval.id, to, note: decision.note, channel: via };
        break;
      }
    }
    const t = requestTransition(request, parts, event);
    if (!t.ok) {
      if (t.problem === "request_not_open" || t.problem === "not_applicable") return { ok: false, problem: "decided" };
      return { ok: false, problem: t.problem as DecisionProblem, ...(t.detail ? { detail: t.detail } : {}) };
    }

    const inserted = await tx
      .insert(magicLinkUses)
      .values({ jti: claims.jti, requestId: request.id, approverId: approver.id, outcome: decision.action, usedAt: now })
      .onConflictDoNothing()
      .returning();
    if (inserted.length === 0) return { ok: false, problem: "used" };

    const done = await applyTransition(relay, tx, request, t, {
      now,
      meta,
      snapshot,
      openStep: (q, row) => openStep(relay, q, row, { kind: "opened" }, now, snapshot),
      grant: (q, row, d, actor) => grantApproved(relay, q, row, d, actor, now, meta),
    });
    const outcome =
      decision.action === "approve"
        ? done.request.state === "approved"
          ? "approved"
          : t.patch.step !== undefined
            ? "advanced"
            : "recorded"
        : ({ reject: "rejected", ask: "asked", escalate: "escalated" } as const)[decision.action];
    return {
      ok: true,
      outcome,
      request: done.request,
      grant: done.grant,
      ...(event.type === "escalate" ? { target: { name: event.to.name, email: event.to.email } } : {}),
    };
  });
}

/**
 * Ends a request without a grant (rejected, cancelled, expired): the machine
 * says how, this writes it. In the caller's transaction, which holds the
 * request row's lock. Returns null when the event does not apply (the request
 * was decided meanwhile).
 */
export async function endRequest(
  relay: Relay,
  tx: Tx,
  request: RequestRow,
  event: Extract<RequestEvent, { type: "cancel" | "admin_end" | "deadline_passed" }>,
  meta?: RequestMeta,
): Promise<RequestRow | null> {
  const t = requestTransition(request, [], event);
  if (!t.ok) return null;
  return (await applyTransition(relay, tx, request, t, { now: event.now, ...(meta ? { meta } : {}) })).request;
}
