import type { RequestContext } from "../requests/context.ts";

/**
 * Why approvers are being told about a request: what every channel's
 * approver message says in its first line.
 */
export type ApproverReason =
  | { kind: "opened" }
  | { kind: "reminder" }
  | { kind: "answered" }
  | { kind: "escalated"; by: { name: string; email: string } };

/** How a request ended (or moved on), for chat updates and the requester's notices. */
export type Outcome =
  | { kind: "approved"; by: string; duration: string; wholeApp: boolean }
  | { kind: "rejected"; by: string; note: string }
  | { kind: "cancelled"; by?: string }
  | { kind: "expired" }
  | { kind: "error"; note: string };

/** The headline of an approver message, as plain text (renderers escape it). */
export function approverHeadline(ctx: RequestContext, reason: ApproverReason): string {
  const who = ctx.requester.name;
  switch (reason.kind) {
    case "opened":
      return `${who} asks for access to ${ctx.app}`;
    case "reminder":
      return `Reminder: ${who} is still waiting for access to ${ctx.app}`;
    case "answered":
      return `${who} answered your question about access to ${ctx.app}`;
    case "escalated":
      return `${reason.by.name} passed ${who}'s request for ${ctx.app} to you`;
  }
}

/** One line that says how a request ended, as plain text. */
export function outcomeLine(outcome: Outcome): string {
  switch (outcome.kind) {
    case "approved":
      return `Approved by ${outcome.by} for ${outcome.duration}${outcome.wholeApp ? " (the whole app)" : ""}.`;
    case "rejected":
      return `Rejected by ${outcome.by}.${outcome.note ? ` “${outcome.note}”` : ""}`;
    case "cancelled":
      return `Cancelled by ${outcome.by ?? "the requester"}.`;
    case "expired":
      return "Expired: nobody decided in time.";
    case "error":
      return `Needs an admin: ${outcome.note}`;
  }
}

/** The step, when there are several: "step 2 of 3". */
export const stepLabel = (ctx: RequestContext) => (ctx.stepCount > 1 ? `step ${ctx.step} of ${ctx.stepCount}` : "");
