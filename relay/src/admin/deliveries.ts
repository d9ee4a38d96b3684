import { and, desc, eq, gt, inArray, ne, type SQL } from "drizzle-orm";
import { findDelivery } from "../channels/outbox.ts";
import type { Relay } from "../context.ts";
import { grants, outbox } from "../db/schema/index.ts";
import { appendAudit, unitOfWork } from "../db/unit-of-work.ts";
import type { RequestMeta } from "../devices/service.ts";
import { retryProviderCall } from "../grants/admin.ts";

/*
 * The admin's Deliveries page: every mail, chat message, webhook and
 * provider call the relay queued, by state, and the retry of failed ones.
 */

/** The lists by state the page offers. */
const FILTERS = {
  all: undefined,
  failed: eq(outbox.state, "failed"),
  retrying: and(eq(outbox.state, "pending"), gt(outbox.attempts, 0)),
  pending: eq(outbox.state, "pending"),
  sent: eq(outbox.state, "sent"),
  held: eq(outbox.state, "held"),
} satisfies Record<string, SQL | undefined>;
export type DeliveryList = keyof typeof FILTERS;
export const DELIVERY_LISTS = Object.keys(FILTERS) as DeliveryList[];

/** The newest deliveries of a list, each with the state of its grant (a provider call's). */
export async function listDeliveries(relay: Relay, list: DeliveryList, limit = 200) {
  return relay.database.db
    .select({ d: outbox, grant: { state: grants.state, failedAction: grants.failedAction } })
    .from(outbox)
    .leftJoin(grants, eq(grants.id, outbox.grantId))
    .where(FILTERS[list])
    .orderBy(desc(outbox.createdAt))
    .limit(limit);
}
export type DeliveryListRow = Awaited<ReturnType<typeof listDeliveries>>[number];

/** How many deliveries gave up, and how many are being retried. */
export async function deliveryCounts(relay: Relay): Promise<{ failed: number; retrying: number }> {
  const counts = await relay.database.db
    .select({ state: outbox.state, attempts: outbox.attempts })
    .from(outbox)
    .where(inArray(outbox.state, ["failed", "pending"]));
  return {
    failed: counts.filter((r) => r.state === "failed").length,
    retrying: counts.filter((r) => r.state === "pending" && r.attempts > 0).length,
  };
}

/** What a Retry did: a provider call retries its grant, unless it is not the call the grant waits on; any other delivery is queued again if it had failed. */
export type DeliveryRetry = { call: "provider"; retried: boolean } | { call: "message" };

/**
 * A failed delivery tried again. A provider call is a step of its grant's
 * life, so it is retried through the grant (grants/admin.ts's
 * retryProviderCall); any other delivery goes back to pending with its
 * attempts reset, audited, in one transaction.
 */
export async function retryDelivery(relay: Relay, admin: string, id: string, meta: RequestMeta): Promise<DeliveryRetry> {
  const call = await findDelivery(relay, id);
  if (call?.channel === "provider") {
    const result = await retryProviderCall(relay, admin, id, meta);
    return { call: "provider", retried: result?.ok === true };
  }
  const now = relay.clock.now();
  await unitOfWork(relay.database.db, async (tx) => {
    const [row] = await tx
      .update(outbox)
      .set({ state: "pending", attempts: 0, nextAttemptAt: now })
      .where(and(eq(outbox.id, id), eq(outbox.state, "failed"), ne(outbox.channel, "provider")))
      .returning({ id: outbox.id, channel: outbox.channel, to: outbox.to });
    if (row)
      await appendAudit(tx, {
        at: now,
        actor: admin,
        action: "delivery.retried",
        data: { deliveryId: row.id, channel: row.channel, to: row.to },
        ...meta,
      });
  });
  return { call: "message" };
}
