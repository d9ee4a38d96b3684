import type { CreateRequestBodySchema } from "@gatehouse/shared";
import { durationMs, type PreviewBody, type PreviewResponse, type RequestView } from "@gatehouse/shared";
import { and, eq, inArray } from "drizzle-orm";
import type { z } from "zod";
import { type ApproverReason, type Outcome, outcomeLine } from "../channels/message.ts";
import type { Relay } from "../context.ts";
import { ProblemError } from "../core/errors.ts";
import type { Transition } from "../core/grant-lifecycle.ts";
import { evaluatePolicy, type Matched, requestProblem, resolveStepNow } from "../core/policy/evaluate.ts";
import type { PolicySnapshot } from "../core/policy/model.ts";
import { approvedPatch } from "../core/request-lifecycle.ts";
import type { Tx } from "../db/client.ts";
import { uniqueViolation } from "../db/faults.ts";
import { approvals, grants, type ResolvedStep, requests, users } from "../db/schema/index.ts";
import { appendAudit, unitOfWork } from "../db/unit-of-work.ts";
import type { Principal, RequestMeta } from "../devices/service.ts";
import { applyGrantEvents, createGrant, extendRulesOf, flowOf } from "../grants/lifecycle.ts";
import { currentPolicySnapshot } from "../policy/snapshot.ts";
import { type RequestRow, requestContext } from "./context.ts";
import { announceOutcome, notifyApprovers, notifyRequester, publishEvent } from "./notify.ts";
import { applyTransition, requestTransition } from "./transitions.ts";
import { loadRequestView, requestView } from "./view.ts";

/** What the requester hears when the approval does not give access at once. */
function approvedLine(outcome: Outcome, grant: GrantRow): string {
  const base = outcomeLine(outcome);
  if (grant.state === "provisioning") return `${base} Your access is being set up; you will be told when it is ready.`;
  if (grant.state === "awaiting_start") return `${base} Press Start in Gatehouse when you need it; the clock starts then.`;
  if (grant.state === "scheduled") return `${base} It starts at ${grant.startsAt.toISOString()}.`;
  if (grant.state === "failed") return `${base} Setting up the access did not work; the admins were told.`;
  return base;
}

async function evaluateFor(
  relay: Relay,
  email: string,
  body: PreviewBody,
  request: { durationMs?: number | null; reason?: string; ticket?: string; ip?: string } = {},
): Promise<Matched> {
  const snapshot = await currentPolicySnapshot(relay.database.db);
  const result = evaluatePolicy(snapshot, {
    requesterEmail: email,
    app: body.app,
    resourceId: body.resource.id,
    resourceUrl: body.resource.url,
    at: relay.clock.now(),
    ...request,
  });
  if (result.outcome === "matched") {
    const empty = result.steps.findIndex((step) => step.approvers.length === 0);
    if (empty >= 0)
      throw new ProblemError(
        "no_approver",
        `Nobody can approve step ${empty + 1} of the flow '${result.flow.name}', not even an admin; ask an admin`,
      );
    return result;
  }
  if (result.code === "no_flow") throw new ProblemError("no_flow", `No access flow covers ${body.app}; ask an admin`);
  throw new ProblemError(result.code === "unknown_requester" ? "unknown_user" : "inactive_user");
}

/** What the panel shows before submit: flow, approvers, durations. Changes nothing. */
export async function previewRequest(relay: Relay, p: Principal, body: PreviewBody): Promise<PreviewResponse> {
  const e = await evaluateFor(relay, p.user.email, body);
  return {
    flow: e.flow,
    approval: e.approval,
    approvers: (e.steps[0]?.approvers ?? []).map((u) => ({ email: u.email, name: u.name })),
    durations: e.durations,
    defaultDuration: e.defaultDuration,
    requireReason: e.requireReason,
    ticketPattern: e.ticket,
    activation: e.activation,
  };
}

/**
 * Stores a request after evaluating policy again on the server, and notifies
 * the first step's approvers (or grants at once for `auto` flows). One
 * transaction: the request, its approvals, audit events and mail commit together.
 */
