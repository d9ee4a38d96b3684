import { PROBLEMS, type Problem, type ProblemCode } from "@gatehouse/shared";
import type { ZodError } from "zod";

/**
 * The relay's one domain error: a stable problem code (shared with the
 * extension) and a detail for people. Domain code throws it; the HTTP layer
 * alone turns it into a status and an application/problem+json body
 * (http/errors.ts), so nothing below http knows about HTTP.
 * @example throw new ProblemError("no_flow", "No flow covers github")
 */
export class ProblemError extends Error {
  readonly code: ProblemCode;
  readonly errors: Problem["errors"];
  constructor(code: ProblemCode, detail?: string, errors?: Problem["errors"]) {
    super(detail ?? PROBLEMS[code].title);
    this.name = "ProblemError";
    this.code = code;
    this.errors = errors;
  }

  static fromZod(error: ZodError): ProblemError {
    return new ProblemError(
      "validation_failed",
      "Some fields are not valid",
      error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  }
}
