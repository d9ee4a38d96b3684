import { AnswerBodySchema, CreateRequestBodySchema, PreviewBodySchema } from "@gatehouse/shared";
import { Hono } from "hono";
import type { Relay } from "../../context.ts";
import { ProblemError } from "../../core/errors.ts";
import { answerQuestion, cancelRequest } from "../../requests/requester.ts";
import { createRequest, previewRequest } from "../../requests/service.ts";
import { listRequestsOf } from "../../requests/view.ts";
import { type AppEnv, requestMeta, requireDevice } from "../auth.ts";
import { readJson } from "../validate.ts";

/**
 * The `Idempotency-Key` header: any printable token up to 255 characters,
 * bare (as most APIs send it) or as a structured-field string (`"…"`, as the
 * IETF draft writes it).
 */
function idempotencyKey(header: string | undefined): string | null {
  if (header === undefined) return null;
  const key = /^"(.*)"$/.exec(header)?.[1] ?? header;
  if (!/^[\x21-\x7e]{1,255}$/.test(key))
    throw new ProblemError("validation_failed", "Idempotency-Key must be 1 to 255 printable characters without spaces", [
      { path: "header.idempotency-key", message: "1 to 255 printable characters" },
    ]);
  return key;
}

/** The requester's side: preview, submit, list, answer a question, cancel. */
export function requestRoutes(relay: Relay) {
  const auth = requireDevice(relay);
  return new Hono<AppEnv>()
    .use("/requests/*", auth)
    .post("/requests/preview", async (c) => {
      const body = await readJson(c, PreviewBodySchema);
      return c.json(await previewRequest(relay, c.get("principal"), body));
    })
    .post("/requests", async (c) => {
      const body = await readJson(c, CreateRequestBodySchema);
      const key = idempotencyKey(c.req.header("idempotency-key"));
      const { view, replayed } = await createRequest(relay, c.get("principal"), body, requestMeta(c, relay.env.TRUST_PROXY), key);
      // A replay answers 200 with the request as it is now (it may have been decided since).
      return c.json(view, replayed ? 200 : 201);
    })
    .get("/requests", async (c) => {
      return c.json({ requests: await listRequestsOf(relay.database.db, c.get("principal").user.id, 50, relay.clock.now()) });
    })
    .post("/requests/:id/answer", async (c) => {
      const body = await readJson(c, AnswerBodySchema);
      const meta = requestMeta(c, relay.env.TRUST_PROXY);
      return c.json(await answerQuestion(relay, c.get("principal"), c.req.param("id"), body.answer, meta));
    })
    .post("/requests/:id/cancel", async (c) => {
      return c.json(await cancelRequest(relay, c.get("principal"), c.req.param("id"), requestMeta(c, relay.env.TRUST_PROXY)));
    });
}
