import nodemailer from "nodemailer";
import type { Relay } from "./context.ts";
import { expireDueGrants } from "./grants/expiry.ts";
import { deliverDueMail } from "./mail/outbox.ts";

/**
 * Background loops of one relay instance. Each tick is idempotent and safe to
 * run on many instances at once; on start they catch up on whatever fell due
 * while the relay was down.
 */
export function startWorkers(relay: Relay): { stop(): Promise<void> } {
  const loops: Promise<void>[] = [];
  let stopped = false;
  const sleepers = new Map<NodeJS.Timeout, () => void>();

  const loop = (name: string, intervalMs: number, tick: () => Promise<unknown>) => {
    loops.push(
      (async () => {
        while (!stopped) {
          try {
            await tick();
          } catch (err) {
            relay.log.error(`${name} tick failed`, { error: (err as Error).message });
          }
          if (stopped) break;
          await new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              sleepers.delete(t);
              resolve();
            }, intervalMs);
            sleepers.set(t, resolve);
          });
        }
      })(),
    );
  };

  loop("expiry", relay.env.EXPIRY_INTERVAL_MS, () => expireDueGrants(relay));
  if (relay.env.SMTP_URL) {
    const transport = nodemailer.createTransport(relay.env.SMTP_URL);
    loop("outbox", relay.env.OUTBOX_INTERVAL_MS, () =>
      deliverDueMail(relay.database.db, transport, relay.env.MAIL_FROM, relay.clock, relay.log),
    );
  }

  return {
    async stop() {
      stopped = true;
      for (const [t, wake] of sleepers) {
        clearTimeout(t);
        wake();
      }
      sleepers.clear();
      await Promise.all(loops);
    },
  };
}
