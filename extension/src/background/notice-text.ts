import type { RequestView } from "@gatehouse/shared";

/** What a system notification says for a request event. Pure, tested. */
export function describeNotice(request: RequestView, kind: string): { title: string; message: string } {
  const what = request.resource.name ?? request.resource.id ?? request.app;
  switch (kind) {
    case "grant.started": {
      const until = request.grant?.endsAt ? ` until ${formatTime(request.grant.endsAt)}` : " until revoked";
      return { title: "Access granted", message: `You have access to ${what} (${request.app})${until}. Reload the page to continue.` };
    }
    case "request.rejected":
      return {
        title: "Access request rejected",
        message: `Your request for ${what} was rejected.${request.decisionNote ? ` “${request.decisionNote}”` : ""}`,
      };
    case "grant.ended":
      return { title: "Access ended", message: `Your access to ${what} (${request.app}) has ended.` };
    case "request.info_requested":
      return {
        title: "An approver has a question",
        message: `${request.question?.by.name ?? "An approver"} asks about ${what}: “${request.question?.text ?? ""}” Answer it in Gatehouse.`,
      };
    case "request.advanced":
      return {
        title: "Access request moved on",
        message: `Step ${request.step} of ${request.stepCount} approved for ${what}; the next approvers have it.`,
      };
    case "request.escalated":
      return { title: "Access request escalated", message: `Your request for ${what} was passed to another approver.` };
    case "request.expired":
      return { title: "Access request expired", message: `Nobody decided your request for ${what} in time.` };
    case "request.cancelled":
      return {
        title: "Access request cancelled",
        message: `Your request for ${what} was cancelled.${request.decisionNote ? ` “${request.decisionNote}”` : ""}`,
      };
    case "request.error":
      return {
        title: "Access request needs an admin",
        message: `Your request for ${what} can no longer be approved as it was; an admin will handle it.`,
      };
    default:
      return { title: "Gatehouse", message: `Your request for ${what} changed: ${request.state}.` };
  }
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
