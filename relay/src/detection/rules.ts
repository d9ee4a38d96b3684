import { createHash } from "node:crypto";
import { type DetectionRule, regexProblem } from "@gatehouse/shared";
import { eq } from "drizzle-orm";
import type { Db, Tx } from "../db/client.ts";
import { settings } from "../db/schema/index.ts";

/** The admin's detection rules, as the extension fetches them. */
export const DETECTION_RULES_SETTING = "detection_rules";

export interface StoredDetectionRules {
  version: string;
  rules: DetectionRule[];
}

/** A version that changes exactly when the rules do (the extension compares it, and it is the ETag). */
export function rulesVersion(rules: readonly DetectionRule[]): string {
  return createHash("sha256").update(JSON.stringify(rules)).digest("base64url").slice(0, 22);
}

export async function saveDetectionRules(tx: Db | Tx, rules: DetectionRule[], now: Date): Promise<void> {
  savedGeneration++;
  const value: StoredDetectionRules = { version: rulesVersion(rules), rules };
  await tx
    .insert(settings)
    .values({ key: DETECTION_RULES_SETTING, value, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } });
}

/**
 * The rules' version alone, read at most every few seconds per process: a
 * reconnect storm (every extension after a deploy) must not load the rules
 * once per stream. A save in this process is seen at once; one on another
 * instance within RULES_VERSION_TTL_MS.
 */
const RULES_VERSION_TTL_MS = 5_000;
let savedGeneration = 0;
const versions = new WeakMap<Db, { version: string; at: number; generation: number }>();
export async function detectionRulesVersion(db: Db): Promise<string> {
  const cached = versions.get(db);
  if (cached && cached.generation === savedGeneration && Date.now() - cached.at < RULES_VERSION_TTL_MS) return cached.version;
  const generation = savedGeneration;
  const { version } = await loadDetectionRules(db);
  versions.set(db, { version, at: Date.now(), generation });
  return version;
}

export async function loadDetectionRules(db: Db): Promise<StoredDetectionRules> {
  const [row] = await db.select().from(settings).where(eq(settings.key, DETECTION_RULES_SETTING));
  return (row?.value as StoredDetectionRules | undefined) ?? { version: rulesVersion([]), rules: [] };
}

/**
 * What a schema cannot check about a rule on the relay: that its regular
 * expressions compile. (CSS selectors are checked by the extension, which has
 * a DOM; the relay reports them there.)
 */
export function ruleProblems(rule: DetectionRule): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const check = (source: string | undefined, path: (string | number)[]) => {
    const problem = source === undefined ? null : regexProblem(source);
    if (problem) out.push({ path, message: problem });
  };
  check(rule.path, ["path"]);
  rule.resource?.forEach((r, i) => {
    check(r.pattern, ["resource", i, "pattern"]);
  });
  return out;
}
