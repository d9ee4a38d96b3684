import { z } from "zod";
import { DurationTextSchema } from "./duration.ts";

/** Request bodies and responses of `/api/v1`, shared by relay and extension. */

export const EmailSchema = z
  .email()
  .max(254)
  .transform((e) => e.toLowerCase());

export const UserSummarySchema = z.object({ email: z.string(), name: z.string() });
export type UserSummary = z.infer<typeof UserSummarySchema>;

// --- extension sign-in (device authorization, RFC 8628 in spirit) ---

export const DeviceAuthorizeBodySchema = z.object({
  email: EmailSchema,
  label: z.string().trim().max(100).optional(),
});
export type DeviceAuthorizeBody = z.input<typeof DeviceAuthorizeBodySchema>;

export const DeviceAuthorizeResponseSchema = z.object({
  deviceCode: z.string(),
  userCode: z.string(),
  expiresIn: z.number().int(),
  interval: z.number().int(),
});
export type DeviceAuthorizeResponse = z.infer<typeof DeviceAuthorizeResponseSchema>;

export const DeviceTokenBodySchema = z.object({ deviceCode: z.string().min(16).max(200) });

export const DeviceTokenResponseSchema = z.discriminatedUnion("status", [
  z.object({ status: z.literal("pending") }),
  z.object({
    status: z.literal("paired"),
    token: z.string(),
    expiresAt: z.iso.datetime(),
    user: UserSummarySchema,
  }),
]);
export type DeviceTokenResponse = z.infer<typeof DeviceTokenResponseSchema>;

// --- requests ---

export const ResourceInputSchema = z.object({
  id: z.string().trim().min(1).max(512).nullable(),
  name: z.string().trim().max(512).nullable(),
  url: z.url({ protocol: /^https?$/ }).max(4096),
});

export const PreviewBodySchema = z.object({
  app: z.string().trim().min(1).max(64),
  resource: ResourceInputSchema,
});
export type PreviewBody = z.infer<typeof PreviewBodySchema>;

export const PreviewResponseSchema = z.object({
  flow: z.object({ id: z.string(), name: z.string() }),
  approval: z.enum(["auto", "steps"]),
  approvers: z.array(UserSummarySchema),
  durations: z.array(z.string()),
  defaultDuration: z.string(),
  requireReason: z.boolean(),
  /** The flow asks for a change or incident ticket; its pattern, to check as the person types. */
  ticketPattern: z.string().nullable().default(null),
  /** `on_approval`: access starts at approval, or at a start the request schedules; `on_start`: when the requester presses Start. */
  activation: z.enum(["on_approval", "on_start"]).default("on_approval"),
});
export type PreviewResponse = z.infer<typeof PreviewResponseSchema>;

export const CreateRequestBodySchema = PreviewBodySchema.extend({
  message: z.string().max(2000).default(""),
  duration: DurationTextSchema,
  reason: z.string().trim().max(2000).default(""),
  /** A change or incident ticket, when the flow asks for one. */
  ticket: z.string().trim().max(100).default(""),
  /** Access from a later time (AWS TEAM's scheduled start): the grant waits, `scheduled`, until then. At most 90 days ahead. */
  startAt: z.iso.datetime({ offset: true }).optional(),
});
export type CreateRequestBody = z.input<typeof CreateRequestBodySchema>;

export const REQUEST_STATES = ["pending", "info_requested", "escalated", "approved", "rejected", "cancelled", "expired", "error"] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/** A grant's life (relay/src/core/grant-lifecycle.ts has the machine and its diagram). */
export const GRANT_STATES = [
  "scheduled",
  "awaiting_start",
  "provisioning",
  "active",
  "revoking",
  "expired",
  "revoked",
  "released",
  "failed",
] as const;
export type GrantState = (typeof GRANT_STATES)[number];

export const GrantViewSchema = z.object({
  id: z.string(),
  state: z.enum(GRANT_STATES),
  /** `app`: the approver widened the grant to the whole app. */
  scope: z.enum(["resource", "app"]).default("resource"),
  /** When access started (scheduled: starts; awaiting_start: when it was approved). */
  startsAt: z.iso.datetime(),
  endsAt: z.iso.datetime().nullable(),
  endedAt: z.iso.datetime().nullable(),
  /** The approved length; the clock starts when the app confirmed the access. */
  duration: z.string().default("indefinite"),
  /** awaiting_start: the requester must press Start before this. */
  startBy: z.iso.datetime().nullable().default(null),
  /** Why it ended: expired, revoked (by an admin), released (by the requester), not_started. */
  endReason: z.enum(["expired", "revoked", "released", "not_started"]).nullable().default(null),
  /** failed: which step gave up (admins were told). */
  failedAction: z.enum(["grant", "revoke"]).nullable().default(null),
  /** Where the access is given, in words ("SCIM group docs-readers"); null when nothing is provisioned. */
  target: z.string().nullable().default(null),
  extensions: z.number().int().default(0),
  /** What the requester may extend by now, and how many more times (null: no limit); null when it cannot be extended. */
  extend: z
    .object({
      by: z.string(),
      remaining: z.number().int().nullable(),
      /** Whether extending asks the approvers first (the flow's `extend.reapprove`). */
      approval: z.boolean().default(false),
    })
    .nullable()
    .default(null),
  /** An extension asked for and waiting for the approvers: its request. */
  extensionRequest: z
    .object({ id: z.string(), state: z.enum(REQUEST_STATES) })
    .nullable()
    .default(null),
});
export type GrantView = z.infer<typeof GrantViewSchema>;

export const RequestViewSchema = z.object({
  id: z.string(),
  state: z.enum(REQUEST_STATES),
  app: z.string(),
  resource: z.object({ id: z.string().nullable(), name: z.string().nullable(), url: z.string() }),
  flow: z.object({ id: z.string(), name: z.string() }),
  duration: z.string(),
  reason: z.string(),
  createdAt: z.iso.datetime(),
  decidedAt: z.iso.datetime().nullable(),
  decisionNote: z.string().nullable(),
  /** Which approval step the request waits at (0-based) and how many there are. */
  step: z.number().int().default(0),
  stepCount: z.number().int().default(0),
  /** An approver's open question, while the request is `info_requested`. */
  question: z.object({ text: z.string(), by: UserSummarySchema, at: z.iso.datetime() }).nullable().default(null),
  grant: GrantViewSchema.nullable(),
});
export type RequestView = z.infer<typeof RequestViewSchema>;

/** The requester's answer to an approver's question. */
export const AnswerBodySchema = z.object({ answer: z.string().trim().min(1, "Write an answer").max(2000) });
export type AnswerBody = z.input<typeof AnswerBodySchema>;

export const RequestListSchema = z.object({ requests: z.array(RequestViewSchema) });

/** The requester extends active access (by the flow's extension length unless `by` is given and allowed). */
export const ExtendBodySchema = z.object({ by: DurationTextSchema.optional() });
export type ExtendBody = z.input<typeof ExtendBodySchema>;

export const MeResponseSchema = z.object({ user: UserSummarySchema, device: z.object({ expiresAt: z.iso.datetime() }) });
export type MeResponse = z.infer<typeof MeResponseSchema>;
