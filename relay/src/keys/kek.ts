import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type KeyEncryptionKey, parseKek, SealError } from "../core/sealing.ts";
import type { RelayEnv } from "../env.ts";

/** Where an embedded relay keeps the KEK it generated: beside its database, readable by its user only. */
export function kekFile(dataDir: string): string {
  return resolve(dataDir, "key-encryption.key");
}

/**
 * The key encryption keys, current first. `KEY_ENCRYPTION_KEY` wins; while
 * rotating, `KEY_ENCRYPTION_KEY_PREVIOUS` opens what the old one sealed (the
 * relay re-seals it under the current key at start). An embedded relay
 * without one generates it into its data directory on first start; a
 * production relay must be given one, and every instance the same.
 */
export function keyEncryptionKeys(
  env: Pick<RelayEnv, "KEY_ENCRYPTION_KEY" | "KEY_ENCRYPTION_KEY_PREVIOUS" | "DATA_DIR" | "mode">,
): KeyEncryptionKey[] {
  const previous = env.KEY_ENCRYPTION_KEY_PREVIOUS ? [parseKek(env.KEY_ENCRYPTION_KEY_PREVIOUS, "KEY_ENCRYPTION_KEY_PREVIOUS")] : [];
  if (env.KEY_ENCRYPTION_KEY) return [parseKek(env.KEY_ENCRYPTION_KEY), ...previous];
  if (env.mode === "production")
    throw new SealError(
      "KEY_ENCRYPTION_KEY is required with DATABASE_URL: it encrypts the signing keys in the database, and every relay instance needs the same one. Generate it with: openssl rand -base64 32",
    );
  const file = kekFile(env.DATA_DIR);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  }
  return [parseKek(readFileSync(file, "utf8"), file), ...previous];
}
