import { durationMs } from "@gatehouse/shared";
import type { DurationRules } from "./model.ts";

/**
 * How long access may last under a flow. One of:
 * - `fixed: 4h`: exactly that;
 * - `choices: [1h, 4h, 1d]`: one of these (`indefinite` may be one);
 * - `custom: true` with `max`: any duration up to `max` (choices, if any, are suggestions);
 * and `max` caps everything. Pure.
 */
const ms = (d: string): number => durationMs(d) ?? Number.POSITIVE_INFINITY; // indefinite has no end

/** The durations to offer, in order (the panel's list, the approver's choices). */
export function offeredDurations(rules: DurationRules): string[] {
  if (rules.fixed) return [rules.fixed];
  const cap = rules.max ? ms(rules.max) : Number.POSITIVE_INFINITY;
  const choices = (rules.choices ?? []).filter((c) => ms(c) <= cap);
  if (choices.length > 0) return choices;
  return rules.max ? [rules.max] : [];
}

export function defaultDuration(rules: DurationRules): string {
  const offered = offeredDurations(rules);
  return rules.default && offered.includes(rules.default) ? rules.default : (offered[0] ?? "1h");
}

export type DurationProblem = "duration_not_allowed" | "duration_exceeds_max";

/** Whether a requested duration is allowed, and if not, why. */
export function checkDuration(rules: DurationRules, requested: string): DurationProblem | null {
  if (rules.fixed) return ms(requested) === ms(rules.fixed) ? null : "duration_not_allowed";
  if (rules.max && ms(requested) > ms(rules.max)) return "duration_exceeds_max";
  if (rules.custom) return durationMs(requested) !== null || requested === "indefinite" ? null : "duration_not_allowed";
  return (rules.choices ?? []).some((c) => ms(c) === ms(requested)) ? null : "duration_not_allowed";
}

/** What a config's duration rules get wrong (config validation). */
export function durationRuleProblems(rules: DurationRules): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const has = { choices: (rules.choices?.length ?? 0) > 0, fixed: Boolean(rules.fixed), custom: rules.custom === true };
  if (!has.choices && !has.fixed && !has.custom)
    out.push({ path: [], message: "give choices, a fixed duration, or custom: true with a max" });
  if (has.fixed && (has.choices || has.custom)) out.push({ path: ["fixed"], message: "a fixed duration excludes choices and custom" });
  if (has.custom && !rules.max) out.push({ path: ["max"], message: "custom durations need a max" });
  if (rules.max === "indefinite") out.push({ path: ["max"], message: "max must be a duration, not indefinite" });
  if (rules.max && rules.max !== "indefinite") {
    const cap = ms(rules.max);
    rules.choices?.forEach((c, i) => {
      if (ms(c) > cap) out.push({ path: ["choices", i], message: `${c} is longer than the max ${rules.max}` });
    });
    if (rules.fixed && ms(rules.fixed) > cap) out.push({ path: ["fixed"], message: `longer than the max ${rules.max}` });
  }
  if (rules.default && has.choices && !rules.choices?.includes(rules.default))
    out.push({ path: ["default"], message: "the default must be one of the choices" });
  return out;
}
