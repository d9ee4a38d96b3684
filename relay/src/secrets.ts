import { createHash, randomBytes, randomInt } from "node:crypto";

/** A random, URL-safe secret with 256 bits of entropy. */
export function randomToken(prefix = ""): string {
  return `${prefix}${randomBytes(32).toString("base64url")}`;
}

/** Secrets are stored as their SHA-256 only (they are random, so no salt is needed). */
export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

const CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"; // no vowels: no words, no 0/O or 1/I confusion

/** The short code the extension and the pairing page both show, e.g. `KDRT-WQZB`. */
export function userCode(): string {
  let code = "";
  for (let i = 0; i < 8; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}
