import { boolean, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** People of the directory. `source` tells whether the config file or the admin UI owns the row. */
export const users = pgTable("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  email: text("email").notNull().unique(),
  name: text("name").notNull(),
  managerEmail: text("manager_email"),
  timezone: text("timezone").notNull().default("UTC"),
  active: boolean("active").notNull().default(true),
  isAdmin: boolean("is_admin").notNull().default(false),
  /** The person's account names in other systems (`github`, `okta`…), for provisioning. */
  accounts: jsonb("accounts").$type<Record<string, string>>().notNull().default({}),
  source: text("source", { enum: ["config", "admin", "scim"] })
    .notNull()
    .default("config"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const groups = pgTable("groups", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  source: text("source", { enum: ["config", "admin", "scim"] })
    .notNull()
    .default("config"),
});

export const memberships = pgTable(
  "memberships",
  {
    groupId: text("group_id")
      .notNull()
      .references(() => groups.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index("memberships_user_idx").on(t.userId)],
);
