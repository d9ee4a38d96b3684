import { and, eq, inArray, isNotNull, lte } from "drizzle-orm";
import { appendAudit } from "../audit/chain.ts";
import type { Relay } from "../context.ts";
import { grants, requests } from "../db/schema/index.ts";
import { addNotice } from "../push/bus.ts";
import { publishEvent } from "../requests/notify.ts";

/**
 * Ends every grant whose time is up, exactly once. Due rows are claimed with
 * `FOR UPDATE SKIP LOCKED` and flipped from `active` in the same transaction as
 * their audit event and notice, so concurrent workers (other instances, or a
 * restarted one catching up) never end a grant twice and a crash ends none
 * half-way. Returns the ids ended by this call.
 */
export async function expireDueGrants(relay: Relay, batch = 100): Promise<string[]> {
  const now = relay.clock.now();
  return relay.database.db.transaction(async (tx) => {
    const due = await tx
      .select({ id: grants.id })
      .from(grants)
      .where(and(eq(grants.state, "active"), isNotNull(grants.endsAt), lte(grants.endsAt, now)))
      .orderBy(grants.endsAt)
      .limit(batch)
      .for("update", { skipLocked: true });
    if (due.length === 0) return [];
    const ended = await tx
      .update(grants)
      .set({ state: "expired", endedAt: now })
      .where(
        and(
          inArray(
            grants.id,
            due.map((d) => d.id),
          ),
          eq(grants.state, "active"),
        ),
      )
      .returning();
    for (const g of ended) {
      await appendAudit(tx, {
        at: now,
        actor: "relay",
        action: "grant.expired",
        requestId: g.requestId,
        grantId: g.id,
        data: { endsAt: g.endsAt?.toISOString() ?? null, lateByMs: g.endsAt ? now.getTime() - g.endsAt.getTime() : 0 },
      });
      await addNotice(tx, { userId: g.userId, kind: "grant.ended", requestId: g.requestId, grantId: g.id }, now);
      const [request] = await tx.select().from(requests).where(eq(requests.id, g.requestId));
      if (request) await publishEvent(relay, tx, "grant.ended", request, { reason: "expired" }, now);
    }
    if (ended.length > 0) relay.log.info("grants expired", { count: ended.length });
    return ended.map((g) => g.id);
  });
}
