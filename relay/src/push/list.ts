import type { Notice, NoticeKind } from "@gatehouse/shared";
import { and, asc, eq, gt } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { grants, notices, requests } from "../db/schema/index.ts";
import { extendRules, grantView, openQuestions, requestView } from "../requests/view.ts";

/** A user's notices after `cursor`, oldest first, with the current request and grant. */
export async function listNotices(db: Db, userId: string, cursor: number, now: Date, limit = 100): Promise<Notice[]> {
  const rows = await db
    .select({ n: notices, r: requests, g: grants })
    .from(notices)
    .innerJoin(requests, eq(requests.id, notices.requestId))
    .leftJoin(grants, eq(grants.requestId, notices.requestId))
    .where(and(eq(notices.userId, userId), gt(notices.id, cursor)))
    .orderBy(asc(notices.id))
    .limit(limit);
  const questions = await openQuestions(
    db,
    rows.map((x) => x.r),
  );
  const rules = await extendRules(
    db,
    rows.map((x) => x.r),
  );
  return rows.map(({ n, r, g }) => ({
    id: n.id,
    kind: n.kind as NoticeKind,
    at: n.createdAt.toISOString(),
    request: requestView(r, g, questions.get(r.id) ?? null, rules.get(r.flowId), now),
    grant: g ? grantView(g, rules.get(r.flowId), now) : null,
  }));
}
