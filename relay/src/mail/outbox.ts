import { and, eq, inArray, lte, sql } from "drizzle-orm";
import type { Transporter } from "nodemailer";
import type { Clock } from "../clock.ts";
import type { Db, Tx } from "../db/client.ts";
import { outbox } from "../db/schema/index.ts";
import type { Logger } from "../log.ts";

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Queues a mail in the caller's transaction: it is sent only if the change that
 * caused it commits. `held` mail (no SMTP configured) is never sent and is
 * read at /dev/outbox instead.
 */
export async function enqueueMail(tx: Tx, mail: Mail, now: Date, held: boolean): Promise<void> {
  await tx.insert(outbox).values({ ...mail, state: held ? "held" : "pending", nextAttemptAt: now, createdAt: now });
}

const MAX_ATTEMPTS = 8;
/** A claimed row is retried by any instance after this, should its sender die. */
const LEASE_MS = 120_000;

/** Backoff after the n-th failed attempt: 5 s, 10 s, 20 s, … capped at 30 min. */
export function retryDelayMs(attempts: number): number {
  return Math.min(5_000 * 2 ** (attempts - 1), 1_800_000);
}

/**
 * Sends due mail: claims rows under `FOR UPDATE SKIP LOCKED` by pushing their
 * next attempt out by a lease, sends after commit, then records the outcome.
 */
export async function deliverDueMail(db: Db, transport: Transporter, from: string, clock: Clock, log: Logger): Promise<number> {
  const now = clock.now();
  const claimed = await db.transaction(async (tx) => {
    const due = await tx
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(eq(outbox.state, "pending"), lte(outbox.nextAttemptAt, now)))
      .orderBy(outbox.nextAttemptAt)
      .limit(20)
      .for("update", { skipLocked: true });
    if (due.length === 0) return [];
    return tx
      .update(outbox)
      .set({ nextAttemptAt: new Date(now.getTime() + LEASE_MS), attempts: sql`${outbox.attempts} + 1` })
      .where(
        inArray(
          outbox.id,
          due.map((d) => d.id),
        ),
      )
      .returning();
  });
  for (const mail of claimed) {
    try {
      await transport.sendMail({
        from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: `<${mail.id}@gatehouse>`,
      });
      await db.update(outbox).set({ state: "sent", sentAt: clock.now(), lastError: null }).where(eq(outbox.id, mail.id));
    } catch (err) {
      const failed = mail.attempts >= MAX_ATTEMPTS;
      log.warn("mail delivery failed", { id: mail.id, attempts: mail.attempts, error: (err as Error).message });
      await db
        .update(outbox)
        .set({
          state: failed ? "failed" : "pending",
          lastError: (err as Error).message.slice(0, 500),
          nextAttemptAt: new Date(clock.now().getTime() + retryDelayMs(mail.attempts)),
        })
        .where(eq(outbox.id, mail.id));
    }
  }
  return claimed.length;
}
