import { type Clock, systemClock } from "./clock.ts";
import { readConfigFile } from "./config/load.ts";
import { appliedFileHash, applyConfig, configFileHash } from "./config/sync.ts";
import type { Relay } from "./context.ts";
import { deriveKey, type KeyEncryptionKey } from "./core/sealing.ts";
import { type Database, openDatabase } from "./db/client.ts";
import type { RelayEnv } from "./env.ts";
import { listenForInvalidations } from "./invalidation.ts";
import { keyEncryptionKeys } from "./keys/kek.ts";
import { loadKeyRing } from "./keys/signing.ts";
import { createLogger, type Logger } from "./log.ts";
import { NoticeBus } from "./push/bus.ts";
import { listNotices } from "./push/list.ts";

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
 *
 * The file is applied only when it differs from the one applied last: the
 * admin UI edits the same policy in the database, and a restart must not undo
 * those edits. Changing the file is the way to make it win again.
 */
export async function bootRelay(opts: BootOptions): Promise<Relay> {
  const { env } = opts;
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger(env.LOG_LEVEL);
  const { text, config } = await readConfigFile(env.configPath);
  // Before the database: a production relay without its KEK must not start at all.
  const keks = keyEncryptionKeys(env);
  const database = opts.database ?? (await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR }));
  try {
    await database.migrate();
    const fileHash = configFileHash(text);
    if ((await appliedFileHash(database.db)) !== fileHash) {
      await applyConfig(database.db, config, clock, { fileHash });
      log.info("config file applied", { file: env.configPath });
    } else {
      log.info("config file unchanged since it was applied; keeping the policy in the database", { file: env.configPath });
    }
    const keys = await loadKeyRing(database.db, clock, keks);
    const bus = new NoticeBus();
    await bus.start(database, (userId, cursor, limit) => listNotices(database.db, userId, cursor, clock.now(), limit), log);
    bus.alsoStop(await listenForInvalidations(database));
    return {
      env,
      database,
      clock,
      keys,
      log,
      bus,
      drain: new AbortController(),
      csrfKey: deriveKey(keks[0] as KeyEncryptionKey, "csrf v1"),
    };
  } catch (err) {
    // A failed start leaves no connections behind (main.ts tries again while the database is away).
    if (!opts.database) await database.close().catch(() => {});
    throw err;
  }
}
