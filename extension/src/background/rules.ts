import { DetectionRuleSchema } from "@gatehouse/shared";
import { compileRules, type RuleProblem } from "../detect/admin-rules.ts";
import { isSignedIn, relayClient } from "./session.ts";
import { detectionRulesItem } from "./state.ts";

/**
 * Checks rules from the relay one by one, with the shared schema and then by
 * compiling them: a rule a newer relay wrote, or one with a broken pattern,
 * is reported and dropped; the rest still apply. (Selectors are checked
 * again in the page, where there is a DOM.)
 */
export function validateRules(raw: readonly unknown[]): { rules: unknown[]; problems: RuleProblem[] } {
  const rules: unknown[] = [];
  const problems: RuleProblem[] = [];
  raw.forEach((candidate, index) => {
    const parsed = DetectionRuleSchema.safeParse(candidate);
    const app = (candidate as { app?: unknown } | null)?.app;
    const label = typeof app === "string" ? app : `#${index + 1}`;
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      problems.push({ index, app: label, message: `${first?.path.join(".") || "rule"}: ${first?.message ?? "invalid"}` });
      return;
    }
    const compiled = compileRules([parsed.data]);
    const problem = compiled.problems[0];
    if (problem) problems.push({ ...problem, index });
    else rules.push(parsed.data);
  });
  return { rules, problems };
}

let inFlight: Promise<void> | null = null;

/**
 * Fetches the rules after sign-in, and whenever the relay announces a version
 * other than the stored one (each live-stream connect carries it). A 304
 * costs nothing; a failure keeps the rules already stored.
 */
export function syncDetectionRules(announcedVersion?: string): Promise<void> {
  inFlight ??= (async () => {
    try {
      if (!(await isSignedIn())) return;
      const stored = await detectionRulesItem.getValue();
      if (stored && announcedVersion !== undefined && stored.version === announcedVersion) return;
      const fresh = await (await relayClient()).detectionRules(stored?.version);
      if (!fresh) return;
      const { rules, problems } = validateRules(fresh.rules);
      for (const p of problems) console.warn(`Gatehouse: detection rule ${p.app} ignored: ${p.message}`);
      await detectionRulesItem.setValue({ version: fresh.version, rules, problems, fetchedAt: Date.now() });
    } catch (err) {
      console.warn("Gatehouse: could not fetch detection rules", err);
    } finally {
      inFlight = null;
    }
  })();
  return inFlight;
}
