import { and, eq, inArray, isNotNull, lte } from "drizzle-orm";
import type { Relay } from "../context.ts";
import { approvals, requests } from "../db/schema/index.ts";
import { appendAudit, unitOfWork } from "../db/unit-of-work.ts";
import { loadApprovalSettings } from "../policy/snapshot.ts";
import { endRequest } from "./decide.ts";
import { notifyApprovers, publishEvent } from "./notify.ts";
import { nextReminder } from "./service.ts";
import { OPEN_FOR_APPROVERS, UNDECIDED } from "./states.ts";

/**
 * The requests worker: undecided requests past their deadline expire, and
 * approvers who have not decided are reminded. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED`, so any number of relay instances (and a restarted
 * one catching up) handle each request once; a decision that holds the row
 * lock at the same moment is simply skipped until the next sweep.
 */
export async function sweepRequests(relay: Relay, batch = 50): Promise<{ expired: string[]; reminded: string[] }> {
  return { expired: await expireOverdue(relay, batch), reminded: await remind(relay, batch) };
}

async function expireOverdue(relay: Relay, batch: number): Promise<string[]> {
  const now = relay.clock.now();
  return unitOfWork(relay.database.db, async (tx) => {
    const due = await tx
      .select()
      .from(requests)
      .where(and(inArray(requests.state, [...UNDECIDED]), isNotNull(requests.deadlineAt), lte(requests.deadlineAt, now)))
      .orderBy(requests.deadlineAt)
      .limit(batch)
      .for("update", { skipLocked: true });
    for (const request of due) {
      await endRequest(relay, tx, request, "expired", "Nobody decided before the deadline.", { kind: "expired" }, now);
      await appendAudit(tx, {
        at: now,
        actor: "relay",
        action: "request.expired",
        requestId: request.id,
        data: { step: request.step, deadlineAt: request.deadlineAt?.toISOString() ?? null, from: request.state },
      });
    }
    return due.map((r) => r.id);
  });
}

async function remind(relay: Relay, batch: number): Promise<string[]> {
  const now = relay.clock.now();
  return unitOfWork(relay.database.db, async (tx) => {
    const due = await tx
      .select()
      .from(requests)
      .where(and(inArray(requests.state, [...OPEN_FOR_APPROVERS]), isNotNull(requests.remindAt), lte(requests.remindAt, now)))
      .orderBy(requests.remindAt)
      .limit(batch)
      .for("update", { skipLocked: true });
    if (due.length === 0) return [];
    const settings = await loadApprovalSettings(tx);
    for (const request of due) {
      const waiting = await tx
        .select({ approverId: approvals.approverId })
        .from(approvals)
        .where(and(eq(approvals.requestId, request.id), eq(approvals.step, request.step), eq(approvals.state, "pending")));
      const approverIds = waiting.map((w) => w.approverId);
      const [updated] = await tx
        .update(requests)
        .set({ remindAt: nextReminder(now, settings.remindAfter, request.deadlineAt) })
        .where(eq(requests.id, request.id))
        .returning();
      await notifyApprovers(relay, tx, request, approverIds, { kind: "reminder" }, now);
      await appendAudit(tx, {
        at: now,
        actor: "relay",
        action: "request.reminded",
        requestId: request.id,
        data: { step: request.step, approverIds },
      });
      if (updated) await publishEvent(relay, tx, "request.reminded", updated, { step: request.step, approverIds }, now);
    }
    return due.map((r) => r.id);
  });
}
