/**
 * Stable problem types of the relay API (RFC 9457). The `type` URI is
 * `https://gatehouse.dev/problems/<code>`; clients switch on `code`.
 */
export const PROBLEMS = {
  validation_failed: { status: 400, title: "The request is not valid" },
  unauthenticated: { status: 401, title: "Sign-in required" },
  forbidden: { status: 403, title: "Not allowed" },
  not_found: { status: 404, title: "Not found" },
  unknown_user: { status: 404, title: "No such person in the directory" },
  inactive_user: { status: 403, title: "This person is deactivated" },
  authorization_expired: { status: 410, title: "The sign-in attempt expired" },
  no_flow: { status: 403, title: "No access flow covers this resource" },
  no_approver: { status: 409, title: "Nobody can approve this request" },
  duration_not_allowed: { status: 400, title: "This duration is not allowed" },
  duration_exceeds_max: { status: 400, title: "This duration is longer than the flow allows" },
  reason_required: { status: 400, title: "A reason is required" },
  ticket_invalid: { status: 400, title: "A valid ticket is required" },
  conflict: { status: 409, title: "Conflict" },
  request_not_open: { status: 409, title: "This request is no longer open" },
  grant_not_active: { status: 409, title: "This access is not active" },
  extend_not_allowed: { status: 403, title: "This access cannot be extended" },
  extend_limit: { status: 409, title: "This access cannot be extended further" },
  invalid_start: { status: 400, title: "This start time cannot be used" },
  extension_pending: { status: 409, title: "An extension of this access is already waiting for approval" },
  grant_state: { status: 409, title: "Not possible in the access's current state" },
  invalid_signature: { status: 401, title: "The signature does not verify" },
  internal: { status: 500, title: "Internal error" },
  unavailable: { status: 503, title: "The relay cannot reach its database just now; try again shortly" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

export const PROBLEM_TYPE_BASE = "https://gatehouse.dev/problems/";

/** The body of every error response from the relay. */
export interface Problem {
  type: string;
  code: ProblemCode;
  title: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}
