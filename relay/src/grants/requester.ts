import type { RequestView } from "@gatehouse/shared";
import { durationMs } from "@gatehouse/shared";
import { eq } from "drizzle-orm";
import type { Relay } from "../context.ts";
import { ProblemError } from "../core/errors.ts";
import { type GrantEvent, type Transition, transition } from "../core/grant-lifecycle.ts";
import type { Matched } from "../core/policy/evaluate.ts";
import type { Db, Tx } from "../db/client.ts";
import { grants, requests } from "../db/schema/index.ts";
import { unitOfWork } from "../db/unit-of-work.ts";
import type { Principal, RequestMeta } from "../devices/service.ts";
import { evaluateExtension, requestExtension } from "../requests/service.ts";
import { loadRequestView, pendingExtensions } from "../requests/view.ts";
import { applyGrantEvent, extendRulesOf, flowOf, type GrantRow, grantFacts } from "./lifecycle.ts";

/**
 * What the requester does with their own access: start it (an `on_start`
 * grant), extend it within the flow's rules, or release it early. Each is one
 * event of the lifecycle machine, applied under the grant's row lock; anyone
 * else's grant is "not found".
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function ownGrant(tx: Db | Tx, p: Principal, id: string): Promise<GrantRow> {
  if (!UUID.test(id)) throw new ProblemError("not_found", "No such grant");
  const [grant] = await tx.select().from(grants).where(eq(grants.id, id));
  if (!grant || grant.userId !== p.user.id) throw new ProblemError("not_found", "No such grant");
  return grant;
}

function refused(result: Transition): never {
  if (result.ok) throw new Error("not refused");
  throw new ProblemError(result.problem === "not_applicable" ? "grant_state" : result.problem, result.detail);
}

async function act(
  relay: Relay,
  p: Principal,
  id: string,
  meta: RequestMeta,
  event: (grant: GrantRow, tx: Tx, now: Date) => Promise<GrantEvent>,
): Promise<RequestView> {
  const now = relay.clock.now();
  const requestId = await unitOfWork(relay.database.db, async (tx) => {
    const grant = await ownGrant(tx, p, id);
    const { result } = await applyGrantEvent(relay, tx, id, await event(grant, tx, now), p.user.email, meta);
    if (!result.ok) refused(result);
    return grant.requestId;
  });
  return loadRequestView(relay.database.db, requestId, now);
}

export function startGrant(relay: Relay, p: Principal, id: string, meta: RequestMeta): Promise<RequestView> {
  return act(relay, p, id, meta, async (_g, _tx, now) => ({ type: "start", now }));
}

export function releaseGrant(relay: Relay, p: Principal, id: string, meta: RequestMeta): Promise<RequestView> {
  return act(relay, p, id, meta, async (_g, _tx, now) => ({ type: "release", now }));
}

/**
 * Extends by the flow's extension length (`extend.by`, else the grant's own
 * length), or by a shorter `by` the requester asks for. The flow's rules are
 * read as they are now: an admin who forbids extending stops it at once.
 * Where the flow wants extensions approved (`extend.reapprove`), the end does
 * not move yet: an extension request goes to the approvers, one at a time
 * per grant, and the end moves when it is approved (requests/service.ts).
 */
export async function extendGrant(relay: Relay, p: Principal, id: string, by: string | undefined, meta: RequestMeta): Promise<RequestView> {
  const now = relay.clock.now();
  // Where an extension would go, asked of the policy before the transaction (PGlite has one connection).
  const routed = await routeExtension(relay, p, id, by);
  const requestId = await unitOfWork(relay.database.db, async (tx) => {
    const own = await ownGrant(tx, p, id);
    const [grant] = await tx.select().from(grants).where(eq(grants.id, own.id)).for("update");
    if (!grant) throw new ProblemError("not_found", "No such grant");
    const rule = (await flowOf(tx, grant.flowId ?? ""))?.extend;
    const allowedBy = rule?.by ?? grant.duration;
    const allowedMs = durationMs(allowedBy);
    const byMs = by === undefined ? allowedMs : durationMs(by);
    if (byMs === null || allowedMs === null) throw new ProblemError("extend_not_allowed", "Access without an end cannot be extended");
    if (byMs > allowedMs) throw new ProblemError("duration_exceeds_max", `Each extension is at most ${allowedBy}`);
    const event: GrantEvent = {
      type: "extend",
      now,
      byMs,
      rules: extendRulesOf(rule),
    };
    if (rule?.reapprove && routed) {
      // The rules are checked now too: approvers are never asked for what could not be given.
      const check = transition(grantFacts(grant), event);
      if (!check.ok) refused(check);
      if ((await pendingExtensions(tx, [grant.id])).size > 0)
        throw new ProblemError("extension_pending", "An extension of this access is already waiting for approval");
      const [original] = await tx.select().from(requests).where(eq(requests.id, grant.requestId));
      if (!original) throw new Error("request vanished");
      await requestExtension(relay, tx, p, routed, original, grant.id, by ?? allowedBy, meta);
      return grant.requestId;
    }
    const { result } = await applyGrantEvent(relay, tx, id, event, p.user.email, meta);
    if (!result.ok) refused(result);
    return grant.requestId;
  });
  return loadRequestView(relay.database.db, requestId, now);
}

/** The policy's routing of an extension request, when the grant's flow wants extensions approved (else null). */
async function routeExtension(relay: Relay, p: Principal, id: string, by: string | undefined): Promise<Matched | null> {
  const { db } = relay.database;
  const grant = await ownGrant(db, p, id);
  const rule = (await flowOf(db, grant.flowId ?? ""))?.extend;
  if (!rule?.reapprove) return null;
  const [original] = await db.select().from(requests).where(eq(requests.id, grant.requestId));
  if (!original) throw new Error("request vanished");
  return evaluateExtension(relay, p, original, by ?? rule.by ?? grant.duration);
}
