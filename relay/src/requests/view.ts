import type { GrantView, RequestState, RequestView } from "@gatehouse/shared";
import { durationMs } from "@gatehouse/shared";
import { and, desc, eq, inArray } from "drizzle-orm";
import { transition } from "../core/grant-lifecycle.ts";
import type { FlowDefinition } from "../core/policy/model.ts";
import { UNDECIDED } from "../core/request-lifecycle.ts";
import type { Db, Tx } from "../db/client.ts";
import { accessFlows, grants, requestMessages, requests, users } from "../db/schema/index.ts";
import { extendRulesOf, grantFacts, targetLabel } from "../grants/lifecycle.ts";

type RequestRow = typeof requests.$inferSelect;
type GrantRow = typeof grants.$inferSelect;
type Question = NonNullable<RequestView["question"]>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The flow's extension rules, as the relay reads them. */
export type ExtendRule = FlowDefinition["extend"];

/** What the requester may extend by now, per the flow's rules and the machine (null: not now). */
export function extendOption(g: GrantRow, rule: ExtendRule, now: Date, extensionPending = false): GrantView["extend"] {
  if (!rule?.allowed || g.state !== "active" || extensionPending) return null;
  const by = rule.by ?? g.duration;
  const byMs = durationMs(by);
  if (byMs === null) return null;
  if (!transition(grantFacts(g), { type: "extend", now, byMs, rules: extendRulesOf(rule) }).ok) return null;
  return { by, remaining: rule.times === undefined ? null : rule.times - g.extensions, approval: rule.reapprove === true };
}

/** An extension waiting for the approvers: its request's id and state. */
export type PendingExtension = { id: string; state: RequestState };

export function grantView(
  g: GrantRow,
  rule: ExtendRule = undefined,
  now: Date = new Date(),
  extension: PendingExtension | null = null,
): GrantView {
  return {
    id: g.id,
    state: g.state,
    scope: g.scope,
    startsAt: g.startsAt.toISOString(),
    endsAt: iso(g.endsAt),
    endedAt: iso(g.endedAt),
    duration: g.duration,
    startBy: iso(g.startBy),
    endReason: g.endReason,
    failedAction: g.failedAction,
    target: targetLabel(g),
    extensions: g.extensions,
    extend: extendOption(g, rule, now, extension !== null),
    extensionRequest: extension,
  };
}

export function requestView(
  r: RequestRow,
  g: GrantRow | null,
  question: Question | null = null,
  rule: ExtendRule = undefined,
  now: Date = new Date(),
  extension: PendingExtension | null = null,
): RequestView {
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
    grant: g ? grantView(g, rule, now, extension) : null,
  };
}

/** The extension rules of the flows of some requests (those still configured). */
export async function extendRules(db: Db | Tx, rows: RequestRow[]): Promise<Map<string, ExtendRule>> {
  const ids = [...new Set(rows.map((r) => r.flowId))];
  if (ids.length === 0) return new Map();
  const flows = await db
    .select({ id: accessFlows.id, definition: accessFlows.definition })
    .from(accessFlows)
    .where(inArray(accessFlows.id, ids));
  return new Map(flows.map((f) => [f.id, f.definition.extend]));
}

/** The extensions waiting for approvers, by the grant they would extend. */
export async function pendingExtensions(db: Db | Tx, grantIds: string[]): Promise<Map<string, PendingExtension>> {
  const out = new Map<string, PendingExtension>();
  if (grantIds.length === 0) return out;
  const rows = await db
    .select({ id: requests.id, state: requests.state, grantId: requests.extendsGrantId })
    .from(requests)
    .where(and(inArray(requests.extendsGrantId, grantIds), inArray(requests.state, [...UNDECIDED])));
  for (const r of rows) if (r.grantId) out.set(r.grantId, { id: r.id, state: r.state });
  return out;
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
export async function listRequestsOf(db: Db, userId: string, limit = 50, now: Date = new Date()): Promise<RequestView[]> {
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
  const rules = await extendRules(
    db,
    rows.map((x) => x.r),
  );
  const extensions = await pendingExtensions(
    db,
    rows.flatMap((x) => (x.g ? [x.g.id] : [])),
  );
  return rows.map(({ r, g }) =>
    requestView(r, g, questions.get(r.id) ?? null, rules.get(r.flowId), now, g ? (extensions.get(g.id) ?? null) : null),
  );
}

/** One request as its requester sees it. */
export async function loadRequestView(db: Db, id: string, now: Date = new Date()): Promise<RequestView> {
  const [row] = await db
    .select({ r: requests, g: grants })
    .from(requests)
    .leftJoin(grants, eq(grants.requestId, requests.id))
    .where(eq(requests.id, id));
  if (!row) throw new Error(`request ${id} vanished`);
  const questions = await openQuestions(db, [row.r]);
  const rules = await extendRules(db, [row.r]);
  const extensions = await pendingExtensions(db, row.g ? [row.g.id] : []);
  return requestView(
    row.r,
    row.g,
    questions.get(id) ?? null,
    rules.get(row.r.flowId),
    now,
    row.g ? (extensions.get(row.g.id) ?? null) : null,
  );
}
