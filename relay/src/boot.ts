import { type Clock, systemClock } from "./clock.ts";
import { loadConfigFile } from "./config/load.ts";
import { applyConfig } from "./config/sync.ts";
import type { Relay } from "./context.ts";
import { type Database, openDatabase } from "./db/client.ts";
import type { RelayEnv } from "./env.ts";
import { loadKeyRing } from "./keys/signing.ts";
import { createLogger, type Logger } from "./log.ts";
import { NoticeBus } from "./push/bus.ts";

export interface BootOptions {
  env: RelayEnv;
  clock?: Clock;
  log?: Logger;
  /** An already open database (tests); otherwise opened from the env. */
  database?: Database;
}

/**
 * Opens the database, applies migrations and the config file, loads the
 * signing keys and starts listening for notices. Order matters: the config
 * needs the schema, and links need keys.
 */
export async function bootRelay(opts: BootOptions): Promise<Relay> {
  const { env } = opts;
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger(env.LOG_LEVEL);
  const config = await loadConfigFile(env.configPath);
  const database = opts.database ?? (await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR }));
  await database.migrate();
  await applyConfig(database.db, config, clock);
  const keys = await loadKeyRing(database.db, clock);
  const bus = new NoticeBus();
  await bus.start(database);
  return { env, database, clock, keys, log, bus };
}
