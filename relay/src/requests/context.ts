import { asc, eq } from "drizzle-orm";
import type { Db, Tx } from "../db/client.ts";
import { requestMessages, type requests, users } from "../db/schema/index.ts";

export type RequestRow = typeof requests.$inferSelect;
export type UserRow = typeof users.$inferSelect;

/** One line of a request's conversation: a question, an answer, an escalation note. */
export interface ConversationLine {
  kind: "question" | "answer" | "escalation";
  text: string;
  by: { name: string; email: string };
  at: Date;
}

/**
 * Everything a message about a request shows, whatever the channel: mail,
 * Slack, Teams, the confirmation page. Every string in it that came from a
 * requester, an approver or a page is untrusted; renderers escape it.
 */
export interface RequestContext {
  id: string;
  requester: { name: string; email: string };
  app: string;
  resource: { id: string | null; name: string | null; url: string };
  duration: string;
  /** A scheduled start (ISO, UTC), when the requester asked for one. */
  startAt?: string | null;
  reason: string;
  ticket: string | null;
  message: string;
  flowName: string;
  /** 1-based step the request waits at, and how many there are. */
  step: number;
  stepCount: number;
  conversation: ConversationLine[];
}

/** How a request's resource reads in a sentence: its name, else its id, else its URL. */
export const resourceLabel = (r: RequestContext["resource"]) => r.name ?? r.id ?? r.url;

export async function loadRequestContext(q: Db | Tx, request: RequestRow): Promise<RequestContext> {
  const [requester] = await q.select().from(users).where(eq(users.id, request.requesterId));
  const lines = await q
    .select({ m: requestMessages, name: users.name, email: users.email })
    .from(requestMessages)
    .innerJoin(users, eq(users.id, requestMessages.authorId))
    .where(eq(requestMessages.requestId, request.id))
    .orderBy(asc(requestMessages.id));
  return requestContext(
    request,
    { name: requester?.name ?? "(unknown)", email: requester?.email ?? "" },
    lines.map(({ m, name, email }) => ({ kind: m.kind, text: m.text, by: { name, email }, at: m.at })),
  );
}

/** A request's context from what the caller has at hand (a new request: its requester, no conversation yet). */
export function requestContext(
  request: RequestRow,
  requester: { name: string; email: string },
  conversation: ConversationLine[] = [],
): RequestContext {
  return {
    id: request.id,
    requester,
    app: request.app,
    resource: { id: request.resourceId, name: request.resourceName, url: request.resourceUrl },
    duration: request.duration,
    startAt: request.startAt?.toISOString() ?? null,
    reason: request.reason,
    ticket: request.ticket,
    message: request.message,
    flowName: request.flowName,
    step: request.step + 1,
    stepCount: request.steps.length,
    conversation,
  };
}
