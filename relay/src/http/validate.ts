import type { Context } from "hono";
import type { z } from "zod";
import { ProblemError } from "../core/errors.ts";

/** Parses a JSON body with a shared schema; any mismatch is a `validation_failed` problem. */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new ProblemError("validation_failed", "The body must be JSON");
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw ProblemError.fromZod(parsed.error);
  return parsed.data;
}