export async function createRequest(
  relay: Relay,
  p: Principal,
  body: z.output<typeof CreateRequestBodySchema>,
  meta: RequestMeta,
  idempotencyKey: string | null = null,
): Promise<{ view: RequestView; replayed: boolean }> {
  if (idempotencyKey) {
    const earlier = await replayOf(relay, p, body, idempotencyKey);
    if (earlier) return earlier;
  }
  const e = await evaluateFor(relay, p.user.email, body, {
    durationMs: durationMs(body.duration),
    reason: body.reason,
    ticket: body.ticket,
    ...(meta.ip ? { ip: meta.ip } : {}),
  });
  const problem = requestProblem(e, body);
  if (problem) throw new ProblemError(problem.code, problem.detail);

  const startAt = body.startAt ? scheduledStart(e, new Date(body.startAt), relay.clock.now()) : null;
  try {
    const view = await unitOfWork(relay.database.db, (tx) =>
      openRequest(relay, tx, p, e, { ...body, ticket: e.ticket ? (body.ticket ?? null) : null, startAt, idempotencyKey }, meta, null),
    );
    return { view, replayed: false };
  } catch (err) {
    // The same key, sent twice at once (a retry racing the original): one insert wins, the other answers with it.
    const earlier = idempotencyKey && uniqueViolation(err, IDEMPOTENCY_CONSTRAINT) ? await replayOf(relay, p, body, idempotencyKey) : null;
    if (earlier) return earlier;
    throw err;
  }
}

const IDEMPOTENCY_CONSTRAINT = "requests_requester_idempotency_key";

/**
 * The request an earlier create with this key made, as it is now, or null.
 * A key reused for a different ask is a client bug, refused rather than
 * answered with the wrong request.
 */
async function replayOf(
  relay: Relay,
  p: Principal,
  body: z.output<typeof CreateRequestBodySchema>,
  key: string,
): Promise<{ view: RequestView; replayed: true } | null> {
  const db = relay.database.db;
  const [row] = await db
    .select({ id: requests.id, app: requests.app, url: requests.resourceUrl, duration: requests.duration })
    .from(requests)
    .where(and(eq(requests.requesterId, p.user.id), eq(requests.idempotencyKey, key)));
  if (!row) return null;
  if (row.app !== body.app || row.url !== body.resource.url || row.duration !== body.duration)
    throw new ProblemError("conflict", "This Idempotency-Key was already used for a different request");
  return { view: await loadRequestView(db, row.id, relay.clock.now()), replayed: true };
}

/** How far ahead a start may be scheduled. */
const MAX_SCHEDULE_AHEAD_MS = 90 * 86_400_000;

/** A requested start, checked: in the future, within 90 days, and only where access starts at approval. */
function scheduledStart(e: Matched, startAt: Date, now: Date): Date {
  if (e.activation === "on_start")
    throw new ProblemError("invalid_start", `Access of the flow '${e.flow.name}' starts when you press Start; it cannot be scheduled`);
  if (startAt.getTime() <= now.getTime()) throw new ProblemError("invalid_start", "The start must be in the future");
  if (startAt.getTime() - now.getTime() > MAX_SCHEDULE_AHEAD_MS)
    throw new ProblemError("invalid_start", "The start may be at most 90 days ahead");
  return startAt;
}

/** What a new request is: the ask as validated, and for an extension, the grant it extends. */
type NewRequest = {
  app: string;
  resource: { id: string | null; name: string | null; url: string };
  message: string;
  reason: string;
  ticket: string | null;
  duration: string;
  /** A scheduled start (null: at approval). */
  startAt?: Date | null;
  /** The client's Idempotency-Key for this create, if it sent one. */
  idempotencyKey?: string | null;
};

/**
 * Writes a request the policy matched, and either approves it at once (a flow
 * without steps) or opens its first step. In the caller's transaction.
 */
async function openRequest(
  relay: Relay,
  tx: Tx,
  p: Principal,
  e: Matched,
  body: NewRequest,
  meta: RequestMeta,
  extendsGrantId: string | null,
): Promise<RequestView> {
  const now = relay.clock.now();
  const timing = e.timing;
  const deadlineAt = new Date(now.getTime() + (durationMs(timing.expireAfter) ?? 7 * 86_400_000));
  const remindAt = nextReminder(now, timing.remindAfter, deadlineAt);
  const steps: ResolvedStep[] = e.steps.map((s) => ({ require: s.require, approverIds: s.approvers.map((u) => u.id) }));
  const [request] = await tx
    .insert(requests)
    .values({
      requesterId: p.user.id,
      app: body.app,
      resourceId: body.resource.id,
      resourceName: body.resource.name,
      resourceUrl: body.resource.url,
      message: body.message,
      reason: body.reason,
      ticket: body.ticket,
      duration: body.duration,
      extendsGrantId,
      startAt: body.startAt ?? null,
      flowId: e.flow.id,
      flowName: e.flow.name,
      steps,
      channels: e.notify,
      wholeAppAllowed: e.allowWholeApp,
      deadlineAt: steps.length ? deadlineAt : null,
      remindAt: steps.length ? remindAt : null,
      sourceIp: meta.ip,
      userAgent: meta.userAgent,
      idempotencyKey: body.idempotencyKey ?? null,
      createdAt: now,
    })
    .returning();
  if (!request) throw new Error("insert returned nothing");
  await appendAudit(tx, {
    at: now,
    actor: p.user.email,
    action: "request.created",
    requestId: request.id,
    data: {
      app: body.app,
      resource: body.resource,
      duration: body.duration,
      flow: e.flow.id,
      steps,
      ...(extendsGrantId ? { extends: extendsGrantId } : {}),
      ...(body.startAt ? { startAt: body.startAt.toISOString() } : {}),
    },
    ...meta,
  });
  await publishEvent(relay, tx, "request.created", request, { actor: p.user.email }, now);
  if (steps.length === 0) {
    const { request: approved, grant } = await approveFinally(
      relay,
      tx,
      request,
      { duration: body.duration, wholeApp: false },
      "policy:auto",
      now,
      meta,
    );
    return requestView(approved, grant);
  }
  // What the first step's mail needs is at hand: no lookups of the requester, the conversation (none yet) or the approvers.
  await openStep(relay, tx, request, { kind: "opened" }, now, undefined, {
    ctx: requestContext(request, { name: p.user.name, email: p.user.email }),
    people: e.steps[0]?.approvers ?? [],
  });
  return requestView(request, null);
}

