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
  // Typed, so `requester.emial` or `request.time > 3` is refused when the config loads.
  .registerType("Requester", {
    fields: { email: "string", name: "string", groups: "list<string>", manager: "string", timezone: "string" },
  })
  .registerType("Resource", { fields: { app: "string", id: "string", url: "string", tags: "list<string>" } })
  .registerType("Request", {
    fields: {
      time: "google.protobuf.Timestamp",
      duration: "google.protobuf.Duration",
      ip: "string",
      reason: "string",
      ticket: "string",
    },
  })
  .registerVariable("requester", "Requester")
  .registerVariable("resource", "Resource")
  .registerVariable("request", "Request");

/**
 * A timestamp for conditions. The CEL library turns a timestamp into a time
 * zone's wall clock with `date.toLocaleString("en-US", { timeZone })`, which
 * builds a new Intl formatter on every call (about 40 µs). This Date answers
 * that exact call from a formatter cached per time zone, with the same
 * output (the options toLocaleString defaults to), so time-zone conditions
 * cost about a microsecond. The library cannot be given its own function for
 * it (it refuses overlapping overloads), nor a Date subclass (it checks the
 * constructor), so the method is set on the instance.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
const nativeToLocaleString = Date.prototype.toLocaleString;

function cachedToLocaleString(this: Date, locales?: Intl.LocalesArgument, options?: Intl.DateTimeFormatOptions): string {
  const timeZone = options?.timeZone;
  if (locales !== "en-US" || !timeZone || Object.keys(options).length !== 1) return nativeToLocaleString.call(this, locales, options);
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f.format(this);
}

/** A plain Date (the library accepts no subclass) carrying the cached conversion as its own method. */
export function conditionTime(ms: number): Date {
  const d = new Date(ms);
  Object.defineProperty(d, "toLocaleString", { value: cachedToLocaleString });
  return d;
}

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
