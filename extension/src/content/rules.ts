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
 * left out; the background has already reported it on the options page.
 */
export async function loadRules(): Promise<CompiledRule[]> {
  const got = await ext.storage.local.get(RULES_KEY);
  const stored = got[RULES_KEY] as StoredRules | undefined;
  return Array.isArray(stored?.rules) ? compileRules(stored.rules, document).rules : [];
}

export function onRulesChanged(fn: () => void): () => void {
  const listener = (changes: Record<string, unknown>, area: string) => {
    if (area === "local" && RULES_KEY in changes) fn();
  };
  ext.storage.onChanged.addListener(listener);
  return () => ext.storage.onChanged.removeListener(listener);
}
