import type { CreateRequestBodySchema } from "@gatehouse/shared";
import { durationMs, type PreviewBody, type PreviewResponse, type RequestView } from "@gatehouse/shared";
import { and, eq } from "drizzle-orm";
import type { z } from "zod";
import { appendAudit } from "../audit/chain.ts";
import type { Relay } from "../context.ts";
import type { Db, Tx } from "../db/client.ts";
import { accessFlows, approvals, grants, magicLinkUses, type ResolvedStep, requests, users } from "../db/schema/index.ts";
import type { Principal, RequestMeta } from "../devices/service.ts";
import { ApiError } from "../http/errors.ts";
import { signDecisionLink, verifyDecisionLink } from "../keys/signing.ts";
import { enqueueMail } from "../mail/outbox.ts";
import { approvalMail } from "../mail/templates.ts";
import { offeredDurations } from "../policy/durations.ts";
import { evaluatePolicy, type Matched, requestProblem } from "../policy/evaluate.ts";
import { loadPolicySnapshot } from "../policy/snapshot.ts";
import { addNotice } from "../push/bus.ts";
import { randomToken } from "../secrets.ts";
import { requestView } from "./view.ts";

async function evaluateFor(
  relay: Relay,
  email: string,
  body: PreviewBody,
  request: { durationMs?: number | null; reason?: string; ticket?: string; ip?: string } = {},
): Promise<Matched> {
  const snapshot = await loadPolicySnapshot(relay.database.db);
  const result = evaluatePolicy(snapshot, {
    requesterEmail: email,
    app: body.app,
    resourceId: body.resource.id,
    resourceUrl: body.resource.url,
    at: relay.clock.now(),
    ...request,
  });
  if (result.outcome === "matched") return result;
  if (result.code === "no_flow") throw new ApiError("no_flow", `No access flow covers ${body.app}; ask an admin`);
  throw new ApiError(result.code === "unknown_requester" ? "unknown_user" : "inactive_user");
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
): Promise<RequestView> {
  const e = await evaluateFor(relay, p.user.email, body, {
    durationMs: durationMs(body.duration),
    reason: body.reason,
    ticket: body.ticket,
    ...(meta.ip ? { ip: meta.ip } : {}),
  });
  const problem = requestProblem(e, body);
  if (problem) throw new ApiError(problem.code, problem.detail);

  const now = relay.clock.now();
  const steps: ResolvedStep[] = e.steps.map((s) => ({ require: s.require, approverIds: s.approvers.map((u) => u.id) }));
  return relay.database.db.transaction(async (tx) => {
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
        ticket: e.ticket ? body.ticket : null,
        duration: body.duration,
        flowId: e.flow.id,
        flowName: e.flow.name,
        steps,
        sourceIp: meta.ip,
        userAgent: meta.userAgent,
        createdAt: now,
      })
      .returning();
    if (!request) throw new Error("insert returned nothing");
    await appendAudit(tx, {
      at: now,
      actor: p.user.email,
      action: "request.created",
      requestId: request.id,
      data: { app: body.app, resource: body.resource, duration: body.duration, flow: e.flow.id, steps },
      ...meta,
    });
    if (steps.length === 0) {
      const grant = await approveFinally(relay, tx, request, body.duration, "policy:auto", now, meta);
      return requestView({ ...request, state: "approved", decidedAt: now }, grant);
    }
    await openStep(relay, tx, request, 0, now);
    return requestView(request, null);
  });
}

type RequestRow = typeof requests.$inferSelect;
type GrantRow = typeof grants.$inferSelect;

/** Creates the step's approval rows and mails each approver a link bound to them. */
async function openStep(relay: Relay, tx: Tx, request: RequestRow, step: number, now: Date): Promise<void> {
  const resolved = request.steps[step];
  if (!resolved) throw new Error(`request ${request.id} has no step ${step}`);
  const [requester] = await tx.select().from(users).where(eq(users.id, request.requesterId));
  if (!requester) throw new Error("requester vanished");
  for (const approverId of resolved.approverIds) {
    await tx.insert(approvals).values({ requestId: request.id, step, approverId });
    const [approver] = await tx.select().from(users).where(eq(users.id, approverId));
    if (!approver) continue;
    const token = await signDecisionLink(
      relay.keys,
      relay.env.publicUrl,
      { approverId, requestId: request.id, step, jti: randomToken() },
      now,
      relay.env.LINK_TTL / 1000,
    );
    await enqueueMail(
      tx,
      approvalMail({
        to: approver.email,
        approverName: approver.name,
        requester: { name: requester.name, email: requester.email },
        app: request.app,
        resource: { id: request.resourceId, name: request.resourceName, url: request.resourceUrl },
        duration: request.duration,
        reason: request.reason,
        ticket: request.ticket,
        message: request.message,
        flowName: request.flowName,
        link: `${relay.env.publicUrl}/decide/${token}`,
      }),
      now,
      !relay.env.SMTP_URL,
    );
  }
  await appendAudit(tx, {
    at: now,
    actor: "relay",
    action: "request.step_opened",
    requestId: request.id,
    data: { step, require: resolved.require, approverIds: resolved.approverIds, channel: "email" },
  });
}

