import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./directory.ts";

/** A signed-in extension. Only the SHA-256 of its token is stored. */
export const devices = pgTable(
  "devices",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    tokenHash: text("token_hash").notNull().unique(),
    label: text("label"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }),
  },
  (t) => [index("devices_user_idx").on(t.userId)],
);

/**
 * A pending extension sign-in: the extension polls with the device code, the
 * person confirms through the emailed link (whose token is only stored hashed).
 */
export const deviceAuthorizations = pgTable("device_authorizations", {
  id: uuid("id").primaryKey().defaultRandom(),
  userId: uuid("user_id")
    .notNull()
    .references(() => users.id),
  deviceCodeHash: text("device_code_hash").notNull().unique(),
  linkTokenHash: text("link_token_hash").notNull().unique(),
  userCode: text("user_code").notNull(),
  label: text("label"),
  state: text("state", { enum: ["pending", "approved", "consumed"] })
    .notNull()
    .default("pending"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  approvedAt: timestamp("approved_at", { withTimezone: true }),
});
