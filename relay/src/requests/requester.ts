import type { RequestView } from "@gatehouse/shared";
import { eq } from "drizzle-orm";
import type { Relay } from "../context.ts";
import { ProblemError } from "../core/errors.ts";
import { ENDABLE, isIn } from "../core/request-lifecycle.ts";
import type { Tx } from "../db/client.ts";
import { requests } from "../db/schema/index.ts";
import { unitOfWork } from "../db/unit-of-work.ts";
import type { Principal, RequestMeta } from "../devices/service.ts";
import { loadApprovalSettings } from "../policy/snapshot.ts";
import type { RequestRow } from "./context.ts";
import { endRequest } from "./decide.ts";
import { nextReminder } from "./service.ts";
import { applyTransition, requestTransition } from "./transitions.ts";
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
    const remindAt = nextReminder(now, (await loadApprovalSettings(tx)).remindAfter, request.deadlineAt);
    const t = requestTransition(request, [], { type: "answer", now, by: person(p), answer, remindAt });
    if (!t.ok) throw new ProblemError("request_not_open", t.detail);
    await applyTransition(relay, tx, request, t, { now, meta });
  });
  return loadRequestView(relay.database.db, id, relay.clock.now());
}

/** The requester withdraws a request nobody has decided yet; every approver's link dies. */
export async function cancelRequest(relay: Relay, p: Principal, id: string, meta: RequestMeta): Promise<RequestView> {
  const now = relay.clock.now();
  await unitOfWork(relay.database.db, async (tx) => {
    const request = await ownRequest(tx, p, id);
    if (!isIn(ENDABLE, request.state)) throw new ProblemError("request_not_open", `This request is already ${request.state}`);
    await endRequest(relay, tx, request, { type: "cancel", now, by: person(p) }, meta);
  });
  return loadRequestView(relay.database.db, id, relay.clock.now());
}

const person = (p: Principal) => ({ id: p.user.id, email: p.user.email, name: p.user.name });