async function approveFinally(
  relay: Relay,
  tx: Tx,
  request: RequestRow,
  duration: string,
  actor: string,
  now: Date,
  meta: RequestMeta,
): Promise<GrantRow> {
  await tx.update(requests).set({ state: "approved", decidedAt: now, duration }).where(eq(requests.id, request.id));
  const ms = durationMs(duration);
  const [grant] = await tx
    .insert(grants)
    .values({
      requestId: request.id,
      userId: request.requesterId,
      app: request.app,
      resourceId: request.resourceId,
      startsAt: now,
      endsAt: ms === null ? null : new Date(now.getTime() + ms),
    })
    .returning();
  if (!grant) throw new Error("grant insert returned nothing");
  await appendAudit(tx, { at: now, actor, action: "request.approved", requestId: request.id, data: { duration }, ...meta });
  await appendAudit(tx, {
    at: now,
    actor: "relay",
    action: "grant.started",
    requestId: request.id,
    grantId: grant.id,
    data: { endsAt: grant.endsAt?.toISOString() ?? null },
  });
  await addNotice(tx, { userId: request.requesterId, kind: "grant.started", requestId: request.id, grantId: grant.id }, now);
  relay.log.info("grant started", { requestId: request.id, grantId: grant.id });
  return grant;
}

// --- decisions through magic links ---

export type LinkProblem =
  | "invalid" // tampered, foreign key, wrong audience…
  | "expired"
  | "used" // this link already decided something
  | "decided" // the request was decided by someone (or something) else
  | "not_approver"; // the approver is no longer asked at this step

export interface LinkContext {
  claims: { approverId: string; requestId: string; step: number; jti: string };
  request: RequestRow;
  requester: typeof users.$inferSelect;
  approver: typeof users.$inferSelect;
  /** What the approver may grant (see `grantableDurations`). */
  durations: string[];
}

type LinkCheck =
  | { ok: true; request: RequestRow; approval: typeof approvals.$inferSelect; approver: typeof users.$inferSelect }
  | { ok: false; problem: LinkProblem; request?: RequestRow };

/**
 * Whether a verified link may still decide its request, and if not, why. The
 * one place these rules live: GET runs it to render, POST runs it again inside
 * the decision's transaction with the request row locked.
 */
