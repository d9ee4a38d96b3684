import { and, eq, isNotNull, lte, min, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Relay } from "../context.ts";
import type { GrantEvent } from "../core/grant-lifecycle.ts";
import type { GrantSettings } from "../core/policy/model.ts";
import { grants, requests } from "../db/schema/index.ts";
import { unitOfWork } from "../db/unit-of-work.ts";
import { loadGrantSettings } from "../policy/snapshot.ts";
import { notifyRequester } from "../requests/notify.ts";
import { applyGrantEvents, CLOCK_TIMES, warnAtFor } from "./lifecycle.ts";

/**
 * The grant clock: ends grants whose time is up, starts scheduled ones,
 * lapses approved grants nobody started in time, and sends warnings before
 * the end. Each kind is claimed in batches with `FOR UPDATE SKIP LOCKED`, so
 * any number of relay instances (or a restarted one catching up) share the
 * work and no grant is handled twice; each grant's transition is written in
 * the claiming transaction with its audit event, notices and provider calls
 * (the revoke runs after commit, exactly once by its key). Access itself is
 * decided from `ends_at` at read time, so a late tick never extends it.
 *
 * The clock does not tick: after each turn it sleeps until the soonest time
 * it waits for (nextClockTime), so a grant ends when its time comes rather
 * than at the next tick after it (workers.ts).
 */
const BATCH = 200;

/** Claims up to BATCH grants matching `where` and applies `event` to each, until none are left. Returns the ids handled. */
async function drain(
  relay: Relay,
  where: SQL | undefined,
  event: (now: Date) => GrantEvent,
  order: PgColumn = grants.endsAt,
): Promise<string[]> {
  const handled: string[] = [];
  for (;;) {
    const now = relay.clock.now();
    const ids = await unitOfWork(relay.database.db, async (tx) => {
      const due = await tx.select().from(grants).where(where).orderBy(order).limit(BATCH).for("update", { skipLocked: true });
      // One unit of work for the batch: a handful of statements, not a dozen per grant.
      const applied = await applyGrantEvents(
        relay,
        tx,
        due.map((grant) => ({ grant, event: event(now) })),
        "relay",
      );
      return { claimed: due.length, done: applied.filter((a) => a.result.ok).map((a) => a.grant.id) };
    });
    handled.push(...ids.done);
    if (ids.claimed < BATCH) return handled;
  }
}

/** Ends every active grant whose time is up. Returns the ids ended by this call. */
export async function expireDueGrants(relay: Relay): Promise<string[]> {
  const now = relay.clock.now();
  const ended = await drain(relay, and(eq(grants.state, "active"), isNotNull(grants.endsAt), lte(grants.endsAt, now)), (at) => ({
    type: "due",
    now: at,
  }));
  if (ended.length > 0) relay.log.info("grants ended", { count: ended.length });
  return ended;
}

/** Starts scheduled grants whose start has come, and lapses `on_start` grants nobody started in time. */
export async function startAndLapse(relay: Relay): Promise<void> {
  const now = relay.clock.now();
  await drain(
    relay,
    and(eq(grants.state, "scheduled"), lte(grants.startsAt, now)),
    (at) => ({ type: "scheduled_due", now: at }),
    grants.startsAt,
  );
  await drain(
    relay,
    and(eq(grants.state, "awaiting_start"), isNotNull(grants.startBy), lte(grants.startBy, now)),
    (at) => ({ type: "start_window_passed", now: at }),
    grants.startBy,
  );
}

/**
 * Sends the warnings that are due (the notice is pushed; a mail goes too
 * when no extension of the requester's is online), and moves each grant's
 * `warn_at` to its next warning. Claimed like expiry, so each warning goes
 * out once.
 */
export async function sendWarnings(relay: Relay): Promise<number> {
  let sent = 0;
  for (;;) {
    const now = relay.clock.now();
    const claimed = await unitOfWork(relay.database.db, async (tx) => {
      const due = await tx
        .select({ g: grants, r: requests })
        .from(grants)
        .innerJoin(requests, eq(requests.id, grants.requestId))
        .where(and(eq(grants.state, "active"), isNotNull(grants.warnAt), lte(grants.warnAt, now)))
        .orderBy(grants.warnAt)
        .limit(BATCH)
        .for("update", { of: grants, skipLocked: true });
      const settings = due.length ? await loadGrantSettings(tx) : null;
      for (const { g, r } of due) {
        // Not once the end has come: expiry tells of that.
        if (g.endsAt && g.endsAt > now) {
          const left = Math.max(1, Math.round((g.endsAt.getTime() - now.getTime()) / 60_000));
          await notifyRequester(relay, tx, r, "grant.expiring", `Your access ends in about ${left} min.`, now, g.id);
        }
        await tx
          .update(grants)
          .set({ warnAt: warnAtFor(g, settings as GrantSettings, g.warnAt ?? now) })
          .where(eq(grants.id, g.id));
      }
      return due.length;
    });
    sent += claimed;
    if (claimed < BATCH) return sent;
  }
}

/**
 * The soonest time the grant clock waits for (CLOCK_TIMES: an end, a
 * warning, a start, a start deadline), past or future; null when it waits
 * for nothing. One index lookup each.
 */
export async function nextClockTime(relay: Relay): Promise<Date | null> {
  const { db } = relay.database;
  const found = await Promise.all(
    CLOCK_TIMES.map(async ([state, column]) => {
      const [row] = await db
        .select({ at: min(grants[column]) })
        .from(grants)
        .where(eq(grants.state, state));
      return row?.at ?? null;
    }),
  );
  let soonest: Date | null = null;
  for (const at of found) if (at && (!soonest || at < soonest)) soonest = at;
  return soonest;
}

/** One turn of the grant clock: ends, starts, lapses and warns whatever is due; returns when it next has something to do. */
export async function runGrantClock(relay: Relay): Promise<Date | null> {
  await expireDueGrants(relay);
  await startAndLapse(relay);
  await sendWarnings(relay);
  return nextClockTime(relay);
}
