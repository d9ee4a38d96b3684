import type { RequestView } from "@gatehouse/shared";
import { formatDateTime, formatTime } from "../ui/grant-status.ts";

export { formatTime };

/** What a notification button does: extend the grant by `by`, or open the resource. */
export type NotificationButton = { action: "extend"; by: string; approval?: boolean } | { action: "open" };

/** The buttons a notification offers (where the browser shows buttons): only the pre-expiry warning has any. */
export function noticeButtons(request: RequestView, kind: string): NotificationButton[] {
  if (kind !== "grant.expiring") return [];
  const extend = request.grant?.state === "active" ? request.grant.extend : null;
  return extend ? [{ action: "extend", by: extend.by, approval: extend.approval }, { action: "open" }] : [{ action: "open" }];
}

/** Kinds that may come more than once for one request (a warning per lead time, each extension, a retried call failing again). */
const REPEATABLE = new Set(["grant.expiring", "grant.extended", "grant.failed"]);

/**
 * The id of an event's notification, also the key that keeps a replay from
 * showing it twice. `<requestId>:ended` is shared by the relay's notice and
 * the local expiry alarm, so an end is told once.
 */
export function noticeKey(request: RequestView, kind: string, noticeId?: number): string {
  if (kind === "grant.ended") return `${request.id}:ended`;
  if (REPEATABLE.has(kind)) return `${request.id}:${kind}:${noticeId ?? request.grant?.endsAt ?? ""}`;
  return `${request.id}:${kind}`;
}

/**
 * Whether an event gets a system notification (the tab's panel hears of
 * every one): not a warning for access that is already over (a late
 * replay), and not "being removed" for an end the person expects (the
 * warning or their own release told them; "ended" follows).
 */
export function notifies(request: RequestView, kind: string, now = Date.now()): boolean {
  const g = request.grant;
  if (kind === "grant.expiring") return g?.state === "active" && !!g.endsAt && new Date(g.endsAt).getTime() > now;
  if (kind === "grant.ending") return g?.endReason === "revoked";
  return true;
}

export function buttonTitle(b: NotificationButton): string {
  if (b.action !== "extend") return "Open";
  return b.approval ? `Ask to extend by ${b.by}` : `Extend by ${b.by}`;
}

/** What a system notification says for a request event. Pure, tested (`now` only for "in about N min"). */
export function describeNotice(request: RequestView, kind: string, now = Date.now()): { title: string; message: string } {
  const what = request.resource.name ?? request.resource.id ?? request.app;
  const grant = request.grant;
  switch (kind) {
    case "request.approved":
      return describeApproved(request, what, now);
    case "grant.started": {
      const until = grant?.endsAt ? ` until ${formatTime(grant.endsAt)}` : " until revoked";
      return { title: "Access granted", message: `You have access to ${what} (${request.app})${until}. Reload the page to continue.` };
    }
    case "grant.failed":
      return grant?.failedAction === "revoke"
        ? {
            title: "Access removal did not go through",
            message: `Removing your access to ${what} did not go through; the admins were told.`,
          }
        : {
            title: "Access could not be set up",
            message: `Your request for ${what} was approved, but setting up the access did not work. The admins were told.`,
          };
    case "grant.expiring": {
      const ends = grant?.endsAt;
      const left = ends ? Math.max(1, Math.round((new Date(ends).getTime() - now) / 60_000)) : null;
      const when = ends ? ` at ${formatTime(ends)} (in about ${left} min)` : " soon";
      const extend = grant?.extend ? ` You can extend it by ${grant.extend.by}.` : "";
      return { title: "Access ending soon", message: `Your access to ${what} (${request.app}) ends${when}.${extend}` };
    }
    case "grant.extended": {
      const until = grant?.endsAt ? `until ${formatTime(grant.endsAt)}` : "until revoked";
      return { title: "Access extended", message: `Your access to ${what} (${request.app}) now lasts ${until}.` };
    }
    case "grant.ending":
      return {
        title: grant?.endReason === "revoked" ? "Access revoked" : "Access ending",
        message:
          grant?.endReason === "revoked"
            ? `An admin revoked your access to ${what} (${request.app}); it is being removed.`
            : `Your access to ${what} (${request.app}) is being removed.`,
      };
    case "request.rejected":
      return {
        title: "Access request rejected",
        message: `Your request for ${what} was rejected.${request.decisionNote ? ` “${request.decisionNote}”` : ""}`,
      };
    case "grant.ended":
      return { title: "Access ended", message: endedMessage(request, what) };
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

function describeApproved(request: RequestView, what: string, now: number): { title: string; message: string } {
  const grant = request.grant;
  const title = "Access request approved";
  switch (grant?.state) {
    case "provisioning":
      return {
        title,
        message: `Your request for ${what} was approved. Setting up your access${grant.target ? ` (${grant.target})` : ""}; you will be told when it is ready.`,
      };
    case "scheduled":
      return { title, message: `Your request for ${what} was approved; your access starts at ${formatDateTime(grant.startsAt, now)}.` };
    case "awaiting_start":
      return {
        title,
        message: `Your request for ${what} was approved. Start it from Gatehouse when you need it; it lasts ${grant.duration} from then.${grant.startBy ? ` Start by ${formatDateTime(grant.startBy, now)}.` : ""}`,
      };
    case "failed":
      return { title, message: `Your request for ${what} was approved, but setting up the access did not work. The admins were told.` };
    default:
      return { title, message: `Your request for ${what} (${request.app}) was approved.` };
  }
}

function endedMessage(request: RequestView, what: string): string {
  switch (request.grant?.endReason) {
    case "revoked":
      return `An admin revoked your access to ${what} (${request.app}).`;
    case "released":
      return `You released your access to ${what} (${request.app}).`;
    case "not_started":
      return `Your approved access to ${what} (${request.app}) was never started, so it has ended.`;
    default:
      return `Your access to ${what} (${request.app}) has ended.`;
  }
}
