/**
 * Pattern checks shared by the relay (config validation) and the extension's
 * content script. Kept free of zod and of everything else in this package:
 * the content script imports this module alone (`@gatehouse/shared/patterns`)
 * and must stay small.
 */

/**
 * Patterns that can take exponential time on a crafted input ("catastrophic
 * backtracking"): a quantified group that itself holds a quantifier, like
 * `(a+)+` or `(\w+/?)*`. Admin rules run on every matching page in every
 * employee's browser, where a regular expression cannot be timed out, so
 * such patterns are refused outright.
 */
export function backtrackingRisk(source: string): boolean {
  return /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]/.test(source);
}

/**
 * Why a regular expression from a config or a rule cannot be used (it could
 * backtrack exponentially, or does not compile), or null when it can.
 */
export function regexProblem(source: string): string | null {
  if (backtrackingRisk(source)) return "has a quantified group that holds a quantifier (like (a+)+): it could freeze browsers";
  try {
    new RegExp(source);
    return null;
  } catch (e) {
    return `not a valid regular expression: ${(e as Error).message}`;
  }
}

/** Host patterns: at most one `*` inside a label, besides a leading `*.`, and a real host name's length. */
export const HOST_PATTERN = /^(\*\.)?(?:[a-z0-9-]*\*?[a-z0-9-]*)(\.[a-z0-9-]*\*?[a-z0-9-]*)*$/i;
