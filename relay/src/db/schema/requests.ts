import type { RequestState } from "@gatehouse/shared";
import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
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
    /**
     * Bumped whenever the step's links are issued anew (an answered question):
     * links carry it, so every older link of the request dies at once.
     */
    round: integer("round").notNull().default(0),
    /** Where approvers of this request are told (frozen from the flow when it is created). */
    channels: jsonb("channels").$type<string[]>().notNull().default(["email"]),
    /** Whether an approver may widen the grant to the whole app (frozen from the flow). */
    wholeAppAllowed: boolean("whole_app_allowed").notNull().default(false),
    /** The state to return to once a question is answered (`pending` or `escalated`). */
    resumeState: text("resume_state").$type<RequestState>(),
    /** Undecided by then, the request expires. */
    deadlineAt: timestamp("deadline_at", { withTimezone: true }),
    /** When the current step's approvers are reminded next (null: no more reminders). */
    remindAt: timestamp("remind_at", { withTimezone: true }),
    decisionNote: text("decision_note"),
    /**
     * An extension that needs approval (`extend.reapprove`): the grant it extends. On
     * approval that grant's end moves (no new grant); were it over by then, the
     * approval gives new access instead. No foreign key: grants already point here.
     */
    extendsGrantId: uuid("extends_grant_id"),
    /** A scheduled start the requester asked for: once approved, the grant waits (`scheduled`) until then. */
    startAt: timestamp("start_at", { withTimezone: true }),
    sourceIp: text("source_ip"),
    userAgent: text("user_agent"),
    /**
     * The client's `Idempotency-Key` for the create: a retried create (the
     * answer was lost to a timeout or a dying relay) returns this request
     * instead of making a second one. Unique per requester.
     */
    idempotencyKey: text("idempotency_key"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
  },
  (t) => [
    index("requests_requester_idx").on(t.requesterId, t.createdAt),
    index("requests_state_idx").on(t.state),
    index("requests_deadline_idx").on(t.state, t.deadlineAt),
    index("requests_remind_idx").on(t.state, t.remindAt),
    index("requests_extends_idx").on(t.extendsGrantId),
    unique("requests_requester_idempotency_key").on(t.requesterId, t.idempotencyKey),
  ],
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
    /**
     * `escalated`: this approver handed the decision to `escalatedTo`;
     * `superseded`: the step ended (or the request did) before they decided.
     */
    state: text("state", { enum: ["pending", "approved", "rejected", "superseded", "escalated"] })
      .notNull()
      .default("pending"),
    note: text("note"),
    /** The duration this approver approved (the request grants the shortest of them). */
    duration: text("duration"),
    /** Through which channel the decision came (`email` link, `slack`, `teams`, `admin`…). */
    via: text("via"),
    /** For an escalated approval: who was asked instead. For an escalation target: who escalated. */
    escalatedTo: uuid("escalated_to"),
    escalatedFrom: uuid("escalated_from"),
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

/**
 * The conversation on a request: an approver's question, the requester's
 * answer, an escalation's note. Shown to approvers and the requester.
 */
export const requestMessages = pgTable(
  "request_messages",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    requestId: uuid("request_id")
      .notNull()
      .references(() => requests.id, { onDelete: "cascade" }),
    authorId: uuid("author_id")
      .notNull()
      .references(() => users.id),
    kind: text("kind", { enum: ["question", "answer", "escalation"] }).notNull(),
    text: text("text").notNull(),
    step: integer("step").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
  },
  (t) => [index("request_messages_request_idx").on(t.requestId, t.id)],
);
