import { PROBLEM_TYPE_BASE, PROBLEMS, type Problem, type ProblemCode } from "@gatehouse/shared";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import type { Logger } from "../log.ts";

/**
 * The relay's one API error: a stable code (shared with the extension) that
 * maps to a status and title; rendered as application/problem+json.
 * @example throw new ApiError("no_flow", "No flow covers github")
 */
export class ApiError extends HTTPException {
  readonly code: ProblemCode;
  readonly errors: Problem["errors"];
  constructor(code: ProblemCode, detail?: string, errors?: Problem["errors"]) {
    super(PROBLEMS[code].status as ContentfulStatusCode, { message: detail ?? PROBLEMS[code].title });
    this.code = code;
    this.errors = errors;
  }

  static fromZod(error: ZodError): ApiError {
    return new ApiError(
      "validation_failed",
      "Some fields are not valid",
      error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  }
}

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
    if (err instanceof ApiError) return problemResponse(c, problemBody(err.code, err.message, err.errors));
    if (err instanceof HTTPException) {
      const code: ProblemCode =
        err.status === 404 ? "not_found" : err.status === 401 ? "unauthenticated" : err.status === 403 ? "forbidden" : "validation_failed";
      return problemResponse(c, { ...problemBody(code, err.message || undefined), status: err.status });
    }
    log.error("unhandled error", { path: c.req.path, error: err.message, stack: err.stack });
    return problemResponse(c, problemBody("internal"));
  };
}
