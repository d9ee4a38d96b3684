import type { RequestState } from "@gatehouse/shared";
import { index, integer, jsonb, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { users } from "./directory.ts";

/** One resolved approval step, frozen on the request when it is created. */
export interface ResolvedStep {
  /** "any", "all", or N distinct approvals (a quorum). */
  require: "any" | "all" | number;
  approverIds: string[];
}

export const requests = pgTable(
  "requests",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    requesterId: uuid("requester_id")
      .notNull()
      .references(() => users.id),
    app: text("app").notNull(),
    resourceId: text("resource_id"),
    resourceName: text("resource_name"),
    resourceUrl: text("resource_url").notNull(),
    message: text("message").notNull().default(""),
    reason: text("reason").notNull().default(""),
    /** A change or incident ticket, when the flow asks for one (flows[].ticket). */
    ticket: text("ticket"),
    duration: text("duration").notNull(),
    flowId: text("flow_id").notNull(),
    flowName: text("flow_name").notNull(),
    steps: jsonb("steps").$type<ResolvedStep[]>().notNull(),
    step: integer("step").notNull().default(0),
    state: text("state").$type<RequestState>().notNull().default("pending"),
    decisionNote: text("decision_note"),
    sourceIp: text("source_ip"),
    userAgent: text("user_agent"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
  },
  (t) => [index("requests_requester_idx").on(t.requesterId, t.createdAt), index("requests_state_idx").on(t.state)],
);

/** One row per approver per step; the decision of that approver. */
export const approvals = pgTable(
  "approvals",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    requestId: uuid("request_id")
      .notNull()
      .references(() => requests.id, { onDelete: "cascade" }),
    step: integer("step").notNull(),
    approverId: uuid("approver_id")
      .notNull()
      .references(() => users.id),
    state: text("state", { enum: ["pending", "approved", "rejected", "superseded"] })
      .notNull()
      .default("pending"),
    note: text("note"),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
  },
  (t) => [unique("approvals_request_step_approver").on(t.requestId, t.step, t.approverId)],
);

/** Every magic link that decided something: its `jti` can never decide again. */
export const magicLinkUses = pgTable("magic_link_uses", {
  jti: text("jti").primaryKey(),
  requestId: uuid("request_id")
    .notNull()
    .references(() => requests.id, { onDelete: "cascade" }),
  approverId: uuid("approver_id")
    .notNull()
    .references(() => users.id),
  outcome: text("outcome").notNull(),
  usedAt: timestamp("used_at", { withTimezone: true }).notNull(),
});