async function checkLink(q: Db | Tx, claims: LinkContext["claims"], lockRequest: boolean): Promise<LinkCheck> {
  const byId = q.select().from(requests).where(eq(requests.id, claims.requestId));
  const [request] = await (lockRequest ? byId.for("update") : byId);
  if (!request) return { ok: false, problem: "invalid" };
  const [used] = await q.select().from(magicLinkUses).where(eq(magicLinkUses.jti, claims.jti));
  if (used) return { ok: false, problem: "used", request };
  if (request.state !== "pending" || request.step !== claims.step) return { ok: false, problem: "decided", request };
  const [approval] = await q
    .select()
    .from(approvals)
    .where(and(eq(approvals.requestId, request.id), eq(approvals.step, claims.step), eq(approvals.approverId, claims.approverId)));
  const [approver] = await q.select().from(users).where(eq(users.id, claims.approverId));
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
async function grantableDurations(q: Db | Tx, request: RequestRow): Promise<string[]> {
  const [flow] = await q.select({ definition: accessFlows.definition }).from(accessFlows).where(eq(accessFlows.id, request.flowId));
  if (!flow) return [request.duration];
  const offered = offeredDurations(flow.definition.durations);
  return offered.includes(request.duration) ? offered : [...offered, request.duration];
}

/** Checks a decision link without changing anything (what GET does). */
export async function inspectLink(
  relay: Relay,
  token: string,
): Promise<{ ok: true; ctx: LinkContext } | { ok: false; problem: LinkProblem; request?: RequestRow }> {
  const verified = await verifyDecisionLink(relay.keys, relay.env.publicUrl, token, relay.clock.now());
  if (!verified.ok) return { ok: false, problem: verified.reason };
  const { claims } = verified;
  const { db } = relay.database;
  const check = await checkLink(db, claims, false);
  if (!check.ok) return check;
  const { request, approver } = check;
  const [requester] = await db.select().from(users).where(eq(users.id, request.requesterId));
  if (!requester) return { ok: false, problem: "not_approver", request };
  return { ok: true, ctx: { claims, request, requester, approver, durations: await grantableDurations(db, request) } };
}

export type Decision = { action: "approve"; duration: string } | { action: "reject"; note: string };

export type DecisionResult =
  | { ok: true; outcome: "approved" | "rejected" | "advanced" | "recorded"; request: RequestRow; grant: GrantRow | null }
  | { ok: false; problem: LinkProblem | "duration_not_allowed" };

/**
 * Records an approver's decision exactly once. The request row is locked, the
 * link's `jti` is inserted under a primary key, and every check is repeated
 * inside the transaction, so two clicks at the same moment (two tabs, two
 * approvers) decide once; the loser is told the request was already decided.
 */
export async function decide(relay: Relay, token: string, decision: Decision, meta: RequestMeta): Promise<DecisionResult> {
  const verified = await verifyDecisionLink(relay.keys, relay.env.publicUrl, token, relay.clock.now());
  if (!verified.ok) return { ok: false, problem: verified.reason };
  const { claims } = verified;
  const now = relay.clock.now();
  return relay.database.db.transaction(async (tx) => {
    const check = await checkLink(tx, claims, true);
    if (!check.ok) return { ok: false, problem: check.problem } as const;
    const { request, approval, approver } = check;

    let duration = request.duration;
    if (decision.action === "approve") {
      if (!(await grantableDurations(tx, request)).includes(decision.duration)) {
        return { ok: false, problem: "duration_not_allowed" } as const;
      }
      duration = decision.duration;
    }

    const inserted = await tx
      .insert(magicLinkUses)
      .values({ jti: claims.jti, requestId: request.id, approverId: approver.id, outcome: decision.action, usedAt: now })
      .onConflictDoNothing()
      .returning();
    if (inserted.length === 0) return { ok: false, problem: "used" } as const;

    const state = decision.action === "approve" ? "approved" : "rejected";
    await tx
      .update(approvals)
      .set({ state, decidedAt: now, note: decision.action === "reject" ? decision.note : null })
      .where(eq(approvals.id, approval.id));
    const audit = { at: now, actor: approver.email, requestId: request.id, ...meta };
    await appendAudit(tx, {
      ...audit,
      action: `approval.${state}`,
      data: {
        step: claims.step,
        jti: claims.jti,
        channel: "email",
        ...(decision.action === "approve" ? { duration } : { note: decision.note }),
      },
    });

    if (decision.action === "reject") {
      await closeStep(tx, request.id, claims.step, now);
      await tx
        .update(requests)
        .set({ state: "rejected", decidedAt: now, decisionNote: decision.note || null })
        .where(eq(requests.id, request.id));
      await appendAudit(tx, { ...audit, action: "request.rejected", data: { note: decision.note } });
      await addNotice(tx, { userId: request.requesterId, kind: "request.rejected", requestId: request.id }, now);
      return { ok: true, outcome: "rejected", request: { ...request, state: "rejected" }, grant: null } as const;
    }

    const step = request.steps[claims.step];
    const remaining = await tx
      .select({ id: approvals.id })
      .from(approvals)
      .where(and(eq(approvals.requestId, request.id), eq(approvals.step, claims.step), eq(approvals.state, "pending")));
    let stepDone = step?.require === "any" || remaining.length === 0;
    if (typeof step?.require === "number" && !stepDone) {
      // A quorum: enough distinct people of the step have approved.
      const approved = await tx
        .select({ id: approvals.id })
        .from(approvals)
        .where(and(eq(approvals.requestId, request.id), eq(approvals.step, claims.step), eq(approvals.state, "approved")));
      stepDone = approved.length >= step.require;
    }
    if (!stepDone) return { ok: true, outcome: "recorded", request, grant: null } as const;
    await closeStep(tx, request.id, claims.step, now);
    if (claims.step + 1 < request.steps.length) {
      await tx
        .update(requests)
        .set({ step: claims.step + 1, duration })
        .where(eq(requests.id, request.id));
      await openStep(relay, tx, { ...request, duration }, claims.step + 1, now);
      return { ok: true, outcome: "advanced", request, grant: null } as const;
    }
    const grant = await approveFinally(relay, tx, request, duration, approver.email, now, meta);
    return { ok: true, outcome: "approved", request: { ...request, state: "approved", duration }, grant } as const;
  });
}

/** Any decision ends the step: the other approvers' links die with it. */
async function closeStep(tx: Tx, requestId: string, step: number, now: Date): Promise<void> {
  await tx
    .update(approvals)
    .set({ state: "superseded", decidedAt: now })
    .where(and(eq(approvals.requestId, requestId), eq(approvals.step, step), eq(approvals.state, "pending")));
}
