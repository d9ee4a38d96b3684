import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { type CryptoKey, errors, exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from "jose";
import type { Clock } from "../clock.ts";
import type { Checkpoint } from "../core/audit-chain.ts";
import { type KeyEncryptionKey, SealError, seal, unseal } from "../core/sealing.ts";
import type { Db } from "../db/client.ts";
import { signingKeys } from "../db/schema/index.ts";

const ALG = "EdDSA";
export const LINK_AUDIENCE = "gatehouse:decision";

export interface KeyRing {
  kid: string;
  privateKey: CryptoKey;
  /** kid → public key, for every key still published */
  publicKeys: Map<string, CryptoKey>;
  jwks: { keys: JWK[] };
}

/**
 * Loads the signing keys, creating an Ed25519 key on first start. Private
 * halves are stored sealed under the KEK (keys/sealing.ts); a row written
 * before that, or sealed under the previous KEK while rotating, is sealed
 * under the current one here, so a restart finishes a rotation.
 */
export async function loadKeyRing(db: Db, clock: Clock, keks: KeyEncryptionKey[]): Promise<KeyRing> {
  const [current] = keks;
  if (!current) throw new SealError("no key encryption key");
  let rows = await db.select().from(signingKeys);
  if (!rows.some((r) => r.active)) {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { crv: "Ed25519", extractable: true });
    const kid = randomUUID();
    await db
      .insert(signingKeys)
      .values({
        kid,
        alg: ALG,
        publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALG, use: "sig" },
        privateSealed: seal(current, JSON.stringify(await exportJWK(privateKey)), kid),
        active: true,
        createdAt: clock.now(),
      })
      .onConflictDoNothing();
    rows = await db.select().from(signingKeys);
  }
  for (const row of rows) {
    if (row.privateSealed?.kek === current.id && !row.privateJwk) continue;
    const plain = row.privateSealed ? unseal(keks, row.privateSealed, row.kid) : JSON.stringify(row.privateJwk);
    const privateSealed = seal(current, plain, row.kid);
    await db.update(signingKeys).set({ privateSealed, privateJwk: null }).where(eq(signingKeys.kid, row.kid));
    Object.assign(row, { privateSealed, privateJwk: null });
  }
  const active = rows.find((r) => r.active);
  if (!active?.privateSealed) throw new Error("no active signing key");
  const publicKeys = new Map<string, CryptoKey>();
  for (const row of rows) publicKeys.set(row.kid, (await importJWK(row.publicJwk as JWK, ALG)) as CryptoKey);
  return {
    kid: active.kid,
    privateKey: (await importJWK(JSON.parse(unseal(keks, active.privateSealed, active.kid)) as JWK, ALG)) as CryptoKey,
    publicKeys,
    jwks: { keys: rows.map((r) => r.publicJwk as JWK) },
  };
}

export interface DecisionLinkClaims {
  approverId: string;
  requestId: string;
  step: number;
  /** The request's link round (requests.round): links of an earlier round no longer decide. */
  round: number;
  jti: string;
}

/** Signs a decision link bound to one approver, one request, one step and its round. */
export async function signDecisionLink(
  ring: KeyRing,
  issuer: string,
  claims: DecisionLinkClaims,
  now: Date,
  ttlSeconds: number,
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ rid: claims.requestId, stp: claims.step, rnd: claims.round })
    .setProtectedHeader({ alg: ALG, kid: ring.kid, typ: "gatehouse-link+jwt" })
    .setIssuer(issuer)
    .setAudience(LINK_AUDIENCE)
    .setSubject(claims.approverId)
    .setJti(claims.jti)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(ring.privateKey);
}

export type LinkVerification = { ok: true; claims: DecisionLinkClaims } | { ok: false; reason: "expired" | "invalid" };

/** The public key a link names by `kid`: only keys the relay still publishes verify. */
const keyOf = (ring: Pick<KeyRing, "publicKeys">) => async (header: { kid?: string | undefined }) => {
  const key = header.kid ? ring.publicKeys.get(header.kid) : undefined;
  if (!key) throw new errors.JWKSNoMatchingKey();
  return key;
};

/** Verifies signature, issuer, audience and expiry against the relay's clock. */
export async function verifyDecisionLink(ring: KeyRing, issuer: string, token: string, now: Date): Promise<LinkVerification> {
  try {
    const { payload } = await jwtVerify(token, keyOf(ring), {
      issuer,
      audience: LINK_AUDIENCE,
      algorithms: [ALG],
      typ: "gatehouse-link+jwt",
      currentDate: now,
      requiredClaims: ["sub", "jti", "exp", "rid", "stp", "rnd"],
    });
    const { sub, jti, rid, stp, rnd } = payload;
    if (
      typeof sub !== "string" ||
      typeof jti !== "string" ||
      typeof rid !== "string" ||
      typeof stp !== "number" ||
      typeof rnd !== "number"
    ) {
      return { ok: false, reason: "invalid" };
    }
    return { ok: true, claims: { approverId: sub, requestId: rid, step: stp, round: rnd, jti } };
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, reason: "expired" };
    return { ok: false, reason: "invalid" };
  }
}

