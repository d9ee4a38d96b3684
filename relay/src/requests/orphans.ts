import { and, eq } from "drizzle-orm";
import { appendAudit } from "../audit/chain.ts";
import type { Tx } from "../db/client.ts";
import { approvals, requests, users } from "../db/schema/index.ts";

/**
 * After the directory changes (a manager leaves, an approver is
 * deactivated), a pending request whose current step can no longer be
 * completed moves to `error`, with a note saying why for the admins, instead
 * of waiting forever. Runs in the transaction that changed the directory.
 * Returns the requests it moved.
 */
export async function failStrandedRequests(tx: Tx, now: Date): Promise<string[]> {
  const pending = await tx
    .select({ id: requests.id, step: requests.step, steps: requests.steps })
    .from(requests)
    .where(eq(requests.state, "pending"));
  const failed: string[] = [];
  for (const r of pending) {
    const rows = await tx
      .select({ state: approvals.state, active: users.active, email: users.email })
      .from(approvals)
      .innerJoin(users, eq(users.id, approvals.approverId))
      .where(and(eq(approvals.requestId, r.id), eq(approvals.step, r.step)));
    const require = r.steps[r.step]?.require ?? "any";
    const approved = rows.filter((a) => a.state === "approved").length;
    const open = rows.filter((a) => a.state === "pending" && a.active).length;
    const gone = rows.filter((a) => a.state === "pending" && !a.active).map((a) => a.email);
    if (gone.length === 0) continue;
    const needed = require === "any" ? 1 : require === "all" ? rows.length : require;
    const possible = require === "all" ? false : approved + open >= needed;
    if (possible) continue;
    const note = `Step ${r.step + 1} can no longer be approved: ${gone.join(", ")} ${gone.length === 1 ? "is" : "are"} no longer active. An admin must route this request again.`;
    await tx.update(requests).set({ state: "error", decidedAt: now, decisionNote: note }).where(eq(requests.id, r.id));
    await appendAudit(tx, {
      at: now,
      actor: "config",
      requestId: r.id,
      action: "request.error",
      data: { step: r.step, inactiveApprovers: gone },
    });
    failed.push(r.id);
  }
  return failed;
}
