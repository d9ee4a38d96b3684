import nodemailer from "nodemailer";
import { deliverDue } from "./channels/outbox.ts";
import type { Relay } from "./context.ts";
import { expireDueGrants } from "./grants/expiry.ts";
import { sweepRequests } from "./requests/sweep.ts";

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
  loop("requests", relay.env.SWEEP_INTERVAL_MS, () => sweepRequests(relay));
  // Every channel goes through the outbox; mail needs SMTP (without it, mail is held for /dev/outbox).
  const senders = { mail: relay.env.SMTP_URL ? nodemailer.createTransport(relay.env.SMTP_URL) : null };
  loop("outbox", relay.env.OUTBOX_INTERVAL_MS, () => deliverDue(relay, senders));

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
