import type { ApproverReason, RequestOutcome as Outcome } from "../core/request-lifecycle.ts";
import type { RequestContext } from "../requests/context.ts";

/** Why approvers are told, and how a request ended: the request machine's words (core/request-lifecycle.ts). */
export type { ApproverReason, RequestOutcome as Outcome } from "../core/request-lifecycle.ts";

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
