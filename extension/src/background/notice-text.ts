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
    default:
      return { title: "Gatehouse", message: `Your request for ${what} changed: ${request.state}.` };
  }
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
