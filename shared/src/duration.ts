import { z } from "zod";

/**
 * Durations are written `30s`, `15m`, `4h`, `1d` or `indefinite` everywhere
 * (config, API, UI). Seconds exist so tests and demos can watch a grant end.
 */
export type Duration = { kind: "fixed"; ms: number } | { kind: "indefinite" };

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PATTERN = /^([1-9][0-9]{0,5})(s|m|h|d)$/;

/** Parses a duration; returns null for anything that is not one. */
export function parseDuration(text: string): Duration | null {
  if (text === "indefinite") return { kind: "indefinite" };
  const match = PATTERN.exec(text);
  if (!match) return null;
  const unit = match[2] as keyof typeof UNIT_MS;
  return { kind: "fixed", ms: Number(match[1]) * UNIT_MS[unit] };
}

/**
 * Writes milliseconds in the largest unit that divides them exactly.
 * @example formatDuration(5_400_000) // "90m"
 */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${Math.ceil(ms / 1000)}s`;
}

/** Milliseconds of a duration text, or null when indefinite or invalid. */
export function durationMs(text: string): number | null {
  const d = parseDuration(text);
  return d?.kind === "fixed" ? d.ms : null;
}

export const DurationTextSchema = z
  .string()
  .refine((t) => parseDuration(t) !== null, { message: "expected a duration like 30s, 15m, 4h, 1d or indefinite" });