/**
 * An extension the flow wants approved (`extend.reapprove`): the policy is
 * asked, as for a new request for the same resource and the extension's
 * length, which steps and approvers it goes to. Read before the caller's
 * transaction (the policy snapshot is read on its own connection).
 */
export async function evaluateExtension(relay: Relay, p: Principal, original: RequestRow, by: string): Promise<Matched> {
  const resource = { id: original.resourceId, name: original.resourceName, url: original.resourceUrl };
  return evaluateFor(
    relay,
    p.user.email,
    { app: original.app, resource },
    { durationMs: durationMs(by), reason: extensionReason(original, by) },
  );
}

const extensionReason = (original: RequestRow, by: string) => `Extend access by ${by} (${original.reason})`.slice(0, 2000);

/**
 * Writes the extension request, routed as `evaluateExtension` said. The
 * caller holds the grant's row lock and has checked the flow's rules allow
 * the extension.
 */
export async function requestExtension(
  relay: Relay,
  tx: Tx,
  p: Principal,
  e: Matched,
  original: RequestRow,
  grantId: string,
  by: string,
  meta: RequestMeta,
): Promise<RequestView> {
  const resource = { id: original.resourceId, name: original.resourceName, url: original.resourceUrl };
  return openRequest(
    relay,
    tx,
    p,
    e,
    {
      app: original.app,
      resource,
      message: original.message,
      reason: extensionReason(original, by),
      ticket: original.ticket,
      duration: by,
    },
    meta,
    grantId,
  );
}

/**
 * An approved extension moves the end of the grant it extends, by the
 * approved length, within the flow's rules as they are now. Returns that
 * grant, or null when it is no longer active (it ended while the approvers
 * decided): the approval then gives new access, as any approved request does.
 */
async function extendOnApproval(
  relay: Relay,
  tx: Tx,
  approved: RequestRow,
  byMs: number,
  actor: string,
  now: Date,
): Promise<GrantRow | null> {
  const [locked] = await tx
    .select()
    .from(grants)
    .where(eq(grants.id, approved.extendsGrantId as string))
    .for("update");
  if (locked?.state !== "active") return null;
  const rule = (await flowOf(tx, locked.flowId ?? ""))?.extend;
  const [{ result, grant }] = (await applyGrantEvents(
    relay,
    tx,
    [{ grant: locked, event: { type: "extend", now, byMs, rules: extendRulesOf(rule, true) } }],
    actor,
  )) as [{ result: Transition; grant: GrantRow }];
  // Approved but past the flow's limits by now (another extension came first): the access stays as it was, and the audit says why.
  if (!result.ok)
    await appendAudit(tx, {
      at: now,
      actor: "relay",
      action: "grant.extend_refused",
      requestId: approved.id,
      grantId: locked.id,
      data: { problem: result.problem, detail: result.detail },
    });
  return grant;
}

/** The next reminder after `from`, or null when it would come after the deadline. */
export function nextReminder(from: Date, remindAfter: string, deadlineAt: Date | null): Date | null {
  const ms = durationMs(remindAfter);
  if (ms === null) return null;
  const at = new Date(from.getTime() + ms);
  return deadlineAt && at >= deadlineAt ? null : at;
}

type GrantRow = typeof grants.$inferSelect;

/**
 * Opens the request's current step: an approval row per approver, and the
 * approvers told through the request's channels with links bound to them.
 *
 * A later step was resolved when the request was made; when it opens, it is
 * resolved again under the policy of now (`snapshot`), so someone who has
 * left the group or been deactivated since is not asked, and someone who has
 * joined is. A step that no longer resolves to anyone (not even an admin)
 * moves the request to `error`. Returns whether the step opened.
 */
