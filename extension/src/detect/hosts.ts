import { HOST_PATTERN } from "@gatehouse/shared/patterns";

/**
 * Host patterns are lower-case host names where `*` stands for any run of
 * characters inside one label and a leading `*.` for one or more labels:
 * `*.atlassian.net` matches `acme.atlassian.net` and `eu.acme.atlassian.net`
 * but not `atlassian.net`; `*-my.sharepoint.com` matches `acme-my.sharepoint.com`.
 * Hand-written rather than a glob library: the content script must stay small,
 * and host patterns are a tiny, fixed grammar.
 */
export function hostPattern(pattern: string): RegExp {
  const p = pattern.trim().toLowerCase();
  // At most one `*` per label: `*-*-*-x` would backtrack exponentially on a long host name.
  if (p.length > 253 || !HOST_PATTERN.test(p) || p.split(".").some((l) => l === "")) throw new Error(`invalid host pattern "${pattern}"`);
  const anyLabels = p.startsWith("*.");
  const rest = (anyLabels ? p.slice(2) : p)
    .split(".")
    .map((label) => label.replace(/[-]/g, "\\-").replace(/\*/g, "[a-z0-9-]*"))
    .join("\\.");
  return new RegExp(`^${anyLabels ? "(?:[a-z0-9-]+\\.)+" : ""}${rest}$`);
}

export function anyHost(patterns: RegExp[], host: string): boolean {
  return patterns.some((p) => p.test(host));
}
