import { z } from "@hono/zod-openapi";
import type { Relay } from "../../context.ts";
import { answerQuestion, cancelRequest } from "../../requests/requester.ts";
import { createRequest, previewRequest } from "../../requests/service.ts";
import { listRequestsOf } from "../../requests/view.ts";
import { requestMeta, requireDevice } from "../auth.ts";
import { Api, apiRoute, apiRoutes, IdParams, json, jsonBody } from "../openapi.ts";
import { problemHook } from "../validate.ts";

/**
 * The `Idempotency-Key` header: any printable token up to 255 characters,
 * bare (as most APIs send it) or as a structured-field string (`"…"`, as the
 * IETF draft writes it).
 */
const IdempotencyKeyHeaders = z.object({
  "idempotency-key": z
    .string()
    .transform((header) => /^"(.*)"$/.exec(header)?.[1] ?? header)
    .pipe(z.string().regex(/^[\x21-\x7e]{1,255}$/, "1 to 255 printable characters"))
    .optional()
    .openapi({
      minLength: 1,
      maxLength: 255,
      param: {
        description: "A key per ask (a UUID): a retried create with the same key returns the first request instead of making another",
      },
    }),
});

/** The requester's side: preview, submit, list, answer a question, cancel. */
export function requestRoutes(relay: Relay) {
  const auth = requireDevice(relay);
  const meta = (c: Parameters<typeof requestMeta>[0]) => requestMeta(c, relay.env.TRUST_PROXY);
  return apiRoutes()
    .openapi(
      apiRoute({
        method: "post",
        path: "/requests/preview",
        summary: "Which flow applies and who approves (changes nothing)",
        auth,
        request: { body: jsonBody(Api.PreviewBody) },
        responses: { 200: json(Api.PreviewResponse, "OK") },
      }),
      async (c) => c.json(await previewRequest(relay, c.get("principal"), c.req.valid("json")), 200),
    )
    .openapi(
      apiRoute({
        method: "post",
        path: "/requests",
        summary: "Ask for access",
        auth,
        request: { headers: IdempotencyKeyHeaders, body: jsonBody(Api.CreateRequestBody) },
        responses: {
          200: json(Api.RequestView, "A retry of an earlier create with the same Idempotency-Key: that request, as it is now"),
          201: json(Api.RequestView, "Created"),
        },
      }),
      async (c) => {
        const key = c.req.valid("header")["idempotency-key"] ?? null;
        const { view, replayed } = await createRequest(relay, c.get("principal"), c.req.valid("json"), meta(c), key);
        // A replay answers 200 with the request as it is now (it may have been decided since).
        return c.json(view, replayed ? 200 : 201);
      },
      problemHook({ header: "Idempotency-Key must be 1 to 255 printable characters without spaces" }),
    )
    .openapi(
      apiRoute({
        method: "get",
        path: "/requests",
        summary: "My requests, newest first",
        auth,
        responses: { 200: json(Api.RequestList, "OK") },
      }),
      async (c) => c.json({ requests: await listRequestsOf(relay.database.db, c.get("principal").user.id, 50, relay.clock.now()) }, 200),
    )
    .openapi(
      apiRoute({
        method: "post",
        path: "/requests/{id}/answer",
        summary: "Answer an approver's question (the request must be info_requested); the step's approvers get new links",
        auth,
        request: { params: IdParams, body: jsonBody(Api.AnswerBody) },
        responses: { 200: json(Api.RequestView, "OK") },
      }),
      async (c) =>
        c.json(await answerQuestion(relay, c.get("principal"), c.req.valid("param").id, c.req.valid("json").answer, meta(c)), 200),
    )
    .openapi(
      apiRoute({
        method: "post",
        path: "/requests/{id}/cancel",
        summary: "Withdraw an undecided request (pending, info_requested, escalated or error); every approver's link dies",
        auth,
        request: { params: IdParams },
        responses: { 200: json(Api.RequestView, "OK") },
      }),
      async (c) => c.json(await cancelRequest(relay, c.get("principal"), c.req.valid("param").id, meta(c)), 200),
    );
}
