import { and, eq, inArray } from "drizzle-orm";
import type { Relay } from "../context.ts";
import type { Transition } from "../core/grant-lifecycle.ts";
import { grants, outbox } from "../db/schema/index.ts";
import type { RequestMeta } from "../devices/service.ts";
import { applyGrantEvent } from "./lifecycle.ts";

/**
 * What admins do with grants: revoke one (with a reason the audit keeps),
 * revoke everything a person holds (off-boarding), and retry a grant whose
 * provider call gave up. Each goes through the lifecycle machine, so the
 * provider is called to remove the access, exactly once, after commit.
 */
export async function revokeGrant(relay: Relay, admin: string, grantId: string, reason: string, meta: RequestMeta): Promise<Transition> {
  const now = relay.clock.now();
  return relay.database.db.transaction(async (tx) => {
    const { result } = await applyGrantEvent(relay, tx, grantId, { type: "revoke", now, by: admin, reason }, admin, meta);
    return result;
  });
}

/** States a grant can be revoked from (the machine has the last word). */
const REVOCABLE = ["scheduled", "awaiting_start", "provisioning", "active", "failed"] as const;

/** Every live grant of one person, revoked in one transaction. Returns how many were revoked. */
export async function revokeAllOf(relay: Relay, admin: string, userId: string, reason: string, meta: RequestMeta): Promise<number> {
  const now = relay.clock.now();
  return relay.database.db.transaction(async (tx) => {
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
  return relay.database.db.transaction(async (tx) => {
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
