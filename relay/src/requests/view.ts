import type { GrantView, RequestView } from "@gatehouse/shared";
import { desc, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { grants, requests } from "../db/schema/index.ts";

type RequestRow = typeof requests.$inferSelect;
type GrantRow = typeof grants.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function grantView(g: GrantRow): GrantView {
  return { id: g.id, state: g.state, startsAt: g.startsAt.toISOString(), endsAt: iso(g.endsAt), endedAt: iso(g.endedAt) };
}

export function requestView(r: RequestRow, g: GrantRow | null): RequestView {
  return {
    id: r.id,
    state: r.state,
    app: r.app,
    resource: { id: r.resourceId, name: r.resourceName, url: r.resourceUrl },
    flow: { id: r.flowId, name: r.flowName },
    duration: r.duration,
    reason: r.reason,
    createdAt: r.createdAt.toISOString(),
    decidedAt: iso(r.decidedAt),
    decisionNote: r.decisionNote,
    grant: g ? grantView(g) : null,
  };
}

/** A requester's most recent requests, newest first. */
export async function listRequestsOf(db: Db, userId: string, limit = 50): Promise<RequestView[]> {
  const rows = await db
    .select({ r: requests, g: grants })
    .from(requests)
    .leftJoin(grants, eq(grants.requestId, requests.id))
    .where(eq(requests.requesterId, userId))
    .orderBy(desc(requests.createdAt))
    .limit(limit);
  return rows.map(({ r, g }) => requestView(r, g));
}
