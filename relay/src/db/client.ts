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
import { collectChainWrites } from "../audit/chain.ts";
import * as schema from "./schema/index.ts";

export type Schema = typeof schema;
// biome-ignore lint/suspicious/noExplicitAny: both drivers' result kinds
export type Db = PgDatabase<PgQueryResultHKT & any, Schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), "../../drizzle");

/** A database handle plus the bits that differ between PGlite and PostgreSQL. */
export interface Database {
  db: Db;
  kind: "pglite" | "postgres";
  /** Calls `onNotify(payload)` for each NOTIFY on `channel` (after commit). */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
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
  collectChainWrites(db);
  return {
    db,
    kind: "pglite",
    async listen(channel, onNotify) {
      const unsub = await client.listen(channel, onNotify);
      return unsub;
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

/** Opens PostgreSQL through postgres.js; migrations use a separate single connection. */
export async function openPostgres(url: string): Promise<Database> {
  const client = postgres(url, { max: 10, onnotice: () => {} });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  collectChainWrites(db);
  const instanceId = randomUUID();
  const liveness = await holdInstanceLock(url, instanceId);
  return {
    db,
    kind: "postgres",
    instanceId,
    instanceAlive: (claimedBy) =>
      // Uncorrelated, so PostgreSQL reads pg_locks once per statement (a hashed subplan), not once per row.
      sql`(hashtext(${claimedBy})::oid in (select l.objid from pg_locks l where l.locktype = 'advisory' and l.granted and l.classid = ${INSTANCE_LOCK}::int::oid and l.objsubid = 2))`,
    async listen(channel, onNotify) {
      const sub = await client.listen(channel, (payload) => onNotify(payload));
      return () => sub.unlisten();
    },
    async migrate() {
      const migrator = postgres(url, { max: 1, onnotice: () => {} });
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
  const conn = postgres(url, { max: 1, idle_timeout: 0, onnotice: () => {} });
  const take = () => conn`select pg_advisory_lock(${INSTANCE_LOCK}::int, hashtext(${id}))`;
  await take();
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
