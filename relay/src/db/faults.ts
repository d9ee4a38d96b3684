/**
 * Telling "the database is away" from "this statement is wrong". The first
 * is answered with 503 and a retry, logged once per outage by the workers;
 * the second is a bug. Both drivers' errors arrive wrapped by drizzle (the
 * driver's error is the `cause`), so the whole cause chain is looked at.
 */

/** postgres.js's connection error codes and Node's socket errors. */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQL states that mean the server cannot serve now: connection exceptions
 * (class 08), shutdown or start-up (57P01–57P03), too many connections
 * (53300), and a statement cut by `statement_timeout` (57014), which under
 * an outage or overload is the same answer: try again.
 */
function unavailableState(state: string): boolean {
  return state.startsWith("08") || ["57P01", "57P02", "57P03", "53300", "57014"].includes(state);
}

type Facts = {
  /** The innermost error's class name. */
  name: string;
  /** A driver or socket code (`CONNECTION_CLOSED`, `ECONNREFUSED`) or a SQL state. */
  code?: string;
};

function chain(err: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let e = err;
  for (let depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    out.push(e as Record<string, unknown>);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

/** What may be logged of a driver error: its name and code, never its message (which carries parameters). */
export function errorFacts(err: unknown): Facts {
  const errors = chain(err);
  const inner = errors.at(-1);
  const coded = errors.findLast((e) => typeof e.code === "string");
  return {
    name: typeof inner?.name === "string" ? inner.name : typeof err,
    ...(coded ? { code: coded.code as string } : {}),
  };
}

/** The facts of `err` when it says the database is unreachable, else null. */
export function databaseUnavailable(err: unknown): Facts | null {
  for (const e of chain(err)) {
    const code = typeof e.code === "string" ? e.code : null;
    if (code && (CONNECTION_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && unavailableState(code)))) return errorFacts(err);
  }
  return null;
}

/**
 * An error message fit for the logs. A failed query's message carries its
 * parameters (mail bodies with links, tokens' hashes): only the statement is
 * kept.
 */
export function redactMessage(message: string): string {
  const params = message.search(/\nparams: /);
  return params >= 0 ? `${message.slice(0, params)}\nparams: (not logged)` : message;
}

/** The stack's frames only: its first lines repeat the message, parameters and all. */
export function stackFrames(stack: string | undefined): string | undefined {
  if (!stack) return undefined;
  const at = stack.indexOf("\n    at ");
  return at >= 0 ? stack.slice(at + 1) : undefined;
}

/** An error as a log entry's fields: the message without query parameters, plus name and code. */
export function loggableError(err: unknown): { error: string; name: string; code?: string } {
  return { error: redactMessage(err instanceof Error ? err.message : String(err)), ...errorFacts(err) };
}

/** Whether `err` is a unique violation (SQL state 23505) of `constraint`, on either driver. */
export function uniqueViolation(err: unknown, constraint: string): boolean {
  return chain(err).some((e) => e.code === "23505" && (e.constraint_name ?? e.constraint) === constraint);
}
