import nodemailer from "nodemailer";
import { writeCheckpoint } from "./audit/checkpoints.ts";
import { deliverDue } from "./channels/outbox.ts";
import type { Relay } from "./context.ts";
import { chainCommitted } from "./db/audit-chainer.ts";
import { databaseUnavailable, loggableError } from "./db/faults.ts";
import { sendProviderCalls } from "./grants/effects.ts";
import { expireDueGrants, sendWarnings, startAndLapse } from "./grants/expiry.ts";
import { EFFECTS_CHANNEL } from "./grants/lifecycle.ts";
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
  /** Loops that a NOTIFY may wake before their interval is up. */
  const wakers = new Map<string, () => void>();

  const loop = (name: string, intervalMs: number, tick: () => Promise<unknown>) => {
    let failures = 0;
    loops.push(
      (async () => {
        while (!stopped) {
          try {
            await tick();
            if (failures > 0) relay.log.info(`${name} resumed`, { failedTicks: failures });
            failures = 0;
          } catch (err) {
            failures++;
            reportFailure(relay, name, err, failures);
          }
          if (stopped) break;
          await new Promise<void>((resolve) => {
            const t = setTimeout(
              () => {
                sleepers.delete(t);
                wakers.delete(name);
                resolve();
              },
              failures ? retryDelay(intervalMs, failures) : intervalMs,
            );
            sleepers.set(t, resolve);
            wakers.set(name, () => {
              clearTimeout(t);
              sleepers.delete(t);
              wakers.delete(name);
              resolve();
            });
          });
        }
      })(),
    );
  };

  loop("expiry", relay.env.EXPIRY_INTERVAL_MS, async () => {
    await expireDueGrants(relay);
    await startAndLapse(relay);
    await sendWarnings(relay);
  });
  loop("requests", relay.env.SWEEP_INTERVAL_MS, () => sweepRequests(relay));
  // Units of work chain their own events after commit; this takes what one left behind (it died, or the database went away just then).
  loop("audit-chain", AUDIT_CHAIN_INTERVAL_MS, () => chainCommitted(relay.database.db));
  loop("audit-checkpoint", relay.env.AUDIT_CHECKPOINT_INTERVAL_MS, () => writeCheckpoint(relay));
  // Every channel goes through the outbox; mail needs SMTP (without it, mail is held for /dev/outbox).
  const senders = { mail: relay.env.SMTP_URL ? smtpTransport(relay.env.SMTP_URL) : null, provider: sendProviderCalls };
  loop("outbox", relay.env.OUTBOX_INTERVAL_MS, () => deliverDue(relay, senders));
  // A queued provider call is sent at once, not at the next tick (on whichever instance hears first).
  const unlisten = relay.database
    .listen(
      EFFECTS_CHANNEL,
      () => wakers.get("outbox")?.(),
      () => wakers.get("outbox")?.(),
    )
    .catch((err: Error) => {
      relay.log.warn("cannot listen for queued provider calls", loggableError(err));
      return null;
    });

  return {
    async stop() {
      stopped = true;
      await (await unlisten)?.();
      for (const [t, wake] of sleepers) {
        clearTimeout(t);
        wake();
      }
      sleepers.clear();
      await Promise.all(loops);
    },
  };
}

/** How often a relay chains audit events nobody else chained (normally none: their writers did). */
const AUDIT_CHAIN_INTERVAL_MS = 1_000;

/** Longest wait between failed ticks, so a loop is working again within seconds of the database's return. */
export const MAX_RETRY_MS = 2_000;

/** After `failures` failed ticks in a row: 250 ms, doubling, at most MAX_RETRY_MS and never longer than the loop's own interval. */
export function retryDelay(intervalMs: number, failures: number): number {
  return Math.min(intervalMs, MAX_RETRY_MS, 250 * 2 ** Math.min(failures - 1, 10));
}

/**
 * Logs a failed tick. An outage is one warning when it starts (every loop
 * hits it at once and on every retry); a bug is an error every time.
 */
function reportFailure(relay: Relay, name: string, err: unknown, failures: number): void {
  const away = databaseUnavailable(err);
  if (!away) relay.log.error(`${name} tick failed`, loggableError(err));
  else if (failures === 1) relay.log.warn(`${name} paused: the database is unreachable; retrying`, away);
  else relay.log.debug(`${name} still waiting for the database`, { failures, ...away });
}

/**
 * The SMTP transport, with timeouts short enough that a stuck server cannot
 * outlast an outbox lease (nodemailer waits up to 10 minutes by default);
 * any set in SMTP_URL's query string win.
 */
export function smtpTransport(url: string) {
  const u = new URL(url);
  for (const [key, ms] of [
    ["connectionTimeout", "10000"],
    ["greetingTimeout", "10000"],
    ["socketTimeout", "30000"],
  ] as const)
    if (!u.searchParams.has(key)) u.searchParams.set(key, ms);
  return nodemailer.createTransport(u.href);
}
