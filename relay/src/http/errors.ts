import { PROBLEM_TYPE_BASE, PROBLEMS, type Problem, type ProblemCode } from "@gatehouse/shared";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ProblemError } from "../core/errors.ts";
import { databaseUnavailable, errorFacts, redactMessage, stackFrames } from "../db/faults.ts";
import type { Logger } from "../log.ts";

export function problemBody(code: ProblemCode, detail?: string, errors?: Problem["errors"]): Problem {
  const { status, title } = PROBLEMS[code];
  return { type: `${PROBLEM_TYPE_BASE}${code}`, code, title, status, ...(detail ? { detail } : {}), ...(errors ? { errors } : {}) };
}

export function problemResponse(c: Context, body: Problem): Response {
  return c.body(JSON.stringify(body), body.status as ContentfulStatusCode, { "content-type": "application/problem+json" });
}

/** The one error handler: known errors keep their code, the rest become `internal`. */
export function handleError(log: Logger) {
  return (err: Error, c: Context): Response => {
    if (err instanceof ProblemError) return problemResponse(c, problemBody(err.code, err.message, err.errors));
    if (err instanceof HTTPException) {
      const code: ProblemCode =
        err.status === 404
          ? "not_found"
          : err.status === 401
            ? "unauthenticated"
            : err.status === 403
              ? "forbidden"
              : err.status === 503
                ? "unavailable"
                : "validation_failed";
      return problemResponse(c, { ...problemBody(code, err.message || undefined), status: err.status });
    }
    const away = databaseUnavailable(err);
    if (away) {
      // An outage, not a bug: the client is told to come back; the workers log the outage itself.
      log.warn("database unavailable", { path: redactPath(c.req.path), ...away });
      c.header("retry-after", "2");
      return problemResponse(c, problemBody("unavailable"));
    }
    log.error("unhandled error", {
      path: redactPath(c.req.path),
      error: redactMessage(err.message),
      ...errorFacts(err),
      stack: stackFrames(err.stack),
    });
    return problemResponse(c, problemBody("internal"));
  };
}

/** Paths whose last segment is a bearer secret (a signed link): logged without it. */
const SECRET_PATHS = /^(\/(?:decide|pair|tasks|admin\/sign-in))\/[^/]+/;

/** A request path fit for the logs: a signed link's token is cut off. */
export function redactPath(path: string): string {
  return path.replace(SECRET_PATHS, "$1/…");
}
