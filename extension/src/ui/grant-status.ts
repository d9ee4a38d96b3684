import type { GrantView, RequestView } from "@gatehouse/shared";

/**
 * Pure helpers about a grant's life as the extension shows it (panel, popup,
 * badge, background). No extension API and no clock: callers pass `now`.
 */

/** Grant states that are not over yet (access given, coming, or stuck). */
export const LIVE_GRANT_STATES = ["active", "provisioning", "awaiting_start", "scheduled", "revoking", "failed"] as const;
const ENDED_GRANT_STATES = ["expired", "revoked", "released"];
/** How long an ended grant is still worth showing on the page that it was for. */
export const RECENTLY_ENDED_MS = 24 * 3_600_000;
/** Under this much time left, access "ends soon". */
export const ENDS_SOON_MS = 10 * 60_000;

const time = (iso: string | null | undefined): number | null => (iso ? new Date(iso).getTime() : null);

/** Whether the grant gives access now: active, and its end not passed. */
export function givesAccess(grant: GrantView | null | undefined, now: number): boolean {
  if (grant?.state !== "active") return false;
  const end = time(grant.endsAt);
  return end === null || end > now;
}

/** How many of these requests give access now (the toolbar badge). */
export function accessCount(requests: readonly RequestView[], now: number): number {
  return requests.filter((r) => givesAccess(r.grant, now)).length;
}

/** The badge text: the count, or nothing at all when there is none. */
export function badgeText(count: number): string {
  return count > 0 ? String(count) : "";
}

/** The panel's step for a grant, from its state (and the clock: active past its end is ending). */
export type GrantStep = "provisioning" | "awaiting_start" | "scheduled" | "approved" | "ending" | "ended" | "failed";

export function grantStep(grant: GrantView | null | undefined, now: number): GrantStep | null {
  if (!grant) return null;
  switch (grant.state) {
    case "active":
      return givesAccess(grant, now) ? "approved" : "ending";
    case "revoking":
      return "ending";
    case "expired":
    case "revoked":
    case "released":
      return "ended";
    default:
      return grant.state;
  }
}

export function isLive(grant: GrantView | null | undefined): boolean {
  return !!grant && (LIVE_GRANT_STATES as readonly string[]).includes(grant.state);
}

/** When an ended grant ended (the best time known). */
export function endedAt(r: RequestView): number | null {
  const g = r.grant;
  if (!g || !ENDED_GRANT_STATES.includes(g.state)) return null;
  return time(g.endedAt) ?? time(g.endsAt) ?? time(r.decidedAt) ?? time(r.createdAt);
}

/** The resource a panel is shown for. */
export interface ResourceQuery {
  app: string;
  resourceId: string | null;
  url: string;
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * Whether a request is for the resource a page shows: the same app and
 * resource id ("resource"), or a whole-app grant of that app ("app"). The
 * generic detector (and a resource without an id) matches on the host.
 */
export function matchResource(r: RequestView, q: ResourceQuery): "resource" | "app" | null {
  if (r.app !== q.app) return null;
  if (q.app === "generic" || q.resourceId === null) {
    const host = hostOf(q.url);
    if (host !== null && hostOf(r.resource.url) === host) return "resource";
    return q.app !== "generic" && r.grant?.scope === "app" ? "app" : null;
  }
  if (r.resource.id === q.resourceId) return "resource";
  return r.grant?.scope === "app" ? "app" : null;
}

const LIVE_RANK: Record<string, number> = { active: 0, provisioning: 1, awaiting_start: 2, scheduled: 3, revoking: 4, failed: 5 };

/**
 * The request most worth showing on a page for `q`: a live grant (access
 * now before one on its way, before one stuck), for this very resource
 * before a whole-app one, newest first; else the grant that ended last, if
 * within a day; else null.
 */
export function pickRelevant(requests: readonly RequestView[], q: ResourceQuery, now: number): RequestView | null {
  const matching = requests.flatMap((r) => {
    const match = r.grant ? matchResource(r, q) : null;
    return match ? [{ r, match }] : [];
  });
  const live = matching
    .filter(({ r }) => isLive(r.grant))
    .map((m) => {
      const g = m.r.grant as GrantView;
      // Active past its end is on its way out, like revoking.
      const rank = g.state === "active" && !givesAccess(g, now) ? (LIVE_RANK.revoking as number) : (LIVE_RANK[g.state] ?? 9);
      return { ...m, rank };
    })
    .sort(
      (a, b) =>
        a.rank - b.rank ||
        (a.match === b.match ? 0 : a.match === "resource" ? -1 : 1) ||
        Date.parse(b.r.createdAt) - Date.parse(a.r.createdAt),
    );
  if (live[0]) return live[0].r;
  const ended = matching
    .map(({ r }) => ({ r, at: endedAt(r) }))
    .filter((e): e is { r: RequestView; at: number } => e.at !== null && now - e.at <= RECENTLY_ENDED_MS)
    .sort((a, b) => b.at - a.at);
  return ended[0]?.r ?? null;
}

/** A live countdown: "45 s left", "12:34 left", "1 h 5 min left", "2 d 3 h left". */
export function countdown(endsAt: string | null, now: number): string {
  const end = time(endsAt);
  if (end === null) return "no end";
  const s = Math.ceil((end - now) / 1000);
  if (s <= 0) return "time is up";
  if (s < 60) return `${s} s left`;
  if (s < 3600) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")} left`;
  const totalMin = Math.ceil(s / 60);
  const d = Math.floor(totalMin / 1440);
  const h = Math.floor((totalMin % 1440) / 60);
  const m = totalMin % 60;
  if (d > 0) return h > 0 ? `${d} d ${h} h left` : `${d} d left`;
  return m > 0 ? `${h} h ${m} min left` : `${h} h left`;
}

/** Under ten minutes left (and not over). */
export function endsSoon(endsAt: string | null, now: number): boolean {
  const end = time(endsAt);
  return end !== null && end > now && end - now < ENDS_SOON_MS;
}

/** "less than a minute ago", "5 min ago", "2 h ago". */
export function ago(iso: string, now: number): string {
  const min = Math.floor((now - new Date(iso).getTime()) / 60_000);
  if (min < 1) return "less than a minute ago";
  if (min < 120) return `${min} min ago`;
  return `${Math.floor(min / 60)} h ago`;
}

/** The panel's sentence for ended access. */
export function endedSentence(endReason: GrantView["endReason"]): string {
  switch (endReason) {
    case "revoked":
      return "Your access was revoked by an admin.";
    case "released":
      return "Your access has ended: you released it.";
    case "not_started":
      return "Your access was never started, so it has ended.";
    default:
      return "Your access has ended.";
  }
}

/** The short label of ended access in the popup's history. */
export function endedLabel(endReason: GrantView["endReason"]): string {
  switch (endReason) {
    case "revoked":
      return "Revoked by an admin";
    case "released":
      return "Released";
    case "not_started":
      return "Never started";
    default:
      return "Ended";
  }
}

/** The panel's sentence for a grant whose provisioning call gave up. */
export function failedSentence(failedAction: GrantView["failedAction"]): string {
  return failedAction === "revoke"
    ? "Removing your access did not go through; the admins were told."
    : "Approved, but setting up the access did not work. The admins were told.";
}

/** "14:30". */
export function formatTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** The time, with the day when it is not today: "14:30", "Tue 3 Nov, 09:00". */
export function formatDateTime(iso: string, now: number): string {
  const d = new Date(iso);
  if (d.toDateString() === new Date(now).toDateString()) return formatTime(iso);
  return d.toLocaleString([], { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}
