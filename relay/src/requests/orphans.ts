import { and, eq, inArray, or } from "drizzle-orm";
import { resolveStepNow, userById } from "../core/policy/evaluate.ts";
import { UNDECIDED } from "../core/request-lifecycle.ts";
import type { Tx } from "../db/client.ts";
import { approvals, requests, users } from "../db/schema/index.ts";
import { loadPolicySnapshot } from "../policy/snapshot.ts";
import { applyTransition, requestTransition } from "./transitions.ts";

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
export async function failStrandedRequests(
  tx: Tx,
  now: Date,
  actor = "config",
  /** Only the requests this person takes part in: as requester (their manager may be an approver), or as an approver. */
  scope: { involving?: string } = {},
): Promise<string[]> {
  const involving = scope.involving
    ? or(
        eq(requests.requesterId, scope.involving),
        inArray(
          requests.id,
          tx
            .select({ id: approvals.requestId })
            .from(approvals)
            .where(
              and(
                eq(approvals.state, "pending"),
                or(eq(approvals.approverId, scope.involving), eq(approvals.escalatedFrom, scope.involving)),
              ),
            ),
        ),
      )
    : undefined;
  // Locked, as a decision locks its request: a decision committing meanwhile is waited for, and a
  // request it closed drops out here (the state is checked again on the row as it then stands).
  const open = await tx
    .select()
    .from(requests)
    .where(and(inArray(requests.state, [...UNDECIDED]), involving))
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
    const t = requestTransition(
      request,
      rows.filter((r) => r.a.requestId === request.id).map((r) => r.a),
      { type: "withdraw", now, actor, approvalIds: withdrawn.map((w) => w.a.id), emails: withdrawn.map((w) => w.email) },
    );
    if (!t.ok) continue;
    // No relay at hand (config sync runs without one), and nothing a withdrawal does mails or publishes.
    await applyTransition(null, tx, request, t, { now });
    if (t.patch.state === "error") failed.push(request.id);
  }
  return failed;
}
