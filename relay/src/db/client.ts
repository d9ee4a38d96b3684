import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "./schema/index.ts";
import { markSerial } from "./serial.ts";

export type Schema = typeof schema;
// biome-ignore lint/suspicious/noExplicitAny: both drivers' result kinds
export type Db = PgDatabase<PgQueryResultHKT & any, Schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), "../../drizzle");

/** A database handle plus the bits that differ between PGlite and PostgreSQL. */
export interface Database {
  db: Db;
  kind: "pglite" | "postgres";
  /**
   * Calls `onNotify(payload)` for each NOTIFY on `channel` (after commit).
   * When the listening connection is lost and made again, NOTIFYs sent in
   * between are gone: `onRelisten` is called then, so the listener can catch
   * up from the rows.
   */
  listen(channel: string, onNotify: (payload: string) => void, onRelisten?: () => void): Promise<() => Promise<void>>;
  /** Whether the database answers `select 1` within `timeoutMs` (readiness). */
  ping(timeoutMs: number): Promise<boolean>;
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** This process's id among relay instances: stamped on what it claims (outbox rows). */
  instanceId: string;
  /**
   * SQL true while the instance named by `claimedBy` is alive: on PostgreSQL,
   * its session still holds its advisory lock; on PGlite (one process) never
   * asked, so null.
   */
  instanceAlive: ((claimedBy: SQLWrapper) => SQL) | null;
}

/** The advisory lock class of instance liveness locks: `(INSTANCE_LOCK, hashtext(instance id))`. */
const INSTANCE_LOCK = 72_026;

/**
 * Opens PGlite in `dataDir` (or in memory for `memory://`). PGlite allows one
 * connection, so embedded mode is one relay process (DESIGN.md).
 */
export async function openPglite(dataDir: string): Promise<Database> {
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir.startsWith("memory://") ? undefined : dataDir);
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  // One connection runs one transaction at a time: nobody writes beside a unit of work, so it chains its own events.
  markSerial(db);
  return {
    db,
    kind: "pglite",
    async listen(channel, onNotify) {
      // In-process: the connection is never lost, so there is nothing to relisten after.
      const unsub = await client.listen(channel, onNotify);
      return unsub;
    },
    ping: async () => {
      await client.query("select 1");
      return true;
    },
    async migrate() {
      await migratePglite(db as never, { migrationsFolder });
    },
    instanceId: randomUUID(),
    instanceAlive: null,
    async close() {
      await client.close();
    },
  };
}

/**
 * How long the relay waits on PostgreSQL before giving up, so that a lost
 * database turns into quick errors (503, a worker backing off) instead of
 * requests and ticks that hang. A statement is cut by the server after
 * `statement_timeout`; a transaction left idle (its client gone) after
 * `idle_in_transaction_session_timeout`, so it cannot hold row locks for long.
 */
export const POSTGRES_TIMEOUTS = {
  /** Seconds to open a connection (TCP and start-up). */
  connect: 5,
  /** Seconds an unused pooled connection is kept. */
  idle: 60,
  /** Seconds of silence before TCP keepalive probes a connection (a dead peer found without a query). */
  keepAlive: 10,
  /** Seconds a connection lives at most, so a failover's new primary is reached soon. */
  maxLifetime: 30 * 60,
  statementMs: 15_000,
  idleInTransactionMs: 30_000,
} as const;

/** What every connection of the relay (pool, liveness lock, migrator) is opened with. */
const CONNECTION_OPTIONS = { connect_timeout: POSTGRES_TIMEOUTS.connect, onnotice: () => {} };

type PgClient = postgres.Sql | postgres.TransactionSql;

/**
 * The client drizzle is given: every query it sends is a prepared statement.
 * drizzle asks postgres.js for unnamed statements (`prepare: false`) unless a
 * query is built with `.prepare()`, and postgres.js then describes every
 * query that has parameters before running it: two round trips and two
 * socket writes per statement, the relay's main cost under load. Prepared,
 * a statement is parsed and described once per connection (they are
 * recycled after `maxLifetime`, which bounds what each one keeps) and then
 * runs in one round trip. Transactions and savepoints hand drizzle their own
 * client, so those are wrapped too.
 */
