import { CATALOG } from "../detect/catalog.ts";

const APP_LABELS = new Map<string, string>([...CATALOG.map((a): [string, string] => [a.id, a.name]), ["generic", "this site"]]);

/** The app's display name: the catalog's, else the id (an admin-defined app). */
export function appLabel(app: string): string {
  return APP_LABELS.get(app) ?? app;
}

/** "until 14:30", "until revoked". */
export function formatUntil(endsAt: string | null): string {
  if (!endsAt) return "until revoked";
  return `until ${new Date(endsAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })}`;
}

/** "12 min left", "45 s left", "ended". */
export function remaining(endsAt: string | null, now = Date.now()): string {
  if (!endsAt) return "no end";
  const ms = new Date(endsAt).getTime() - now;
  if (ms <= 0) return "ended";
  if (ms < 60_000) return `${Math.ceil(ms / 1000)} s left`;
  if (ms < 3_600_000) return `${Math.ceil(ms / 60_000)} min left`;
  const h = Math.floor(ms / 3_600_000);
  return `${h} h ${Math.round((ms % 3_600_000) / 60_000)} min left`;
}
