import { anyHost, type HostMatcher, hostPattern } from "../detect/hosts.ts";
import { ext } from "./ext.ts";

/** Where the background keeps the admin's detection rules (already schema-checked). */
export const RULES_KEY = "detectionRules";

export interface StoredRules {
  version: string;
  rules: unknown[];
}

/**
 * The admin rules as stored, uncompiled: the detector chunk compiles them
 * (detect/admin-rules.ts) when it is loaded. Here only their hosts are read,
 * so a page a rule claims always gets the detector, whatever its text.
 */
export interface LoadedRules {
  raw: unknown[];
  /** Does a rule name this host? */
  claims(host: string): boolean;
}

export async function loadRules(): Promise<LoadedRules> {
  let raw: unknown[] = [];
  try {
    const got = await ext.storage.local.get(RULES_KEY);
    const stored = got[RULES_KEY] as StoredRules | undefined;
    if (Array.isArray(stored?.rules)) raw = stored.rules;
  } catch (err) {
    console.warn("Gatehouse: detection rules unavailable", err);
    // detection goes on with the catalog and the generic vocabulary
  }
  const hosts: HostMatcher[] = [];
  for (const r of raw) {
    const listed = (r as { hosts?: unknown } | null)?.hosts;
    for (const h of Array.isArray(listed) ? listed : []) {
      try {
        hosts.push(hostPattern(String(h)));
      } catch {
        // the detector chunk reports the broken rule; its other hosts still count
      }
    }
  }
  return { raw, claims: (host) => anyHost(hosts, host) };
}

export function onRulesChanged(fn: () => void): () => void {
  const listener = (changes: Record<string, unknown>, area: string) => {
    if (area === "local" && RULES_KEY in changes) fn();
  };
  ext.storage.onChanged.addListener(listener);
  return () => ext.storage.onChanged.removeListener(listener);
}
