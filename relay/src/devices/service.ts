import type { DeviceAuthorizeResponse, DeviceTokenResponse } from "@gatehouse/shared";
import { and, eq, gt, isNull } from "drizzle-orm";
import { enqueueMail } from "../channels/outbox.ts";
import type { Relay } from "../context.ts";
import { ProblemError } from "../core/errors.ts";
import { deviceAuthorizations, devices, users } from "../db/schema/index.ts";
import { appendAudit, unitOfWork } from "../db/unit-of-work.ts";
import { invalidate, invalidationsHeard, onInvalidate } from "../invalidation.ts";
import { signInMail } from "../mail/templates.ts";
import { randomToken, sha256, userCode } from "../secrets.ts";

const AUTHORIZATION_TTL_MS = 15 * 60_000;
const POLL_INTERVAL_S = 2;

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

/**
 * Starts an extension sign-in: mails the person a pairing link and returns the
 * device code the extension polls with. Only hashes of both secrets are kept.
 */
export async function startDeviceAuthorization(
  relay: Relay,
  input: { email: string; label?: string | undefined },
  meta: RequestMeta,
): Promise<DeviceAuthorizeResponse> {
  const { db } = relay.database;
  const [user] = await db.select().from(users).where(eq(users.email, input.email));
  if (!user) throw new ProblemError("unknown_user", `${input.email} is not in the Gatehouse directory; ask an admin to add you`);
  if (!user.active) throw new ProblemError("inactive_user", `${input.email} is deactivated in the Gatehouse directory`);

  const now = relay.clock.now();
  const deviceCode = randomToken("ghd_");
  const linkToken = randomToken("ghp_");
  const code = userCode();
  await unitOfWork(db, async (tx) => {
    const [auth] = await tx
      .insert(deviceAuthorizations)
      .values({
        userId: user.id,
        deviceCodeHash: sha256(deviceCode),
        linkTokenHash: sha256(linkToken),
        userCode: code,
        label: input.label ?? null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + AUTHORIZATION_TTL_MS),
      })
      .returning({ id: deviceAuthorizations.id });
    await appendAudit(tx, {
      at: now,
      actor: user.email,
      action: "device.sign_in_started",
      data: { authorizationId: auth?.id, label: input.label ?? null },
      ...meta,
    });
    const link = `${relay.env.publicUrl}/pair/${linkToken}`;
    await enqueueMail(tx, signInMail({ to: user.email, name: user.name, code, link }), now, !relay.env.SMTP_URL);
  });
  return { deviceCode, userCode: code, expiresIn: AUTHORIZATION_TTL_MS / 1000, interval: POLL_INTERVAL_S };
}

/** The extension's poll: `pending` until the person confirms, then the device token, once. */
export async function redeemDeviceCode(relay: Relay, deviceCode: string, meta: RequestMeta): Promise<DeviceTokenResponse> {
  const { db } = relay.database;
  const now = relay.clock.now();
  const [auth] = await db
    .select()
    .from(deviceAuthorizations)
    .where(eq(deviceAuthorizations.deviceCodeHash, sha256(deviceCode)));
  if (!auth) throw new ProblemError("not_found", "Unknown device code");
  if (auth.state === "consumed" || auth.expiresAt <= now)
    throw new ProblemError("authorization_expired", "This sign-in attempt has expired or was already used; start again");
  if (auth.state === "pending") return { status: "pending" };

  const token = randomToken("ght_");
  const expiresAt = new Date(now.getTime() + relay.env.DEVICE_TOKEN_TTL);
  const user = await unitOfWork(db, async (tx) => {
    const [claimed] = await tx
      .update(deviceAuthorizations)
      .set({ state: "consumed" })
      .where(and(eq(deviceAuthorizations.id, auth.id), eq(deviceAuthorizations.state, "approved")))
      .returning();
    if (!claimed) throw new ProblemError("authorization_expired", "This sign-in attempt was already used");
    const [u] = await tx.select().from(users).where(eq(users.id, auth.userId));
    if (!u?.active) throw new ProblemError("inactive_user");
    const [device] = await tx
      .insert(devices)
      .values({ userId: u.id, tokenHash: sha256(token), label: auth.label, createdAt: now, expiresAt })
      .returning({ id: devices.id });
    await appendAudit(tx, { at: now, actor: u.email, action: "device.paired", data: { deviceId: device?.id }, ...meta });
    return u;
  });
  return { status: "paired", token, expiresAt: expiresAt.toISOString(), user: { email: user.email, name: user.name } };
}

/** The pending sign-in behind an emailed pairing link, if it is still usable. */
export async function findPairing(relay: Relay, linkToken: string) {
  const { db } = relay.database;
  const [row] = await db
    .select({ auth: deviceAuthorizations, user: users })
    .from(deviceAuthorizations)
    .innerJoin(users, eq(users.id, deviceAuthorizations.userId))
    .where(eq(deviceAuthorizations.linkTokenHash, sha256(linkToken)));
  if (!row) return { status: "invalid" as const };
  if (row.auth.state !== "pending") return { status: "used" as const, ...row };
  if (row.auth.expiresAt <= relay.clock.now()) return { status: "expired" as const, ...row };
  return { status: "ok" as const, ...row };
}

