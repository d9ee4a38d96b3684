import { and, eq, inArray } from "drizzle-orm";
import { appendAudit } from "../audit/chain.ts";
import type { Tx } from "../db/client.ts";
import { approvals, requests, users } from "../db/schema/index.ts";
import { addNotice } from "../push/bus.ts";

/**
 * After the directory changes (a manager leaves, an approver is
 * deactivated), a pending request whose current step can no longer be
 * completed moves to `error`, with a note saying why for the admins, instead
 * of waiting forever. Runs in the transaction that changed the directory.
 * Returns the requests it moved.
 */
export async function failStrandedRequests(tx: Tx, now: Date, actor = "config"): Promise<string[]> {
  // One query: every approval of the current step of every pending request, with its approver's state.
  const rows = await tx
    .select({
      requestId: requests.id,
      step: requests.step,
      steps: requests.steps,
      state: approvals.state,
      active: users.active,
      email: users.email,
    })
    .from(requests)
    .innerJoin(approvals, and(eq(approvals.requestId, requests.id), eq(approvals.step, requests.step)))
    .innerJoin(users, eq(users.id, approvals.approverId))
    .where(inArray(requests.state, ["pending", "escalated"]));
  const byRequest = new Map<string, typeof rows>();
  for (const row of rows) byRequest.set(row.requestId, [...(byRequest.get(row.requestId) ?? []), row]);

  const failed: string[] = [];
  for (const [id, all] of byRequest) {
    // Who handed their part on (escalated) or was overtaken (superseded) no longer counts.
    const step = all.filter((a) => a.state === "pending" || a.state === "approved" || a.state === "rejected");
    const first = all[0];
    if (!first) continue;
    const require = first.steps[first.step]?.require ?? "any";
    const approved = step.filter((a) => a.state === "approved").length;
    const open = step.filter((a) => a.state === "pending" && a.active).length;
    const gone = step.filter((a) => a.state === "pending" && !a.active).map((a) => a.email);
    if (gone.length === 0) continue;
    const needed = require === "any" ? 1 : require === "all" ? step.length : require;
    const possible = require === "all" ? false : approved + open >= needed;
    if (possible) continue;
    const note = `Step ${first.step + 1} can no longer be approved: ${gone.join(", ")} ${gone.length === 1 ? "is" : "are"} no longer active. An admin must route this request again.`;
    const [row] = await tx
      .update(requests)
      .set({ state: "error", decidedAt: now, decisionNote: note, remindAt: null })
      .where(eq(requests.id, id))
      .returning({ requesterId: requests.requesterId });
    // The requester's extension shows it; the admins see it among pending requests.
    if (row) await addNotice(tx, { userId: row.requesterId, kind: "request.error", requestId: id }, now);
    await appendAudit(tx, {
      at: now,
      actor,
      requestId: id,
      action: "request.error",
      data: { step: first.step, inactiveApprovers: gone },
    });
    failed.push(id);
  }
  return failed;
}
