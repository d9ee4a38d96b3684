import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./directory.ts";

/**
 * An admin's emailed sign-in link, pending until it is confirmed (a POST from
 * the page behind it). Only the SHA-256 of the link's token is kept.
 */
export const adminSignIns = pgTable("admin_sign_ins", {
  id: uuid("id").primaryKey().defaultRandom(),
  userId: uuid("user_id")
    .notNull()
    .references(() => users.id),
  linkTokenHash: text("link_token_hash").notNull().unique(),
  state: text("state", { enum: ["pending", "used"] })
    .notNull()
    .default("pending"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
});

/** A signed-in admin browser: the cookie holds the token, the row its hash. */
export const adminSessions = pgTable(
  "admin_sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("admin_sessions_user_idx").on(t.userId)],
);
