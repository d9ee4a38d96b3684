import { type CompiledRule, compileRules } from "../detect/index.ts";
import { ext } from "./ext.ts";

/** Where the background keeps the admin's detection rules (already schema-checked). */
export const RULES_KEY = "detectionRules";

export interface StoredRules {
  version: string;
  rules: unknown[];
}

/**
 * The admin rules for the detector, compiled, and a subscription to changes.
 * A rule that fails to compile here (say, a selector this browser rejects) is
 * left out; the background reports the rules it can check on the options page.
 */
export async function loadRules(): Promise<CompiledRule[]> {
  try {
    const got = await ext.storage.local.get(RULES_KEY);
    const stored = got[RULES_KEY] as StoredRules | undefined;
    // Selectors are checked against an empty fragment: it tells a syntax error
    // as well as the page would, at no cost on large pages.
    return Array.isArray(stored?.rules) ? compileRules(stored.rules, document.createDocumentFragment()).rules : [];
  } catch (err) {
    console.warn("Gatehouse: detection rules unavailable", err);
    return []; // detection goes on with the catalog and the generic vocabulary
  }
}

export function onRulesChanged(fn: () => void): () => void {
  const listener = (changes: Record<string, unknown>, area: string) => {
    if (area === "local" && RULES_KEY in changes) fn();
  };
  ext.storage.onChanged.addListener(listener);
  return () => ext.storage.onChanged.removeListener(listener);
}