export async function openStep(
  relay: Relay,
  tx: Tx,
  request: RequestRow,
  reason: ApproverReason,
  now: Date,
  snapshot?: PolicySnapshot,
  known: Parameters<typeof notifyApprovers>[6] = {},
): Promise<boolean> {
  let resolved = request.steps[request.step];
  if (!resolved) throw new Error(`request ${request.id} has no step ${request.step}`);
  if (snapshot) {
    const approverIds = resolveStepNow(snapshot, request)?.map((u) => u.id) ?? (await stillActive(tx, resolved.approverIds));
    if (approverIds.join() !== resolved.approverIds.join()) {
      resolved = { ...resolved, approverIds };
      const steps = request.steps.map((s, i) => (i === request.step ? (resolved as ResolvedStep) : s));
      await tx.update(requests).set({ steps }).where(eq(requests.id, request.id));
      request = { ...request, steps };
    }
  }
  if (resolved.approverIds.length === 0) {
    const t = requestTransition(request, [], { type: "step_unresolvable", now });
    if (t.ok) await applyTransition(relay, tx, request, t, { now });
    return false;
  }
  await tx.insert(approvals).values(resolved.approverIds.map((approverId) => ({ requestId: request.id, step: request.step, approverId })));
  await notifyApprovers(relay, tx, request, resolved.approverIds, reason, now, known);
  await appendAudit(tx, {
    at: now,
    actor: "relay",
    action: "request.step_opened",
    requestId: request.id,
    data: { step: request.step, require: resolved.require, approverIds: resolved.approverIds, channels: request.channels },
  });
  await publishEvent(relay, tx, "request.step_opened", request, { step: request.step, approverIds: resolved.approverIds }, now);
  return true;
}

async function stillActive(tx: Tx, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const active = new Set(
    (
      await tx
        .select({ id: users.id })
        .from(users)
        .where(and(inArray(users.id, ids), eq(users.active, true)))
    ).map((u) => u.id),
  );
  return ids.filter((id) => active.has(id));
}

/**
 * A request approved at once (a flow without steps): the machine's approved
 * patch, then the grant. In the caller's transaction.
 */
async function approveFinally(
  relay: Relay,
  tx: Tx,
  request: RequestRow,
  decision: { duration: string; wholeApp: boolean },
  actor: string,
  now: Date,
  meta: RequestMeta,
): Promise<{ request: RequestRow; grant: GrantRow }> {
  const [approved] = await tx.update(requests).set(approvedPatch(now, decision.duration)).where(eq(requests.id, request.id)).returning();
  if (!approved) throw new Error("request vanished");
  return { request: approved, grant: await grantApproved(relay, tx, approved, decision, actor, now, meta) };
}

/**
 * What the last approval starts, once the request row says `approved`: a
 * grant (for the one resource, or the whole app when the approver widened
 * it), or the extension of the grant it extends; and the requester, the chat
 * messages and the webhook are told. In the caller's transaction.
 */
export async function grantApproved(
  relay: Relay,
  tx: Tx,
  approved: RequestRow,
  decision: { duration: string; wholeApp: boolean },
  actor: string,
  now: Date,
  meta: RequestMeta,
): Promise<GrantRow> {
  const { duration, wholeApp } = decision;
  await appendAudit(tx, { at: now, actor, action: "request.approved", requestId: approved.id, data: { duration, wholeApp }, ...meta });
  // An approver may shorten an extension, never lengthen it past what was asked for (the flow's `extend.by`).
  const extendByMs = Math.min(durationMs(duration) ?? 0, durationMs(approved.duration) ?? 0);
  const extended = approved.extendsGrantId ? await extendOnApproval(relay, tx, approved, extendByMs, actor, now) : null;
  const grant = extended ?? (await createGrant(relay, tx, approved, { duration, wholeApp }, "relay", now));
  const outcome: Outcome = { kind: "approved", by: actor === "policy:auto" ? "policy (automatic)" : actor, duration, wholeApp };
  // An active grant told the requester itself (grant.started, or grant.extended); otherwise they hear of the approval and what comes next.
  if (grant.state !== "active") await notifyRequester(relay, tx, approved, "request.approved", approvedLine(outcome, grant), now, grant.id);
  await announceOutcome(relay, tx, approved, outcome, now);
  await publishEvent(relay, tx, "request.decided", approved, { outcome: "approved", actor }, now);
  relay.log.info("request approved", { requestId: approved.id, grantId: grant.id, grant: grant.state });
  return grant;
}