/**
 * A manual provisioning task's link: the same keys, but its own audience and
 * `typ`, so a decision link never passes for a task link or the other way
 * round. Bound to one operator, one provider call (its idempotency key) and
 * the round of tasks it was sent with (an admin's retry sends a new round).
 */
export const TASK_AUDIENCE = "gatehouse:task";

export interface TaskLinkClaims {
  /** The operator's email. */
  operator: string;
  /** The provider call's idempotency key (`<grant>:<action>:<generation>`). */
  key: string;
  round: string;
  jti: string;
}

export async function signTaskLink(ring: KeyRing, issuer: string, claims: TaskLinkClaims, now: Date, expiresAt: Date): Promise<string> {
  return new SignJWT({ key: claims.key, rnd: claims.round })
    .setProtectedHeader({ alg: ALG, kid: ring.kid, typ: "gatehouse-task+jwt" })
    .setIssuer(issuer)
    .setAudience(TASK_AUDIENCE)
    .setSubject(claims.operator)
    .setJti(claims.jti)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(ring.privateKey);
}

export type TaskLinkVerification = { ok: true; claims: TaskLinkClaims } | { ok: false; reason: "expired" | "invalid" };

export async function verifyTaskLink(ring: KeyRing, issuer: string, token: string, now: Date): Promise<TaskLinkVerification> {
  try {
    const { payload } = await jwtVerify(token, keyOf(ring), {
      issuer,
      audience: TASK_AUDIENCE,
      algorithms: [ALG],
      typ: "gatehouse-task+jwt",
      currentDate: now,
      requiredClaims: ["sub", "jti", "exp", "key", "rnd"],
    });
    const { sub, jti, key, rnd } = payload;
    if (typeof sub !== "string" || typeof jti !== "string" || typeof key !== "string" || typeof rnd !== "string")
      return { ok: false, reason: "invalid" };
    return { ok: true, claims: { operator: sub, key, round: rnd, jti } };
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, reason: "expired" };
    return { ok: false, reason: "invalid" };
  }
}

/**
 * Audit checkpoints (audit/checkpoints.ts): the chain's head signed with the
 * same keys, under their own audience and `typ`, so they verify with the
 * published JWKS alone — by an auditor who holds no secret.
 */
export const CHECKPOINT_AUDIENCE = "gatehouse:audit";
const CHECKPOINT_TYP = "gatehouse-audit-checkpoint+jwt";

export async function signCheckpoint(ring: KeyRing, issuer: string, cp: Checkpoint): Promise<string> {
  return new SignJWT({ hid: cp.headId, hh: cp.headHash, cnt: cp.count })
    .setProtectedHeader({ alg: ALG, kid: ring.kid, typ: CHECKPOINT_TYP })
    .setIssuer(issuer)
    .setAudience(CHECKPOINT_AUDIENCE)
    .setIssuedAt(Math.floor(cp.at.getTime() / 1000))
    .sign(ring.privateKey);
}

/** What a checkpoint JWS says if its signature verifies with one of `publicKeys`, else null. */
export async function verifyCheckpoint(publicKeys: Map<string, CryptoKey>, token: string): Promise<Checkpoint | null> {
  try {
    const { payload } = await jwtVerify(token, keyOf({ publicKeys }), {
      audience: CHECKPOINT_AUDIENCE,
      algorithms: [ALG],
      typ: CHECKPOINT_TYP,
      requiredClaims: ["hid", "hh", "cnt", "iat"],
    });
    const { hid, hh, cnt, iat } = payload;
    if (typeof hid !== "number" || typeof hh !== "string" || typeof cnt !== "number" || typeof iat !== "number") return null;
    return { headId: hid, headHash: hh, count: cnt, at: new Date(iat * 1000) };
  } catch {
    return null;
  }
}

/** Every published public key by kid, read from the database (no key encryption key needed: the CLI's way). */
export async function loadPublicKeys(db: Db): Promise<Map<string, CryptoKey>> {
  const rows = await db.select({ kid: signingKeys.kid, publicJwk: signingKeys.publicJwk }).from(signingKeys);
  const keys = new Map<string, CryptoKey>();
  for (const row of rows) keys.set(row.kid, (await importJWK(row.publicJwk as JWK, ALG)) as CryptoKey);
  return keys;
}
