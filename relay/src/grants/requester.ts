import type { RequestView } from "@gatehouse/shared";
import { durationMs } from "@gatehouse/shared";
import { eq } from "drizzle-orm";
import type { Relay } from "../context.ts";
import type { GrantEvent, Transition } from "../core/grant-lifecycle.ts";
import type { Tx } from "../db/client.ts";
import { grants } from "../db/schema/index.ts";
import type { Principal, RequestMeta } from "../devices/service.ts";
import { ApiError } from "../http/errors.ts";
import { loadRequestView } from "../requests/view.ts";
import { applyGrantEvent, flowOf, type GrantRow } from "./lifecycle.ts";

/**
 * What the requester does with their own access: start it (an `on_start`
 * grant), extend it within the flow's rules, or release it early. Each is one
 * event of the lifecycle machine, applied under the grant's row lock; anyone
 * else's grant is "not found".
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function ownGrant(tx: Tx, p: Principal, id: string): Promise<GrantRow> {
  if (!UUID.test(id)) throw new ApiError("not_found", "No such grant");
  const [grant] = await tx.select().from(grants).where(eq(grants.id, id));
  if (!grant || grant.userId !== p.user.id) throw new ApiError("not_found", "No such grant");
  return grant;
}

function refused(result: Transition): never {
  if (result.ok) throw new Error("not refused");
  throw new ApiError(result.problem === "not_applicable" ? "grant_state" : result.problem, result.detail);
}

async function act(
  relay: Relay,
  p: Principal,
  id: string,
  meta: RequestMeta,
  event: (grant: GrantRow, tx: Tx, now: Date) => Promise<GrantEvent>,
): Promise<RequestView> {
  const now = relay.clock.now();
  const requestId = await relay.database.db.transaction(async (tx) => {
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
 */
export function extendGrant(relay: Relay, p: Principal, id: string, by: string | undefined, meta: RequestMeta): Promise<RequestView> {
  return act(relay, p, id, meta, async (grant, tx, now) => {
    const rule = (await flowOf(tx, grant.flowId ?? ""))?.extend;
    const allowedBy = rule?.by ?? grant.duration;
    const allowedMs = durationMs(allowedBy);
    const byMs = by === undefined ? allowedMs : durationMs(by);
    if (byMs === null || allowedMs === null) throw new ApiError("extend_not_allowed", "Access without an end cannot be extended");
    if (byMs > allowedMs) throw new ApiError("duration_exceeds_max", `Each extension is at most ${allowedBy}`);
    return {
      type: "extend",
      now,
      byMs,
      rules: { allowed: rule?.allowed === true, times: rule?.times, maxTotalMs: rule?.max ? durationMs(rule.max) : null },
    };
  });
}
