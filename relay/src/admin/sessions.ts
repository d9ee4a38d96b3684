import { and, eq, gt, isNull } from "drizzle-orm";
import { enqueueMail } from "../channels/outbox.ts";
import type { Relay } from "../context.ts";
import { adminSessions, adminSignIns, users } from "../db/schema/index.ts";
import { appendAudit, unitOfWork } from "../db/unit-of-work.ts";
import type { RequestMeta } from "../devices/service.ts";
import { adminSignInMail } from "../mail/templates.ts";
import { randomToken, sha256 } from "../secrets.ts";

const LINK_TTL_MS = 15 * 60_000;
export const ADMIN_SESSION_TTL_MS = 12 * 3_600_000;

export type AdminUser = typeof users.$inferSelect;

/**
 * Admins sign in by emailed link, like the extension: the address must be an
 * active admin of the directory; the link works once, for 15 minutes; opening
 * it changes nothing, the button on the page behind it (a POST) signs in.
 * Whether the address is an admin is never revealed to the person asking.
 */
export async function startAdminSignIn(relay: Relay, email: string, meta: RequestMeta): Promise<void> {
  const { db } = relay.database;
  const [user] = await db.select().from(users).where(eq(users.email, email.trim().toLowerCase()));
  if (!user?.active || !user.isAdmin) {
    relay.log.info("admin sign-in refused: not an active admin");
    return;
  }
  const now = relay.clock.now();
  const token = randomToken("gha_");
  await unitOfWork(db, async (tx) => {
    const [row] = await tx
      .insert(adminSignIns)
      .values({ userId: user.id, linkTokenHash: sha256(token), createdAt: now, expiresAt: new Date(now.getTime() + LINK_TTL_MS) })
      .returning({ id: adminSignIns.id });
    await appendAudit(tx, { at: now, actor: user.email, action: "admin.sign_in_started", data: { signInId: row?.id }, ...meta });
    const link = `${relay.env.publicUrl}/admin/sign-in/${token}`;
    await enqueueMail(tx, adminSignInMail({ to: user.email, name: user.name, link }), now, !relay.env.SMTP_URL);
  });
}

export type SignInLink = { status: "ok"; user: AdminUser } | { status: "invalid" | "used" | "expired" };

/** What the link behind an emailed admin sign-in is, without using it. */
export async function findAdminSignIn(relay: Relay, token: string): Promise<SignInLink> {
  const [row] = await relay.database.db
    .select({ link: adminSignIns, user: users })
    .from(adminSignIns)
    .innerJoin(users, eq(users.id, adminSignIns.userId))
    .where(eq(adminSignIns.linkTokenHash, sha256(token)));
  if (!row) return { status: "invalid" };
  if (row.link.state !== "pending") return { status: "used" };
  if (row.link.expiresAt <= relay.clock.now() || !row.user.active || !row.user.isAdmin) return { status: "expired" };
  return { status: "ok", user: row.user };
}

/** Uses the link (once) and opens a session; returns the session token for the cookie, or null. */
export async function confirmAdminSignIn(relay: Relay, token: string, meta: RequestMeta): Promise<string | null> {
  const now = relay.clock.now();
  const session = randomToken("ghs_");
  return unitOfWork(relay.database.db, async (tx) => {
    const [link] = await tx
      .update(adminSignIns)
      .set({ state: "used" })
      .where(and(eq(adminSignIns.linkTokenHash, sha256(token)), eq(adminSignIns.state, "pending"), gt(adminSignIns.expiresAt, now)))
      .returning();
    if (!link) return null;
    const [user] = await tx.select().from(users).where(eq(users.id, link.userId));
    if (!user?.active || !user.isAdmin) return null;
    const [row] = await tx
      .insert(adminSessions)
      .values({ userId: user.id, tokenHash: sha256(session), createdAt: now, expiresAt: new Date(now.getTime() + ADMIN_SESSION_TTL_MS) })
      .returning({ id: adminSessions.id });
    await appendAudit(tx, { at: now, actor: user.email, action: "admin.signed_in", data: { sessionId: row?.id }, ...meta });
    return session;
  });
}

/** The admin behind a session cookie; null when unknown, ended, or the person is no longer an active admin. */
export async function authenticateAdmin(relay: Relay, token: string): Promise<{ user: AdminUser; sessionId: string } | null> {
  const [row] = await relay.database.db
    .select({ session: adminSessions, user: users })
    .from(adminSessions)
    .innerJoin(users, eq(users.id, adminSessions.userId))
    .where(
      and(eq(adminSessions.tokenHash, sha256(token)), isNull(adminSessions.revokedAt), gt(adminSessions.expiresAt, relay.clock.now())),
    );
  if (!row?.user.active || !row.user.isAdmin) return null;
  return { user: row.user, sessionId: row.session.id };
}

export async function signOutAdmin(relay: Relay, admin: { user: AdminUser; sessionId: string }, meta: RequestMeta): Promise<void> {
  const now = relay.clock.now();
  await unitOfWork(relay.database.db, async (tx) => {
    await tx.update(adminSessions).set({ revokedAt: now }).where(eq(adminSessions.id, admin.sessionId));
    await appendAudit(tx, { at: now, actor: admin.user.email, action: "admin.signed_out", data: { sessionId: admin.sessionId }, ...meta });
  });
}
