import { z } from "zod";
import { GrantViewSchema, RequestViewSchema } from "./api.ts";

/**
 * Notices are what the relay pushes to a requester's extension. Each has a
 * monotonically increasing `id`, the cursor the extension replays from.
 */
export const NOTICE_KINDS = [
  "request.rejected",
  "request.advanced",
  "request.info_requested",
  "request.escalated",
  "request.expired",
  "request.cancelled",
  "request.error",
  /** Approved: the grant is provisioning, scheduled or waits to be started. */
  "request.approved",
  /** The app confirmed the access: reload to continue. */
  "grant.started",
  "grant.failed",
  "grant.expiring",
  "grant.extended",
  /** Access is being removed (the end came, or it was released or revoked); `grant.ended` follows once the app confirmed. */
  "grant.ending",
  "grant.ended",
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export const NoticeSchema = z.object({
  id: z.number().int(),
  kind: z.enum(NOTICE_KINDS),
  at: z.iso.datetime(),
  request: RequestViewSchema,
  grant: GrantViewSchema.nullable(),
});
export type Notice = z.infer<typeof NoticeSchema>;

export const NoticeListSchema = z.object({ notices: z.array(NoticeSchema), cursor: z.number().int() });
export type NoticeList = z.infer<typeof NoticeListSchema>;
