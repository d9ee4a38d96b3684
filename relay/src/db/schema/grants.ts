import type { GrantState } from "@gatehouse/shared";
import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./directory.ts";
import { requests } from "./requests.ts";

/**
 * A grant is valid while `state = 'active'` and `ends_at` is in the future:
 * readers check `ends_at` themselves, so a late expiry worker never extends access.
 */
export const grants = pgTable(
  "grants",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    requestId: uuid("request_id")
      .notNull()
      .unique()
      .references(() => requests.id),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    app: text("app").notNull(),
    resourceId: text("resource_id"),
    /** `resource`: the one asked for; `app`: the approver widened it to the whole app. */
    scope: text("scope", { enum: ["resource", "app"] })
      .notNull()
      .default("resource"),
    state: text("state").$type<GrantState>().notNull().default("active"),
    startsAt: timestamp("starts_at", { withTimezone: true }).notNull(),
    endsAt: timestamp("ends_at", { withTimezone: true }),
    endedAt: timestamp("ended_at", { withTimezone: true }),
  },
  (t) => [index("grants_due_idx").on(t.state, t.endsAt), index("grants_user_idx").on(t.userId)],
);
