import type { GrantView, RequestView } from "@gatehouse/shared";
import { and, desc, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { grants, requestMessages, requests, users } from "../db/schema/index.ts";

type RequestRow = typeof requests.$inferSelect;
type GrantRow = typeof grants.$inferSelect;
type Question = NonNullable<RequestView["question"]>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function grantView(g: GrantRow): GrantView {
  return { id: g.id, state: g.state, scope: g.scope, startsAt: g.startsAt.toISOString(), endsAt: iso(g.endsAt), endedAt: iso(g.endedAt) };
}

export function requestView(r: RequestRow, g: GrantRow | null, question: Question | null = null): RequestView {
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
    step: r.step,
    stepCount: r.steps.length,
    question: r.state === "info_requested" ? question : null,
    grant: g ? grantView(g) : null,
  };
}

/** The open question of each request that waits for its requester's answer. */
export async function openQuestions(db: Db, rows: RequestRow[]): Promise<Map<string, Question>> {
  const ids = rows.filter((r) => r.state === "info_requested").map((r) => r.id);
  const out = new Map<string, Question>();
  if (ids.length === 0) return out;
  const list = await db
    .select({
      requestId: requestMessages.requestId,
      text: requestMessages.text,
      at: requestMessages.at,
      name: users.name,
      email: users.email,
    })
    .from(requestMessages)
    .innerJoin(users, eq(users.id, requestMessages.authorId))
    .where(and(inArray(requestMessages.requestId, ids), eq(requestMessages.kind, "question")))
    .orderBy(desc(requestMessages.id));
  for (const q of list) {
    if (!out.has(q.requestId)) out.set(q.requestId, { text: q.text, by: { name: q.name, email: q.email }, at: q.at.toISOString() });
  }
  return out;
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
  const questions = await openQuestions(
    db,
    rows.map((x) => x.r),
  );
  return rows.map(({ r, g }) => requestView(r, g, questions.get(r.id) ?? null));
}

/** One request as its requester sees it. */
export async function loadRequestView(db: Db, id: string): Promise<RequestView> {
  const [row] = await db
    .select({ r: requests, g: grants })
    .from(requests)
    .leftJoin(grants, eq(grants.requestId, requests.id))
    .where(eq(requests.id, id));
  if (!row) throw new Error(`request ${id} vanished`);
  const questions = await openQuestions(db, [row.r]);
  return requestView(row.r, row.g, questions.get(id) ?? null);
}
