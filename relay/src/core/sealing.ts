import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";

/**
 * Envelope encryption of the relay's private keys at rest. Each key gets its
 * own random data key (AES-256-GCM); the data key is wrapped by the key
 * encryption key (KEK) from the environment, also with AES-256-GCM. So a copy
 * of the database alone (a backup, a read replica, SQL injection) holds no
 * usable private key, and the KEK can be rotated by re-wrapping data keys
 * without touching what they encrypt. Both layers bind the key id as
 * associated data: a sealed key moved to another row does not open.
 */
export interface KeyEncryptionKey {
  /** A short fingerprint (not the key): which KEK sealed a row, for rotation and errors. */
  id: string;
  key: Buffer;
}

export interface SealedSecret {
  v: 1;
  alg: "A256GCM";
  /** The fingerprint of the KEK that wrapped the data key. */
  kek: string;
  /** The data key, wrapped: base64url of iv ‖ ciphertext ‖ tag. */
  dek: string;
  /** The secret under the data key: base64url of iv ‖ ciphertext ‖ tag. */
  data: string;
}

export class SealError extends Error {}

/** Reads a KEK: 32 bytes written as base64 or base64url (`openssl rand -base64 32`). */
export function parseKek(text: string, name = "KEY_ENCRYPTION_KEY"): KeyEncryptionKey {
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== 32)
    throw new SealError(`${name} must be 32 random bytes in base64 (openssl rand -base64 32); it decodes to ${key.length} bytes`);
  return { id: createHash("sha256").update(key).digest("hex").slice(0, 16), key };
}

function encrypt(key: Buffer, plain: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, ct, cipher.getAuthTag()]).toString("base64url");
}

function decrypt(key: Buffer, sealed: string, aad: string): Buffer {
  const raw = Buffer.from(sealed, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
}

/** Seals `plain` for the row named `aad` under `kek`. */
export function seal(kek: KeyEncryptionKey, plain: string, aad: string): SealedSecret {
  const dek = randomBytes(32);
  return { v: 1, alg: "A256GCM", kek: kek.id, dek: encrypt(kek.key, dek, `dek:${aad}`), data: encrypt(dek, Buffer.from(plain), aad) };
}

/** Opens a sealed secret with whichever of `keks` sealed it; a clear error when none did or it was altered. */
export function unseal(keks: KeyEncryptionKey[], sealed: SealedSecret, aad: string): string {
  const kek = keks.find((k) => k.id === sealed.kek);
  if (!kek)
    throw new SealError(
      `the key ${aad} was sealed under a key encryption key with fingerprint ${sealed.kek}, which is not configured ` +
        `(configured: ${keks.map((k) => k.id).join(", ") || "none"}); set KEY_ENCRYPTION_KEY, or KEY_ENCRYPTION_KEY_PREVIOUS while rotating`,
    );
  try {
    const dek = decrypt(kek.key, sealed.dek, `dek:${aad}`);
    return decrypt(dek, sealed.data, aad).toString();
  } catch {
    throw new SealError(`the sealed key ${aad} does not open: it was altered or belongs to another row`);
  }
}

/** A key for one purpose derived from the KEK (HKDF-SHA256), the same on every instance: e.g. the CSRF key. */
export function deriveKey(kek: KeyEncryptionKey, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", kek.key, Buffer.alloc(0), `gatehouse ${purpose}`, 32));
}
