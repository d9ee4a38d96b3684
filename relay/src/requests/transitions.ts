import type { NoticeKind } from "@gatehouse/shared";
import { durationMs } from "@gatehouse/shared";
import { and, eq } from "drizzle-orm";
import { outcomeLine } from "../channels/message.ts";
import type { WebhookEvent } from "../channels/webhook.ts";
import type { Relay } from "../context.ts";
import type { PolicySnapshot } from "../core/policy/model.ts";
import {
  type ApprovalFacts,
  type ApprovalPatch,
  type RequestEvent,
  type RequestFacts,
  type RequestPatch,
  type Transition,
  transition,
} from "../core/request-lifecycle.ts";
import type { Tx } from "../db/client.ts";
import { approvals, type grants, requestMessages, requests } from "../db/schema/index.ts";
import { appendAudit } from "../db/unit-of-work.ts";
import type { RequestMeta } from "../devices/service.ts";
import { addNotice } from "../push/bus.ts";
import type { RequestRow } from "./context.ts";
import { announceOutcome, notifyApprovers, notifyRequester, publishEvent } from "./notify.ts";

/**
 * The request machine as the relay runs it: the caller loads the request
 * under its row lock (and its approvals), asks core/request-lifecycle.ts
 * what the event does, and this module writes the result in the caller's
 * transaction — approval rows first (so a decision someone else got to
 * first undoes itself), then the request row, then every effect in the
 * machine's order. The grant an approval starts is handed to `grantApproved`
 * (service.ts), passed in to keep this module below it.
 */

type ApprovalRow = typeof approvals.$inferSelect;
type GrantRow = typeof grants.$inferSelect;

export const requestFacts = (r: RequestRow): RequestFacts => ({
  id: r.id,
  requesterId: r.requesterId,
  state: r.state,
  step: r.step,
  steps: r.steps,
  round: r.round,
  resumeState: r.resumeState,
  duration: r.duration,
  wholeAppAllowed: r.wholeAppAllowed,
  deadlineAt: r.deadlineAt,
});

export const approvalFacts = (a: ApprovalRow): ApprovalFacts => ({
  id: a.id,
  step: a.step,
  approverId: a.approverId,
  state: a.state,
  duration: a.duration,
  escalatedFrom: a.escalatedFrom,
});

/** Asks the machine about one event on a loaded request. */
export const requestTransition = (request: RequestRow, parts: readonly ApprovalRow[], event: RequestEvent): Transition =>
  transition(requestFacts(request), parts.map(approvalFacts), event, durationMs);

/** Thrown inside a decision's transaction to undo it: the approval was no longer pending. */
export class Overtaken extends Error {}

export interface ApplyContext {
  now: Date;
  /** The source IP and user agent, for events a person caused. */
  meta?: RequestMeta;
  /** The policy of now, for a next step that opens. */
  snapshot?: PolicySnapshot | undefined;
  /** Opens the request's current step (service.ts's `openStep`). */
  openStep?: (tx: Tx, request: RequestRow) => Promise<unknown>;
  /** Approves and starts the grant (service.ts's `grantApproved`). */
  grant?: (tx: Tx, request: RequestRow, decision: { duration: string; wholeApp: boolean }, actor: string) => Promise<GrantRow>;
}

/** Writes a transition the machine allowed. Returns the request as it now is, and the grant an approval started. */
export async function applyTransition(
  relay: Relay | null,
  tx: Tx,
  request: RequestRow,
  t: Extract<Transition, { ok: true }>,
  ctx: ApplyContext,
): Promise<{ request: RequestRow; grant: GrantRow | null }> {
  const { now } = ctx;
  // Config sync withdraws approvers without a relay at hand: its effects (audit, notices) need none.
  const need = (): Relay => {
    if (!relay) throw new Error("this transition's effects need the relay");
    return relay;
  };
  for (const { approvalId, patch } of t.settle) await settleApproval(tx, approvalId, patch);
  const row = await patchRequest(tx, request, t.patch);
  let grant: GrantRow | null = null;
  for (const effect of t.effects) {
    switch (effect.kind) {
      case "close_step":
        await closeStep(tx, row.id, effect.step, now);
        break;
      case "audit":
        await appendAudit(tx, { at: now, actor: effect.actor, action: effect.action, requestId: row.id, data: effect.data, ...ctx.meta });
        break;
      case "message":
        await tx
          .insert(requestMessages)
          .values({ requestId: row.id, authorId: effect.authorId, kind: effect.kind_, text: effect.text, step: effect.step, at: now });
        break;
      case "add_approver":
        await tx
          .insert(approvals)
          .values({ requestId: row.id, step: effect.step, approverId: effect.approverId, escalatedFrom: effect.escalatedFrom });
        break;
      case "notify_approvers": {
        const ids = effect.who === "waiting" ? await waitingApprovers(tx, row) : [...effect.who];
        await notifyApprovers(need(), tx, row, ids, effect.reason, now);
        break;
      }
      case "notify_requester": {
        const line = typeof effect.line === "string" ? effect.line : outcomeLine(effect.line.outcome);
        await notifyRequester(need(), tx, row, effect.notice as NoticeKind, line, now);
        break;
      }
      case "notice":
        await addNotice(tx, { userId: row.requesterId, kind: effect.notice as NoticeKind, requestId: row.id }, now);
        break;
      case "announce":
        await announceOutcome(need(), tx, row, effect.outcome, now);
        break;
      case "publish":
        await publishEvent(need(), tx, effect.event as WebhookEvent, row, effect.data, now);
        break;
      case "open_step":
        if (!ctx.openStep) throw new Error("open_step needs openStep");
        await ctx.openStep(tx, row);
        break;
      case "grant":
        if (!ctx.grant) throw new Error("grant needs grant");
        grant = await ctx.grant(tx, row, { duration: effect.duration, wholeApp: effect.wholeApp }, effect.actor);
        break;
    }
  }
  return { request: row, grant };
}

/** Moves an approver's part out of `pending`, or undoes the whole decision if someone got there first. */
async function settleApproval(tx: Tx, approvalId: string, set: ApprovalPatch): Promise<void> {
  const changed = await tx
    .update(approvals)
    .set(set)
    .where(and(eq(approvals.id, approvalId), eq(approvals.state, "pending")))
    .returning({ id: approvals.id });
  if (changed.length === 0) throw new Overtaken();
}

async function patchRequest(tx: Tx, request: RequestRow, patch: RequestPatch): Promise<RequestRow> {
  if (Object.keys(patch).length === 0) return request;
  const [row] = await tx.update(requests).set(patch).where(eq(requests.id, request.id)).returning();
  if (!row) throw new Error("request vanished");
  return row;
}

/** Any decision ends the step: the other approvers' links die with it. */
export async function closeStep(tx: Tx, requestId: string, step: number, now: Date): Promise<void> {
  await tx
    .update(approvals)
    .set({ state: "superseded", decidedAt: now })
    .where(and(eq(approvals.requestId, requestId), eq(approvals.step, step), eq(approvals.state, "pending")));
}

async function waitingApprovers(tx: Tx, request: RequestRow): Promise<string[]> {
  const rows = await tx
    .select({ approverId: approvals.approverId })
    .from(approvals)
    .where(and(eq(approvals.requestId, request.id), eq(approvals.step, request.step), eq(approvals.state, "pending")));
  return rows.map((r) => r.approverId);
}

/** Loads a request's approval rows (all steps): what the machine weighs a decision against. */
export async function approvalsOf(tx: Tx, requestId: string): Promise<ApprovalRow[]> {
  return tx.select().from(approvals).where(eq(approvals.requestId, requestId));
}
