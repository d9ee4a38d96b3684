import { HOST_PATTERN } from "@gatehouse/shared/patterns";

/**
 * Host patterns are lower-case host names where `*` stands for any run of
 * characters inside one label and a leading `*.` for one or more labels:
 * `*.atlassian.net` matches `acme.atlassian.net` and `eu.acme.atlassian.net`
 * but not `atlassian.net`; `*-my.sharepoint.com` matches `acme-my.sharepoint.com`.
 * Hand-written rather than a glob library: the content script must stay small,
 * and host patterns are a tiny, fixed grammar.
 */
export interface HostMatcher {
  test(host: string): boolean;
}

/**
 * Most patterns are an exact host or `*.suffix`: those compare strings (no
 * regular expression to compile on every page load); a `*` inside a label
 * compiles to one.
 */
export function hostPattern(pattern: string): HostMatcher {
  const p = pattern.trim().toLowerCase();
  // At most one `*` per label: `*-*-*-x` would backtrack exponentially on a long host name.
  if (p.length > 253 || !HOST_PATTERN.test(p) || p.split(".").some((l) => l === "")) throw new Error(`invalid host pattern "${pattern}"`);
  const anyLabels = p.startsWith("*.");
  const tail = anyLabels ? p.slice(2) : p;
  if (!tail.includes("*")) {
    if (!anyLabels) return { test: (host) => host === p };
    const suffix = `.${tail}`;
    return { test: (host) => host.length > suffix.length && host.endsWith(suffix) };
  }
  const rest = (anyLabels ? p.slice(2) : p)
    .split(".")
    .map((label) => label.replace(/[-]/g, "\\-").replace(/\*/g, "[a-z0-9-]*"))
    .join("\\.");
  return new RegExp(`^${anyLabels ? "(?:[a-z0-9-]+\\.)+" : ""}${rest}$`);
}

export function anyHost(patterns: readonly HostMatcher[], host: string): boolean {
  return patterns.some((p) => p.test(host));
}
