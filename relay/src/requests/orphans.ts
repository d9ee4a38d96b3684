import { and, eq, inArray } from "drizzle-orm";
import { resolveStepNow, userById } from "../core/policy/evaluate.ts";
import type { Tx } from "../db/client.ts";
import { approvals, requests, users } from "../db/schema/index.ts";
import { appendAudit } from "../db/unit-of-work.ts";
import { loadPolicySnapshot } from "../policy/snapshot.ts";
import { addNotice } from "../push/bus.ts";
import { UNDECIDED } from "./states.ts";

/**
 * After the policy or the directory changes, the current step of every
 * undecided request is checked against it again, in the transaction that
 * made the change:
 *
 * - an approver who no longer resolves for the step (deactivated, left the
 *   group, no longer the manager or the resource owner) loses their part:
 *   their approval is withdrawn and their link dies, so nobody approves on
 *   the strength of a membership they no longer have;
 * - a request whose step can then no longer be completed moves to `error`,
 *   with a note saying why for the admins, instead of waiting forever.
 *
 * People an approver escalated to were chosen by that approver and stay
 * while they are active. Returns the requests moved to `error`.
 */
export async function failStrandedRequests(tx: Tx, now: Date, actor = "config"): Promise<string[]> {
  // Locked, as a decision locks its request: a decision committing meanwhile is waited for, and a
  // request it closed drops out here (the state is checked again on the row as it then stands).
  const open = await tx
    .select()
    .from(requests)
    .where(inArray(requests.state, [...UNDECIDED]))
    .orderBy(requests.id)
    .for("update");
  if (open.length === 0) return [];
  const rows = await tx
    .select({ a: approvals, email: users.email, active: users.active })
    .from(approvals)
    .innerJoin(users, eq(users.id, approvals.approverId))
    .where(
      inArray(
        approvals.requestId,
        open.map((r) => r.id),
      ),
    );
  const snapshot = await loadPolicySnapshot(tx);

  const failed: string[] = [];
  for (const request of open) {
    const step = rows.filter((r) => r.a.requestId === request.id && r.a.step === request.step);
    // Null when the flow or step is gone: then only deactivation withdraws an approver.
    const resolvedNow = resolveStepNow(snapshot, request);
    const stillResolved = resolvedNow ? new Set(resolvedNow.map((u) => u.id)) : null;
    const resolves = (id: string) => userById(snapshot, id)?.active === true && (!stillResolved || stillResolved.has(id));
    // An approver withdrawn: inactive, or no longer resolving; someone a decision was passed to: inactive, or
    // the one who passed it on no longer resolves (their part goes with them).
    const withdrawn = step.filter(
      (r) => r.a.state === "pending" && (!r.active || (r.a.escalatedFrom ? !resolves(r.a.escalatedFrom) : !resolves(r.a.approverId))),
    );
    if (withdrawn.length === 0) continue;
    await tx
      .update(approvals)
      .set({ state: "superseded", decidedAt: now, note: "withdrawn: no longer an approver" })
      .where(
        and(
          inArray(
            approvals.id,
            withdrawn.map((w) => w.a.id),
          ),
          eq(approvals.state, "pending"),
        ),
      );
    const gone = withdrawn.map((w) => w.email);
    await appendAudit(tx, {
      at: now,
      actor,
      requestId: request.id,
      action: "approval.withdrawn",
      data: { step: request.step, approvers: gone },
    });

    // Who escalated (or was overtaken) no longer counts; what is left must still be able to complete the step.
    const counted = step.filter((r) => !withdrawn.includes(r) && (r.a.state === "pending" || r.a.state === "approved"));
    const require = request.steps[request.step]?.require ?? "any";
    const approved = counted.filter((r) => r.a.state === "approved").length;
    const pending = counted.filter((r) => r.a.state === "pending").length;
    // Someone must still be asked, and a quorum must still be reachable. A part that was passed on and is
    // now gone, or an `all` step whose last open part went, is not completed behind anyone's back: an admin decides.
    const delegatedPartGone = withdrawn.some((w) => w.a.escalatedFrom);
    if (!delegatedPartGone && pending > 0 && (typeof require !== "number" || approved + pending >= require)) continue;
    const note = `Step ${request.step + 1} can no longer be approved: ${gone.join(", ")} ${gone.length === 1 ? "is" : "are"} no longer ${gone.length === 1 ? "an approver" : "approvers"} (deactivated, or no longer in the group, the manager or the owner the flow names). An admin must deny or cancel it; the requester can ask again.`;
    const [row] = await tx
      .update(requests)
      .set({ state: "error", decidedAt: now, decisionNote: note, remindAt: null })
      .where(and(eq(requests.id, request.id), inArray(requests.state, [...UNDECIDED])))
      .returning({ requesterId: requests.requesterId });
    await appendAudit(tx, {
      at: now,
      actor,
      requestId: request.id,
      action: "request.error",
      data: { step: request.step, approvers: gone },
    });
    // The requester's extension shows it; the admins see it among open requests.
    if (row) await addNotice(tx, { userId: row.requesterId, kind: "request.error", requestId: request.id }, now);
    failed.push(request.id);
  }
  return failed;
}