/** The person clicked "Pair" on the page behind the link (a POST, never a GET). */
export async function confirmPairing(relay: Relay, linkToken: string, meta: RequestMeta): Promise<boolean> {
  const now = relay.clock.now();
  return unitOfWork(relay.database.db, async (tx) => {
    const [auth] = await tx
      .update(deviceAuthorizations)
      .set({ state: "approved", approvedAt: now })
      .where(
        and(
          eq(deviceAuthorizations.linkTokenHash, sha256(linkToken)),
          eq(deviceAuthorizations.state, "pending"),
          gt(deviceAuthorizations.expiresAt, now),
        ),
      )
      .returning();
    if (!auth) return false;
    const [u] = await tx.select().from(users).where(eq(users.id, auth.userId));
    await appendAudit(tx, {
      at: now,
      actor: u?.email ?? auth.userId,
      action: "device.sign_in_confirmed",
      data: { authorizationId: auth.id },
      ...meta,
    });
    return true;
  });
}

export interface Principal {
  user: typeof users.$inferSelect;
  device: typeof devices.$inferSelect;
}

/** Authenticated devices by token hash, for a few seconds: most calls of an extension come in bursts. */
const principals = new Map<string, { principal: Principal; until: number }>();
const PRINCIPAL_TTL_MS = 5_000;
const MAX_PRINCIPALS = 20_000;
// A revoked device, a deactivated person, any directory change: dropped on every instance (invalidation.ts).
onInvalidate((topic) => {
  if (topic === "policy" || topic === "*") principals.clear();
  else if (topic.startsWith("device:")) {
    const id = topic.slice("device:".length);
    for (const [hash, entry] of principals) if (entry.principal.device.id === id) principals.delete(hash);
  }
});

/**
 * Resolves a bearer device token; null when unknown, revoked, expired or the
 * person is inactive. A hit is kept for a few seconds while invalidations are
 * heard, so an extension's calls cost no query each; revoking a device or
 * changing the directory drops it everywhere at once.
 */
export async function authenticateDevice(relay: Relay, token: string): Promise<Principal | null> {
  const now = relay.clock.now();
  const hash = sha256(token);
  const hit = principals.get(hash);
  if (hit && hit.until > Date.now() && hit.principal.device.expiresAt > now && invalidationsHeard()) {
    await markSeen(relay, hit.principal.device);
    return hit.principal;
  }
  const [row] = await relay.database.db
    .select({ device: devices, user: users })
    .from(devices)
    .innerJoin(users, eq(users.id, devices.userId))
    .where(and(eq(devices.tokenHash, hash), isNull(devices.revokedAt), gt(devices.expiresAt, now)));
  if (!row?.user.active) {
    principals.delete(hash);
    return null;
  }
  if (principals.size >= MAX_PRINCIPALS) principals.clear();
  principals.set(hash, { principal: row, until: Date.now() + PRINCIPAL_TTL_MS });
  await markSeen(relay, row.device);
  return row;
}

/** How long after its last call or heartbeat a device still counts as online (requests/notify.ts). */
export const ONLINE_WINDOW_MS = 3 * 60_000;

const lastSeenWritten = new Map<string, number>();

/**
 * Records that a device is online: what decides whether a requester is also
 * told by mail. Written at most once a minute per device.
 */
export async function markSeen(relay: Relay, device: { id: string; lastSeenAt: Date | null }): Promise<void> {
  const now = relay.clock.now();
  if (device.lastSeenAt && now.getTime() - device.lastSeenAt.getTime() < 60_000) return;
  // Per device and process, not per stream: a device's many streams (tabs, reconnects) write once a minute.
  const written = lastSeenWritten.get(device.id);
  device.lastSeenAt = now;
  if (written !== undefined && now.getTime() - written < 60_000) return;
  lastSeenWritten.set(device.id, now.getTime());
  if (lastSeenWritten.size > 50_000) lastSeenWritten.clear();
  await relay.database.db.update(devices).set({ lastSeenAt: now }).where(eq(devices.id, device.id));
}

/** Signs the extension out: the token stops working at once. */
export async function revokeDevice(relay: Relay, p: Principal, meta: RequestMeta): Promise<void> {
  const now = relay.clock.now();
  await unitOfWork(relay.database.db, async (tx) => {
    await tx.update(devices).set({ revokedAt: now }).where(eq(devices.id, p.device.id));
    await invalidate(tx, `device:${p.device.id}`);
    await appendAudit(tx, { at: now, actor: p.user.email, action: "device.revoked", data: { deviceId: p.device.id }, ...meta });
  });
}
