import { boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import type { EndReason, GrantState } from "../../core/grant-lifecycle.ts";
import { users } from "./directory.ts";
import { requests } from "./requests.ts";

/**
 * A grant and where it is in its life (core/grant-lifecycle.ts). It gives
 * access while `state = 'active'` and `ends_at` is in the future: readers
 * check `ends_at` themselves, so a late expiry worker never extends access.
 * Provider calls are rows of the outbox (`channel = 'provider'`) keyed by
 * `<grant>:<action>:<generation>`; `provider_id` and `target` say where the
 * grant goes (credentials are never stored, only the provider's id).
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
    /** When access started (or starts, for a scheduled grant; the approval, while it waits to start). */
    startsAt: timestamp("starts_at", { withTimezone: true }).notNull(),
    endsAt: timestamp("ends_at", { withTimezone: true }),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    /** The approved length (`1h`, `indefinite`): the clock starts when the provider confirms. */
    duration: text("duration").notNull().default("indefinite"),
    flowId: text("flow_id"),
    providerId: text("provider_id"),
    target: jsonb("target").$type<Record<string, string>>(),
    /** Whether a grant call was queued: an end must then call revoke, confirmed or not. */
    grantQueued: boolean("grant_queued").notNull().default(false),
    /** `on_start`: waits in `awaiting_start` for the requester until `start_by`. */
    startBy: timestamp("start_by", { withTimezone: true }),
    endReason: text("end_reason").$type<EndReason>(),
    failedAction: text("failed_action", { enum: ["grant", "revoke"] }),
    failure: text("failure"),
    extensions: integer("extensions").notNull().default(0),
    /** The next pre-expiry warning; null when none is left. */
    warnAt: timestamp("warn_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }),
  },
  (t) => [
    index("grants_due_idx").on(t.state, t.endsAt),
    index("grants_user_idx").on(t.userId),
    index("grants_warn_idx").on(t.warnAt),
    index("grants_start_idx").on(t.state, t.startsAt),
  ],
);
