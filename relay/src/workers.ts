import nodemailer from "nodemailer";
import { writeCheckpoint } from "./audit/checkpoints.ts";
import { deliverDue } from "./channels/outbox.ts";
import type { Relay } from "./context.ts";
import { chainCommitted } from "./db/audit-chainer.ts";
import { databaseUnavailable, loggableError } from "./db/faults.ts";
import { sendProviderCalls } from "./grants/effects.ts";
import { runGrantClock } from "./grants/expiry.ts";
import { EFFECTS_CHANNEL, GRANT_DUE_CHANNEL } from "./grants/lifecycle.ts";
import { sweepRequests } from "./requests/sweep.ts";

/**
 * Background loops of one relay instance. Each tick is idempotent and safe to
 * run on many instances at once; on start they catch up on whatever fell due
 * while the relay was down.
 */
export function startWorkers(relay: Relay): { stop(): Promise<void> } {
  const loops: Promise<void>[] = [];
  let stopped = false;
  /** Ends the sleep of every sleeping loop (stop). */
  const sleepers = new Set<() => void>();
  /** Loops that a NOTIFY may wake before their time is up: with `at`, no later than then; without, now. */
  const wakers = new Map<string, (at?: Date) => void>();
  /** What a loop heard while it was busy, taken when it goes to sleep: the soonest time, or null for at once. */
  const heard = new Map<string, Date | null>();
  const wake = (name: string, at?: Date) => {
    const sleeping = wakers.get(name);
    if (sleeping) return sleeping(at);
    // At once wins; of two times, the sooner.
    const before = heard.get(name);
    if (before === null) return;
    if (!at) heard.set(name, null);
    else if (!before || at < before) heard.set(name, at);
  };

  /**
   * Sleeps `ms` (a timer on the monotonic clock), or until the relay's clock
   * reads `at`, whichever comes first; `wake` ends it sooner.
   */
  const sleep = (name: string, ms: number, at: Date | null) =>
    new Promise<void>((resolve) => {
      let target: Date | null = null;
      let cancelAt = () => {};
      const done = () => {
        clearTimeout(timer);
        cancelAt();
        sleepers.delete(done);
        wakers.delete(name);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const arm = (when: Date) => {
        cancelAt();
        target = when;
        cancelAt = relay.clock.at(when, done);
      };
      if (at) arm(at);
      sleepers.add(done);
      wakers.set(name, (when) => {
        if (!when) done();
        else if (!target || when < target) arm(when);
      });
    });

  /**
   * Runs `tick` until stopped. Between turns it sleeps `intervalMs` (less
   * after failures), woken sooner by a NOTIFY; one heard during a turn makes
   * the next turn start at once. A tick that returns a Date (the grant
   * clock) says when it next has work: the loop sleeps until then, on the
   * relay's clock, and no longer than `intervalMs`.
   */
  const loop = (name: string, intervalMs: number, tick: () => Promise<unknown>) => {
    let failures = 0;
    loops.push(
      (async () => {
        while (!stopped) {
          heard.delete(name);
          const started = relay.clock.now();
          let next: Date | null = null;
          try {
            const result = await tick();
            if (result instanceof Date) next = result;
            if (failures > 0) relay.log.info(`${name} resumed`, { failedTicks: failures });
            failures = 0;
          } catch (err) {
            failures++;
            reportFailure(relay, name, err, failures);
          }
          if (stopped) break;
          if (failures) {
            await sleep(name, retryDelay(intervalMs, failures), null);
            continue;
          }
          let ms = intervalMs;
          // Due before this turn began and still there: another instance has it locked (SKIP LOCKED); looked at again soon, in case that instance dies.
          if (next && next <= started) {
            ms = Math.min(intervalMs, LOCKED_RECHECK_MS);
            next = null;
          }
          const early = heard.get(name);
          if (early === null) continue;
          if (early && (!next || early < next)) next = early;
          await sleep(name, ms, next);
        }
      })(),
    );
  };

  // The grant clock sleeps until the next grant is due; a grant made due sooner than it would look again (on any instance) wakes it.
  loop("expiry", relay.env.EXPIRY_INTERVAL_MS, () => runGrantClock(relay));
  const unlistenDue = relay.database
    .listen(
      GRANT_DUE_CHANNEL,
      (payload) => {
        const at = new Date(payload);
        wake("expiry", Number.isNaN(at.getTime()) ? undefined : at);
      },
      () => wake("expiry"),
    )
    .catch((err: Error) => {
      relay.log.warn("cannot listen for grants falling due", loggableError(err));
      return null;
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
      () => wake("outbox"),
      () => wake("outbox"),
    )
    .catch((err: Error) => {
      relay.log.warn("cannot listen for queued provider calls", loggableError(err));
      return null;
    });

  return {
    async stop() {
      stopped = true;
      await (await unlisten)?.();
      await (await unlistenDue)?.();
      for (const done of [...sleepers]) done();
      await Promise.all(loops);
    },
  };
}

/** How often a relay chains audit events nobody else chained (normally none: their writers did). */
const AUDIT_CHAIN_INTERVAL_MS = 1_000;

/** How soon the grant clock looks again at grants that were due but locked by another instance (which may die holding them). */
export const LOCKED_RECHECK_MS = 250;

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
