import { Environment } from "@marcbachmann/cel-js";

/**
 * Flow conditions are CEL expressions (a maintained library, not an
 * expression language of ours) over three variables:
 *
 * - `requester`: email, name, groups (ids), manager, timezone
 * - `resource`: app, id, url, tags
 * - `request`: time (a timestamp), duration (a duration), ip, reason, ticket
 *
 * Conditions are compiled and type-checked when the config is loaded, so a
 * typo is a config error, never a surprise at request time.
 */
const env = new Environment({ unlistedVariablesAreDyn: false })
  .registerVariable("requester", "map")
  .registerVariable("resource", "map")
  .registerVariable("request", "map");

export interface ConditionContext {
  requester: { email: string; name: string; groups: string[]; manager: string; timezone: string };
  resource: { app: string; id: string; url: string; tags: string[] };
  request: { time: Date; duration: unknown; ip: string; reason: string; ticket: string };
}

export interface CompiledCondition {
  source: string;
  evaluate(context: ConditionContext): boolean;
}

/** Compiles a condition or returns the reason it cannot be compiled. */
export function compileCondition(source: string): CompiledCondition | { error: string } {
  let program: ReturnType<Environment["parse"]>;
  try {
    program = env.parse(source);
  } catch (e) {
    return { error: firstLine(e) };
  }
  const checked = program.check();
  if (!checked.valid) return { error: firstLine(checked.error) };
  if (checked.type !== "bool" && checked.type !== "dyn") return { error: `a condition must be true or false, this one is ${checked.type}` };
  return {
    source,
    evaluate(context) {
      return program(context as unknown as Record<string, unknown>) === true;
    },
  };
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split("\n")[0] ?? "invalid expression";
}

const cache = new Map<string, CompiledCondition | { error: string }>();

/** Conditions compiled once per source text (flows are re-read on every request). */
export function conditionFor(source: string): CompiledCondition | { error: string } {
  let c = cache.get(source);
  if (!c) {
    c = compileCondition(source);
    if (cache.size > 2000) cache.clear();
    cache.set(source, c);
  }
  return c;
}
