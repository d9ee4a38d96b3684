import type { DetectionRule } from "@gatehouse/shared";
import { regexProblem } from "@gatehouse/shared/patterns";
import type { Extract } from "./extract.ts";
import { type HostMatcher, hostPattern } from "./hosts.ts";

/** An admin rule made ready to run: patterns compiled once, not per page. */
export interface CompiledRule {
  app: string;
  name: string | undefined;
  hosts: HostMatcher[];
  path: RegExp | undefined;
  text: string[];
  selectors: string[];
  resource: Extract[];
}

export interface RuleProblem {
  index: number;
  app: string;
  message: string;
}

/** Longest regular expression an admin rule may carry (the content script runs it on every matching page). */
const MAX_PATTERN = 300;

function regex(source: string, what: string): RegExp {
  if (source.length > MAX_PATTERN) throw new Error(`${what} is longer than ${MAX_PATTERN} characters`);
  const problem = regexProblem(source);
  if (problem) throw new Error(`${what} ${problem}`);
  return new RegExp(source, "i");
}

function selector(source: string, probe: ParentNode | undefined): string {
  if (probe) {
    try {
      probe.querySelector(source);
    } catch {
      throw new Error(`selector "${source}" is not valid CSS`);
    }
  }
  return source;
}

/**
 * Compiles rules that already passed the schema (DetectionRuleSchema) or
 * came from storage. Each rule stands alone: one broken rule is reported and
 * left out, the others still apply. `probe` checks selectors where a DOM exists.
 */
export function compileRules(rules: readonly unknown[], probe?: ParentNode): { rules: CompiledRule[]; problems: RuleProblem[] } {
  const out: CompiledRule[] = [];
  const problems: RuleProblem[] = [];
  rules.forEach((raw, index) => {
    const r = raw as Partial<DetectionRule> | null;
    const app = typeof r?.app === "string" ? r.app : `#${index + 1}`;
    try {
      if (!r || typeof r.app !== "string" || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(r.app)) throw new Error("app must be a lower-case id");
      if (!Array.isArray(r.hosts) || r.hosts.length === 0) throw new Error("hosts must list at least one host pattern");
      out.push({
        app: r.app,
        name: typeof r.name === "string" ? r.name : undefined,
        hosts: r.hosts.map((h) => hostPattern(String(h))),
        path: r.path ? regex(r.path, "path") : undefined,
        text: (r.text ?? []).map((t) => String(t).toLowerCase()),
        selectors: (r.selectors ?? []).map((s) => selector(String(s), probe)),
        resource: (r.resource ?? []).map((step, i) => ({
          from: step.from ?? "path",
          ...(step.pattern ? { re: regex(step.pattern, `resource[${i}].pattern`) } : {}),
          ...(step.template ? { to: step.template } : {}),
        })),
      });
    } catch (e) {
      problems.push({ index, app, message: (e as Error).message });
    }
  });
  return { rules: out, problems };
}
