import { eq } from "drizzle-orm";
import type { OutboxRow } from "../channels/outbox.ts";
import type { Relay } from "../context.ts";
import { type TaskFacts, type TaskLinkState, type TaskRound, taskLinkState } from "../core/manual-task.ts";
import { outbox } from "../db/schema/index.ts";
import { unitOfWork } from "../db/unit-of-work.ts";
import type { RequestMeta } from "../devices/service.ts";
import { type TaskLinkClaims, verifyTaskLink } from "../keys/signing.ts";
import { recordAnswer } from "./effects.ts";
import { loadTaskFacts } from "./task-desk.ts";

/**
 * An operator's answer to a manual task, from the signed link in their mail:
 * GET inspects (and changes nothing: mail scanners follow links), POST
 * answers. "Done" completes the waiting provider call exactly as a signed
 * webhook callback does (`provider_done`); "cannot do" gives it up for good
 * with the operator's note (`provider_gave_up`: the grant fails, admins are
 * mailed). The call's row is locked and the link's state checked again
 * inside the answer's transaction, so two operators (or two clicks) answer
 * once; the other is told who did, and when.
 */
export type TaskProblem = "invalid" | "expired" | "note_required" | Exclude<TaskLinkState["kind"], "open">;

export type TaskLookup =
  | { ok: true; claims: TaskLinkClaims; round: TaskRound; facts: TaskFacts }
  | { ok: false; problem: TaskProblem; state?: TaskLinkState };

export type TaskReply = { outcome: "done" } | { outcome: "cannot_do"; note: string };

type Verified = { ok: true; claims: TaskLinkClaims } | { ok: false; problem: "invalid" | "expired" };

async function verify(relay: Relay, token: string): Promise<Verified> {
  const verified = await verifyTaskLink(relay.keys, relay.env.publicUrl, token, relay.clock.now());
  return verified.ok ? verified : { ok: false, problem: verified.reason };
}

/** The link's call, if it names a provider call at all. */
const callOf = (row: OutboxRow | undefined) => (row?.channel === "provider" ? row : null);

/** What GET shows: the open task, or why the link no longer answers. */
export async function inspectTask(relay: Relay, token: string): Promise<TaskLookup> {
  const verified = await verify(relay, token);
  if (!verified.ok) return verified;
  const { claims } = verified;
  const { db } = relay.database;
  const [found] = await db.select().from(outbox).where(eq(outbox.key, claims.key));
  const row = callOf(found);
  if (!row) return { ok: false, problem: "invalid" };
  const state = taskLinkState(row, claims);
  if (state.kind !== "open") return { ok: false, problem: state.kind, state };
  return { ok: true, claims, round: state.round, facts: await loadTaskFacts(db, row, new Date(state.round.deadlineAt)) };
}

export type TaskAnswerResult =
  | { ok: true; reply: TaskReply; facts: TaskFacts }
  | { ok: false; problem: TaskProblem; state?: TaskLinkState };

/** Records an operator's answer exactly once, with who and from where in the audit. */
export async function answerTask(
  relay: Relay,
  token: string,
  reply: TaskReply,
  meta: RequestMeta,
  via = "email",
): Promise<TaskAnswerResult> {
  const verified = await verify(relay, token);
  if (!verified.ok) return verified;
  const { claims } = verified;
  if (reply.outcome === "cannot_do" && !reply.note) return { ok: false, problem: "note_required" };
  const now = relay.clock.now();
  return unitOfWork(relay.database.db, async (tx): Promise<TaskAnswerResult> => {
    const [found] = await tx.select().from(outbox).where(eq(outbox.key, claims.key)).for("update");
    const row = callOf(found);
    if (!row) return { ok: false, problem: "invalid" };
    const state = taskLinkState(row, claims);
    if (state.kind !== "open") return { ok: false, problem: state.kind, state };
    const note = reply.outcome === "cannot_do" ? reply.note : null;
    const facts = await loadTaskFacts(tx, row, new Date(state.round.deadlineAt));
    const recorded = await recordAnswer(relay, tx, row, {
      status: reply.outcome === "done" ? "done" : "failed",
      actor: claims.operator,
      audit: "grant.task_answered",
      data: { operator: claims.operator, outcome: reply.outcome, via, ...(note ? { note } : {}) },
      error: `${claims.operator} cannot do it: ${note ?? ""}`,
      response: { task: { ...state.round, answer: { by: claims.operator, at: now.toISOString(), outcome: reply.outcome, note } } },
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
    // Under the row's lock the state was just checked open, so this is only a guard.
    if (recorded !== "recorded") return { ok: false, problem: "closed" };
    return { ok: true, reply, facts };
  });
}
