import picomatch from "picomatch";

/**
 * Resource patterns are globs on the resource id (picomatch): `*` stays
 * within one path segment, `**` crosses them, `{a,b}` and `[0-9]` work as
 * in a shell. `acme-corp/payments*` matches `acme-corp/payments-api`, not
 * `acme-corp/other`.
 */
const cache = new Map<string, (id: string) => boolean>();

export function globMatcher(pattern: string): (id: string) => boolean {
  let m = cache.get(pattern);
  if (!m) {
    m = picomatch(pattern, { dot: true });
    if (cache.size > 5000) cache.clear();
    cache.set(pattern, m);
  }
  return m;
}

/** Whether a pattern is usable (for config validation). */
export function globProblem(pattern: string): string | null {
  if (pattern.trim() === "") return "an empty pattern";
  try {
    picomatch.makeRe(pattern);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