function preparing<T extends PgClient>(client: T): T {
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop === "unsafe")
        return (query: string, params?: unknown[], options?: object) =>
          (target as postgres.Sql).unsafe(query, params as never, { ...options, prepare: true });
      if (prop === "begin" || prop === "savepoint")
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: postgres.TransactionSql) => unknown;
          return (value as (...a: unknown[]) => unknown).call(target, ...args, (tx: postgres.TransactionSql) => fn(preparing(tx)));
        };
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Opens PostgreSQL through postgres.js; migrations use a separate single connection. */
export async function openPostgres(url: string, opts: { onQuery?: (query: string) => void } = {}): Promise<Database> {
  const { onQuery } = opts;
  const client = postgres(url, {
    ...CONNECTION_OPTIONS,
    // For benchmarks that count statements: every query the pool sends, by its text.
    ...(onQuery ? { debug: (_conn: number, query: string) => onQuery(query) } : {}),
    max: 10,
    idle_timeout: POSTGRES_TIMEOUTS.idle,
    keep_alive: POSTGRES_TIMEOUTS.keepAlive,
    max_lifetime: POSTGRES_TIMEOUTS.maxLifetime,
    connection: {
      application_name: "gatehouse-relay",
      statement_timeout: POSTGRES_TIMEOUTS.statementMs,
      idle_in_transaction_session_timeout: POSTGRES_TIMEOUTS.idleInTransactionMs,
    },
  });
  const db = drizzlePostgres(preparing(client), { schema }) as unknown as Db;
  const instanceId = randomUUID();
  const liveness = await holdInstanceLock(url, instanceId).catch(async (err: unknown) => {
    await client.end({ timeout: 1 });
    throw err;
  });
  return {
    db,
    kind: "postgres",
    instanceId,
    instanceAlive: (claimedBy) =>
      // Uncorrelated, so PostgreSQL reads pg_locks once per statement (a hashed subplan), not once per row.
      sql`(hashtext(${claimedBy})::oid in (select l.objid from pg_locks l where l.locktype = 'advisory' and l.granted and l.classid = ${INSTANCE_LOCK}::int::oid and l.objsubid = 2))`,
    async listen(channel, onNotify, onRelisten) {
      // postgres.js keeps one connection for LISTEN and makes it again when it is lost;
      // its third callback runs on every (re)subscription, the first included.
      let subscribed = false;
      const sub = await client.listen(
        channel,
        (payload) => onNotify(payload),
        () => {
          if (subscribed) onRelisten?.();
          subscribed = true;
        },
      );
      return () => sub.unlisten();
    },
    async ping(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        return await Promise.race([
          client`select 1`.then(
            () => true,
            () => false,
          ),
          late,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    async migrate() {
      const migrator = postgres(url, { ...CONNECTION_OPTIONS, max: 1 });
      try {
        // Instances starting together on a fresh database take turns (one connection, so the
        // session lock is held until `end`): the first migrates, the others find nothing to do.
        await migrator`select pg_advisory_lock(7202613)`;
        await migratePostgres(drizzlePostgres(migrator), { migrationsFolder });
      } finally {
        await migrator.end();
      }
    },
    async close() {
      await liveness.stop();
      await client.end({ timeout: 5 });
    },
  };
}

/**
 * Holds `(INSTANCE_LOCK, hashtext(id))` on a connection of its own for as
 * long as the process lives. When the process dies, PostgreSQL ends its
 * session and the lock goes with it: that is how other instances know at
 * once that this one's claims are orphaned. Should the connection drop
 * while the process lives, the lock is taken again on the next check.
 */
async function holdInstanceLock(url: string, id: string): Promise<{ stop(): Promise<void> }> {
  const conn = postgres(url, { ...CONNECTION_OPTIONS, max: 1, idle_timeout: 0, keep_alive: POSTGRES_TIMEOUTS.keepAlive });
  const take = () => conn`select pg_advisory_lock(${INSTANCE_LOCK}::int, hashtext(${id}))`;
  await take().catch(async (err: unknown) => {
    await conn.end({ timeout: 1 });
    throw err;
  });
  const timer = setInterval(() => {
    conn`select 1 from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() and objid = hashtext(${id})::oid and objsubid = 2`
      .then((held) => (held.length ? undefined : take()))
      .catch(() => {}); // the next check tries again
  }, 5_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await conn.end({ timeout: 2 });
    },
  };
}

export function openDatabase(opts: { databaseUrl?: string | undefined; dataDir: string }): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl) : openPglite(resolve(opts.dataDir, "db"));
}
