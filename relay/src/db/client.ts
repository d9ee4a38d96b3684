import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
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
}

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
  return {
    db,
    kind: "postgres",
    async listen(channel, onNotify) {
      const sub = await client.listen(channel, (payload) => onNotify(payload));
      return () => sub.unlisten();
    },
    async migrate() {
      const migrator = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await migratePostgres(drizzlePostgres(migrator), { migrationsFolder });
      } finally {
        await migrator.end();
      }
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}

export function openDatabase(opts: { databaseUrl?: string | undefined; dataDir: string }): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl) : openPglite(resolve(opts.dataDir, "db"));
}
