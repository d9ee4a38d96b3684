import type { RequestView } from "@gatehouse/shared";
import { and, eq } from "drizzle-orm";
import type { Relay } from "../context.ts";
import { ProblemError } from "../core/errors.ts";
import type { Tx } from "../db/client.ts";
import { approvals, requestMessages, requests } from "../db/schema/index.ts";
import { appendAudit, unitOfWork } from "../db/unit-of-work.ts";
import type { Principal, RequestMeta } from "../devices/service.ts";
import { loadApprovalSettings } from "../policy/snapshot.ts";
import type { RequestRow } from "./context.ts";
import { endRequest } from "./decide.ts";
import { notifyApprovers, publishEvent } from "./notify.ts";
import { nextReminder } from "./service.ts";
import { ENDABLE, isIn } from "./states.ts";
import { loadRequestView } from "./view.ts";

/** The requester's own request, locked for the change; anyone else's is "not found" (ids are not secrets to keep, but not to confirm either). */
async function ownRequest(tx: Tx, p: Principal, id: string): Promise<RequestRow> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new ProblemError("not_found", "No such request");
  const [request] = await tx.select().from(requests).where(eq(requests.id, id)).for("update");
  if (!request || request.requesterId !== p.user.id) throw new ProblemError("not_found", "No such request");
  return request;
}

/**
 * The requester answers an approver's question: the request returns to the
 * step it was at, and the step's approvers who have not decided get new
 * links (a new round), with the question and the answer in the message.
 */
export async function answerQuestion(relay: Relay, p: Principal, id: string, answer: string, meta: RequestMeta): Promise<RequestView> {
  const now = relay.clock.now();
  await unitOfWork(relay.database.db, async (tx) => {
    const request = await ownRequest(tx, p, id);
    if (request.state !== "info_requested") throw new ProblemError("request_not_open", "Nobody is waiting for an answer on this request");
    await tx
      .insert(requestMessages)
      .values({ requestId: id, authorId: p.user.id, kind: "answer", text: answer, step: request.step, at: now });
    const settings = await loadApprovalSettings(tx);
    const [resumed] = await tx
      .update(requests)
      .set({
        state: request.resumeState ?? "pending",
        resumeState: null,
        round: request.round + 1,
        remindAt: nextReminder(now, settings.remindAfter, request.deadlineAt),
      })
      .where(eq(requests.id, id))
      .returning();
    if (!resumed) throw new Error("request vanished");
    const waiting = await tx
      .select({ approverId: approvals.approverId })
      .from(approvals)
      .where(and(eq(approvals.requestId, id), eq(approvals.step, request.step), eq(approvals.state, "pending")));
    await appendAudit(tx, {
      at: now,
      actor: p.user.email,
      action: "request.info_answered",
      requestId: id,
      data: { step: request.step, answer },
      ...meta,
    });
    await notifyApprovers(
      relay,
      tx,
      resumed,
      waiting.map((w) => w.approverId),
      { kind: "answered" },
      now,
    );
    await publishEvent(relay, tx, "request.info_answered", resumed, { actor: p.user.email, answer }, now);
  });
  return loadRequestView(relay.database.db, id, relay.clock.now());
}

/** The requester withdraws a request nobody has decided yet; every approver's link dies. */
export async function cancelRequest(relay: Relay, p: Principal, id: string, meta: RequestMeta): Promise<RequestView> {
  const now = relay.clock.now();
  await unitOfWork(relay.database.db, async (tx) => {
    const request = await ownRequest(tx, p, id);
    if (!isIn(ENDABLE, request.state)) throw new ProblemError("request_not_open", `This request is already ${request.state}`);
    await endRequest(relay, tx, request, "cancelled", null, { kind: "cancelled" }, now);
    await appendAudit(tx, {
      at: now,
      actor: p.user.email,
      action: "request.cancelled",
      requestId: id,
      data: { from: request.state },
      ...meta,
    });
  });
  return loadRequestView(relay.database.db, id, relay.clock.now());
}
