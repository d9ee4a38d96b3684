import type { Detection } from "@gatehouse/shared";
import { githubRule } from "./rules/github.ts";
import { googleDocsRule } from "./rules/google-docs.ts";
import type { AppRule } from "./types.ts";

export type { Detection } from "@gatehouse/shared";

/** App rules, most specific first. The generic multilingual detector comes later. */
export const APP_RULES: AppRule[] = [googleDocsRule, githubRule];

function hostMatches(host: string, pattern: string): boolean {
  return host === pattern || (pattern.startsWith("*.") && host.endsWith(pattern.slice(1)));
}

/**
 * Decides whether `doc` (shown at `url`) is an access-denied page and, if so,
 * what was denied. Pure: reads the page, changes nothing, sends nothing.
 */
export function detect(doc: Document, url: URL): Detection | null {
  const host = url.hostname.toLowerCase();
  for (const rule of APP_RULES) {
    if (!rule.hosts.some((p) => hostMatches(host, p))) continue;
    const found = rule.detect(doc, url);
    if (found) return found;
  }
  return null;
}

/** Hosts the content script must run on (used by the manifest). */
export const DETECTOR_MATCHES = [...new Set(APP_RULES.flatMap((r) => r.hosts))].map((h) => `https://${h}/*`);
