import { eq } from "drizzle-orm";
import { type OpenedTask, type ProviderCall, ProviderError, type TaskDesk } from "../adapters/providers/types.ts";
import { enqueue, enqueueMail, type OutboxRow } from "../channels/outbox.ts";
import { slackTaskMessage } from "../channels/slack.ts";
import type { Relay } from "../context.ts";
import type { ProviderAction } from "../core/grant-lifecycle.ts";
import { type TaskFacts, type TaskRound, taskRoundOf } from "../core/manual-task.ts";
import type { Db, Tx } from "../db/client.ts";
import { grants, outbox, users } from "../db/schema/index.ts";
import { unitOfWork } from "../db/unit-of-work.ts";
import { signTaskLink } from "../keys/signing.ts";
import { taskMail } from "../mail/templates.ts";
import { randomToken } from "../secrets.ts";

/**
 * The relay's task desk for the manual provider: opening a call's tasks
 * queues one mail (and, with a Slack bot token, one DM) per operator in the
 * outbox, each with the operator's own signed link, and records the round on
 * the call's row — in one transaction under that row's lock, so a retried or
 * taken-over call finds the round and sends nothing twice.
 */
export function taskDesk(relay: Relay): TaskDesk {
  return { open: (call, task) => openTasks(relay, call, task) };
}

/** A task link stays readable a week past its deadline, so a late click learns what became of the task. */
const LINK_GRACE_MS = 7 * 86_400_000;

async function openTasks(relay: Relay, call: ProviderCall, task: { operators: string[]; deadlineMs: number }): Promise<OpenedTask> {
  const now = relay.clock.now();
  return unitOfWork(relay.database.db, async (tx) => {
    const [row] = await tx.select().from(outbox).where(eq(outbox.key, call.idempotencyKey)).for("update");
    if (!row) throw new ProviderError("the provider call is no longer queued", true);
    const open = taskRoundOf(row.response);
    if (open) return { sent: false, remainingMs: new Date(open.deadlineAt).getTime() - now.getTime() };
    const deadlineAt = new Date(now.getTime() + task.deadlineMs);
    const round: TaskRound = {
      round: randomToken(),
      openedAt: now.toISOString(),
      deadlineAt: deadlineAt.toISOString(),
      operators: task.operators,
    };
    const facts = await loadTaskFacts(tx, row, deadlineAt);
    const event = `task.${row.action}`;
    for (const operator of task.operators) {
      const token = await signTaskLink(
        relay.keys,
        relay.env.publicUrl,
        { operator, key: call.idempotencyKey, round: round.round, jti: randomToken() },
        now,
        new Date(deadlineAt.getTime() + LINK_GRACE_MS),
      );
      const link = `${relay.env.publicUrl}/tasks/${token}`;
      await enqueueMail(tx, taskMail({ to: operator, facts, link }), now, !relay.env.SMTP_URL, { requestId: row.requestId, event });
      // A DM only: a shared channel is read by many, and the link is the operator's own.
      if (relay.env.SLACK_BOT_TOKEN) {
        const message = slackTaskMessage(facts, `${link}?via=slack`);
        await enqueue(
          tx,
          {
            channel: "slack",
            to: operator,
            subject: message.text,
            text: message.text,
            payload: { kind: "dm", message },
            requestId: row.requestId,
            event,
          },
          now,
        );
      }
    }
    await tx
      .update(outbox)
      .set({ response: { task: round } })
      .where(eq(outbox.id, row.id));
    return { sent: true, remainingMs: task.deadlineMs };
  });
}

/** What a call's task is about, from its grant as stored now. */
export async function loadTaskFacts(q: Db | Tx, row: OutboxRow, deadlineAt: Date): Promise<TaskFacts> {
  if (!row.grantId) throw new ProviderError("a provider call without its grant", true);
  const [found] = await q
    .select({ g: grants, u: users })
    .from(grants)
    .innerJoin(users, eq(users.id, grants.userId))
    .where(eq(grants.id, row.grantId));
  if (!found) throw new ProviderError("the grant no longer exists", true);
  const { g, u } = found;
  return {
    action: row.action as ProviderAction,
    provider: row.to,
    requester: { name: u.name, email: u.email },
    app: g.app,
    resource: g.scope === "app" ? null : g.resourceId,
    duration: g.duration,
    endsAt: g.endsAt,
    target: g.target ?? {},
    deadlineAt,
  };
}
