import type { RequestState } from "@gatehouse/shared";
import { asc, desc, eq, inArray } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Relay } from "../context.ts";
import { ENDABLE } from "../core/request-lifecycle.ts";
import { approvals, auditEvents, grants, outbox, requests, users } from "../db/schema/index.ts";
import { unitOfWork } from "../db/unit-of-work.ts";
import type { RequestMeta } from "../devices/service.ts";
import { grantOfRequest } from "../grants/admin.ts";
import { loadRequestContext } from "./context.ts";
import { endRequest } from "./decide.ts";

/** The admin's lists of requests: by state, `open` (every one still to be ended), `all`, and `grant_failed` (approved, a provider call gave up). */
export const REQUEST_LISTS = [
  "open",
  "pending",
  "info_requested",
  "escalated",
  "error",
  "approved",
  "rejected",
  "cancelled",
  "expired",
  "all",
  "grant_failed",
] as const;
export type RequestList = (typeof REQUEST_LISTS)[number];

/** The newest requests of a list, each with its requester and grant. */
export async function listRequests(relay: Relay, list: RequestList, limit = 200) {
  const filter =
    list === "all"
      ? undefined
      : list === "grant_failed"
        ? eq(grants.state, "failed")
        : inArray(requests.state, list === "open" ? [...ENDABLE] : [list as RequestState]);
  return relay.database.db
    .select({ r: requests, name: users.name, email: users.email, g: grants })
    .from(requests)
    .innerJoin(users, eq(users.id, requests.requesterId))
    .leftJoin(grants, eq(grants.requestId, requests.id))
    .where(filter)
    .orderBy(desc(requests.createdAt))
    .limit(limit);
}
export type RequestListRow = Awaited<ReturnType<typeof listRequests>>[number];

/** One request as its admin page shows it: as approvers read it, its whole approval path, deliveries, audit trail and grant. Null when there is none. */
export async function requestRecord(relay: Relay, id: string) {
  const { db } = relay.database;
  const [request] = await db.select().from(requests).where(eq(requests.id, id));
  if (!request) return null;
  const ctx = await loadRequestContext(db, request);
  const escalatedTo = alias(users, "escalated_to");
  const path = await db
    .select({ a: approvals, name: users.name, email: users.email, toName: escalatedTo.name })
    .from(approvals)
    .innerJoin(users, eq(users.id, approvals.approverId))
    .leftJoin(escalatedTo, eq(escalatedTo.id, approvals.escalatedTo))
    .where(eq(approvals.requestId, id))
    .orderBy(asc(approvals.step), asc(users.email));
  const trail = await db.select().from(auditEvents).where(eq(auditEvents.requestId, id)).orderBy(asc(auditEvents.id));
  const deliveries = await db.select().from(outbox).where(eq(outbox.requestId, id)).orderBy(asc(outbox.createdAt));
  const grant = await grantOfRequest(relay, id);
  return { request, ctx, path, trail, deliveries, grant };
}
export type RequestRecord = NonNullable<Awaited<ReturnType<typeof requestRecord>>>;

/**
 * An admin ends a request nobody else can: denies it (the requester reads the
 * note) or cancels it. Used for requests in `error`, whose approvers no longer
 * resolve, and for any undecided request. Returns false when the request was
 * no longer open (someone decided first).
 */
export async function adminEndRequest(
  relay: Relay,
  admin: { email: string },
  id: string,
  action: "deny" | "cancel",
  note: string,
  meta: RequestMeta,
): Promise<boolean> {
  const now = relay.clock.now();
  return unitOfWork(relay.database.db, async (tx) => {
    const [request] = await tx.select().from(requests).where(eq(requests.id, id)).for("update");
    if (!request) return false;
    return (await endRequest(relay, tx, request, { type: "admin_end", now, by: admin.email, action, note }, meta)) !== null;
  });
}
