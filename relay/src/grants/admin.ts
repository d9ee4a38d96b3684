import { and, count, desc, eq, inArray, notInArray } from "drizzle-orm";
import type { Relay } from "../context.ts";
import { ENDED_STATES, type Transition, transition } from "../core/grant-lifecycle.ts";
import { grants, outbox, requests, users } from "../db/schema/index.ts";
import { appendAudit, unitOfWork } from "../db/unit-of-work.ts";
import type { RequestMeta } from "../devices/service.ts";
import { applyGrantEvent, flowOf, type GrantRow, grantFacts, renderGrantTarget } from "./lifecycle.ts";

/**
 * What admins do with grants: revoke one (with a reason the audit keeps),
 * revoke everything a person holds (off-boarding), and retry a grant whose
 * provider call gave up. Each goes through the lifecycle machine, so the
 * provider is called to remove the access, exactly once, after commit.
 */
export async function revokeGrant(relay: Relay, admin: string, grantId: string, reason: string, meta: RequestMeta): Promise<Transition> {
  const now = relay.clock.now();
  return unitOfWork(relay.database.db, async (tx) => {
    const { result } = await applyGrantEvent(relay, tx, grantId, { type: "revoke", now, by: admin, reason }, admin, meta);
    return result;
  });
}

/** States a grant can be revoked from (the machine has the last word). */
const REVOCABLE = ["scheduled", "awaiting_start", "provisioning", "active", "failed"] as const;

/** Every live grant of one person, revoked in one transaction. Returns how many were revoked. */
export async function revokeAllOf(relay: Relay, admin: string, userId: string, reason: string, meta: RequestMeta): Promise<number> {
  const now = relay.clock.now();
  return unitOfWork(relay.database.db, async (tx) => {
    const live = await tx
      .select({ id: grants.id })
      .from(grants)
      .where(and(eq(grants.userId, userId), inArray(grants.state, [...REVOCABLE])))
      .for("update");
    let revoked = 0;
    for (const { id } of live) {
      const { result } = await applyGrantEvent(relay, tx, id, { type: "revoke", now, by: admin, reason }, admin, meta);
      if (result.ok) revoked++;
    }
    // One line for the off-boarding itself, beside each grant's own `grant.revoking`/`grant.revoked`.
    const [person] = await tx.select({ email: users.email }).from(users).where(eq(users.id, userId));
    await appendAudit(tx, {
      at: now,
      actor: admin,
      action: "user.access_revoked",
      data: { subject: person?.email ?? userId, reason, revoked },
      ...meta,
    });
    return revoked;
  });
}

/**
 * A failed grant tried again: the grant goes back to provisioning (or
 * revoking) and its dead-lettered call is queued afresh under the same
 * idempotency key, so a provider that did the work after all is not asked
 * to do it twice (a manual provider's operators get a new round of tasks).
 */
export async function retryGrant(relay: Relay, admin: string, grantId: string, meta: RequestMeta): Promise<Transition> {
  const now = relay.clock.now();
  return unitOfWork(relay.database.db, async (tx) => {
    // A grant that failed because its target could not be worked out is worked out again (the flow may be fixed by now).
    const [failed] = await tx.select().from(grants).where(eq(grants.id, grantId)).for("update");
    if (failed?.state === "failed" && failed.failedAction === "grant" && failed.target === null && failed.providerId) {
      const [request] = await tx.select().from(requests).where(eq(requests.id, failed.requestId));
      const flow = request ? await flowOf(tx, request.flowId) : null;
      if (request && flow?.grant) {
        const { target, error } = await renderGrantTarget(tx, flow, request, failed.duration);
        if (error) return { ok: false, problem: "not_applicable", detail: error } satisfies Transition;
        await tx.update(grants).set({ target }).where(eq(grants.id, grantId));
      }
    }
    const { result, grant } = await applyGrantEvent(relay, tx, grantId, { type: "retry", now }, admin, meta);
    if (result.ok && grant) {
      const action = grant.state === "provisioning" ? "grant" : "revoke";
      // `response: null` forgets a manual call's round of tasks: a retry asks the operators again.
      await tx
        .update(outbox)
        .set({ state: "pending", attempts: 0, nextAttemptAt: now, lastError: null, response: null })
        .where(and(eq(outbox.grantId, grantId), eq(outbox.action, action), inArray(outbox.state, ["failed", "cancelled"])));
    }
    return result;
  });
}

/**
 * Whether retrying this provider call is retrying its grant: the call gave
 * up and it is the one the failed grant is waiting on. Any other failed call
 * (an extend, whose end stands either way; a grant call of a grant that has
 * since been revoked) must not be sent again: it would change access the
 * grant no longer holds.
 */
export function callRetriesGrant(
  call: { channel: string; state: string; action: string | null },
  grant: { state: string; failedAction: string | null } | null,
): boolean {
  return call.channel === "provider" && call.state === "failed" && grant?.state === "failed" && grant.failedAction === call.action;
}

/**
 * A dead-lettered provider call retried from the Deliveries page: the same as
 * the request page's Retry (`retryGrant`), so the grant goes back to
 * provisioning or revoking and the call is queued again under its key. Null
 * when the call is not what its grant waits on (see `callRetriesGrant`).
 */
export async function retryProviderCall(relay: Relay, admin: string, callId: string, meta: RequestMeta): Promise<Transition | null> {
  const [found] = await relay.database.db
    .select({ call: outbox, grant: grants })
    .from(outbox)
    .leftJoin(grants, eq(grants.id, outbox.grantId))
    .where(eq(outbox.id, callId));
  if (!found?.grant || !callRetriesGrant(found.call, found.grant)) return null;
  return retryGrant(relay, admin, found.grant.id, meta);
}

/** How many grants need an admin: a provider call gave up (`failed`). One count, on the `state` index. */
export async function failedGrantCount(relay: Relay): Promise<number> {
  const [row] = await relay.database.db.select({ n: count() }).from(grants).where(eq(grants.state, "failed"));
  return row?.n ?? 0;
}

/** The grant of a request (a request has at most one), or null: the admin's request page shows it and acts on it. */
export async function grantOfRequest(relay: Relay, requestId: string): Promise<GrantRow | null> {
  const [grant] = await relay.database.db.select().from(grants).where(eq(grants.requestId, requestId));
  return grant ?? null;
}

/**
 * A person's access as their admin page shows it: the grants that are not
 * over yet, newest first, with the resource's name from the request, and how
 * many of them a revoke applies to (the machine has the last word: not a
 * grant whose revoke is under way or gave up), which "Revoke all" revokes.
 */
export async function personAccess(relay: Relay, email: string, limit = 200) {
  const live = await relay.database.db
    .select({ g: grants, resourceName: requests.resourceName })
    .from(grants)
    .innerJoin(users, eq(users.id, grants.userId))
    .innerJoin(requests, eq(requests.id, grants.requestId))
    .where(and(eq(users.email, email), notInArray(grants.state, [...ENDED_STATES])))
    .orderBy(desc(grants.startsAt))
    .limit(limit);
  const now = relay.clock.now();
  const revocable = live.filter(({ g }) => transition(grantFacts(g), { type: "revoke", now, by: "", reason: "" }).ok).length;
  return { live, revocable };
}
export type PersonAccess = Awaited<ReturnType<typeof personAccess>>;
