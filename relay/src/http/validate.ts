import type { Hook } from "@hono/zod-openapi";
import type { Env, ValidationTargets } from "hono";
import { createMiddleware } from "hono/factory";
import type { ZodError } from "zod";
import { ProblemError } from "../core/errors.ts";

/**
 * A `validation_failed` problem listing each issue: a body field by its path
 * (`resource.url`), anything else under where it was sent (`query.after`,
 * `header.idempotency-key`).
 */
export function validationProblem(error: ZodError, target: keyof ValidationTargets, detail?: string): ProblemError {
  if (target === "json" && detail === undefined) return ProblemError.fromZod(error);
  const at = target === "json" ? "" : `${target}.`;
  return new ProblemError(
    "validation_failed",
    detail ?? "Some fields are not valid",
    error.issues.map((i) => ({ path: `${at}${i.path.join(".")}`, message: i.message })),
  );
}

/**
 * What the API's routes do when their input does not match their schemas:
 * throw the `validation_failed` problem (answered by the one error handler),
 * optionally with a detail of its own per part of the request.
 */
export function problemHook<E extends Env>(
  details: Partial<Record<keyof ValidationTargets, string>> = {},
): Hook<unknown, E, string, undefined> {
  return (result) => {
    if (!result.success) throw validationProblem(result.error, result.target, details[result.target]);
    return undefined;
  };
}

/** The JSON media types @hono/zod-openapi lets through to a JSON body's validator. */
const JSON_MEDIA_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

/**
 * Before a route's body is validated: a body that is missing or not JSON,
 * or JSON sent as another media type, is a `validation_failed` problem (not
 * the validator's bare 415, nor an empty object for a body it skipped). The
 * raw text stays cached, so a handler can still read the body as sent (a
 * signature is checked over it).
 */
export const jsonOnly = createMiddleware(async (c, next) => {
  try {
    JSON.parse(await c.req.text());
  } catch {
    throw new ProblemError("validation_failed", "The body must be JSON");
  }
  if (!JSON_MEDIA_TYPE.test(c.req.header("content-type") ?? ""))
    throw new ProblemError("validation_failed", "Send the body with Content-Type: application/json");
  await next();
});
