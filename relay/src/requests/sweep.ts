import { and, inArray, isNotNull, lte } from "drizzle-orm";
import type { Relay } from "../context.ts";
import { OPEN_FOR_APPROVERS, UNDECIDED } from "../core/request-lifecycle.ts";
import { approvals, requests } from "../db/schema/index.ts";
import { unitOfWork } from "../db/unit-of-work.ts";
import { loadApprovalSettings } from "../policy/snapshot.ts";
import { endRequest } from "./decide.ts";
import { nextReminder } from "./service.ts";
import { applyTransition, requestTransition } from "./transitions.ts";

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
    for (const request of due) await endRequest(relay, tx, request, { type: "deadline_passed", now });
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
    const parts = await tx
      .select()
      .from(approvals)
      .where(
        inArray(
          approvals.requestId,
          due.map((r) => r.id),
        ),
      );
    for (const request of due) {
      const remindAt = nextReminder(now, settings.remindAfter, request.deadlineAt);
      const t = requestTransition(
        request,
        parts.filter((a) => a.requestId === request.id),
        { type: "remind", now, remindAt },
      );
      if (t.ok) await applyTransition(relay, tx, request, t, { now });
    }
    return due.map((r) => r.id);
  });
}
