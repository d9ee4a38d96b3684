import {
  AnswerBodySchema,
  CreateRequestBodySchema,
  DetectionRulesResponseSchema,
  DeviceAuthorizeBodySchema,
  DeviceAuthorizeResponseSchema,
  DeviceTokenBodySchema,
  DeviceTokenResponseSchema,
  ExtendBodySchema,
  MeResponseSchema,
  NoticeListSchema,
  PreviewBodySchema,
  PreviewResponseSchema,
  RequestListSchema,
  RequestViewSchema,
} from "@gatehouse/shared";
import { z } from "zod";
import { ProvisioningCallbackSchema } from "../adapters/providers/webhook.ts";

const schemas = {
  DeviceAuthorizeBody: DeviceAuthorizeBodySchema,
  DeviceAuthorizeResponse: DeviceAuthorizeResponseSchema,
  DeviceTokenBody: DeviceTokenBodySchema,
  DeviceTokenResponse: DeviceTokenResponseSchema,
  Me: MeResponseSchema,
  DetectionRules: DetectionRulesResponseSchema,
  PreviewBody: PreviewBodySchema,
  PreviewResponse: PreviewResponseSchema,
  CreateRequestBody: CreateRequestBodySchema,
  RequestView: RequestViewSchema,
  RequestList: RequestListSchema,
  AnswerBody: AnswerBodySchema,
  NoticeList: NoticeListSchema,
  ExtendBody: ExtendBodySchema,
  ProvisioningCallbackBody: ProvisioningCallbackSchema,
  ProvisioningCallbackResponse: z.object({ status: z.enum(["recorded", "already_recorded"]) }),
} as const;

type Name = keyof typeof schemas;
const ref = (name: Name) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: Name) => ({ content: { "application/json": { schema: ref(name) } } });
const problem = {
  description: "Problem (RFC 9457)",
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
};
const bearer = [{ deviceToken: [] }];
const grantId = [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }];
/** The Standard Webhooks headers a provider's callback is signed with (docs/provisioning.md). */
const signedHeaders = ["webhook-id", "webhook-timestamp", "webhook-signature"].map((name) => ({
  name,
  in: "header",
  required: true,
  schema: { type: "string" },
}));

/**
 * The OpenAPI document of `/api/v1`, generated from the same zod schemas the
 * relay validates with and the extension parses with, so it cannot drift.
 */
export function openApiDocument(serverUrl: string) {
  const components = Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => [name, z.toJSONSchema(schema, { io: "input", unrepresentable: "any" })]),
  );
  return {
    openapi: "3.1.0",
    info: { title: "Gatehouse relay API", version: "1" },
    servers: [{ url: `${serverUrl}/api/v1` }],
    components: {
      securitySchemes: { deviceToken: { type: "http", scheme: "bearer", description: "Device token from /devices/token" } },
      schemas: {
        ...components,
        Problem: {
          type: "object",
          required: ["type", "code", "title", "status"],
          properties: {
            type: { type: "string" },
            code: { type: "string" },
            title: { type: "string" },
            status: { type: "integer" },
            detail: { type: "string" },
            errors: { type: "array", items: { type: "object", properties: { path: { type: "string" }, message: { type: "string" } } } },
          },
        },
      },
    },
    paths: {
      "/devices/authorize": {
        post: {
          summary: "Start an extension sign-in (mails a pairing link)",
          requestBody: json("DeviceAuthorizeBody"),
          responses: { 201: { description: "Started", ...json("DeviceAuthorizeResponse") }, default: problem },
        },
      },
      "/devices/token": {
        post: {
          summary: "Poll for the device token",
          requestBody: json("DeviceTokenBody"),
          responses: { 200: { description: "Pending or paired", ...json("DeviceTokenResponse") }, default: problem },
        },
      },
      "/devices/current": {
        delete: {
          summary: "Sign this extension out",
          security: bearer,
          responses: { 204: { description: "Signed out" }, default: problem },
        },
      },
      "/me": {
        get: {
          summary: "Who this device belongs to",
          security: bearer,
          responses: { 200: { description: "OK", ...json("Me") }, default: problem },
        },
      },
      "/requests/preview": {
        post: {
          summary: "Which flow applies and who approves (changes nothing)",
          security: bearer,
          requestBody: json("PreviewBody"),
          responses: { 200: { description: "OK", ...json("PreviewResponse") }, default: problem },
        },
      },
      "/requests": {
        get: {
          summary: "My requests, newest first",
          security: bearer,
          responses: { 200: { description: "OK", ...json("RequestList") }, default: problem },
        },
        post: {
          summary: "Ask for access",
          security: bearer,
          parameters: [
            {
              name: "Idempotency-Key",
              in: "header",
              required: false,
              description: "A key per ask (a UUID): a retried create with the same key returns the first request instead of making another",
              schema: { type: "string", minLength: 1, maxLength: 255 },
            },
          ],
          requestBody: json("CreateRequestBody"),
          responses: {
            200: {
              description: "A retry of an earlier create with the same Idempotency-Key: that request, as it is now",
              ...json("RequestView"),
            },
            201: { description: "Created", ...json("RequestView") },
            default: problem,
          },
        },
      },
      "/requests/{id}/answer": {
        post: {
          summary: "Answer an approver's question (the request must be info_requested); the step's approvers get new links",
          security: bearer,
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }],
          requestBody: json("AnswerBody"),
          responses: { 200: { description: "OK", ...json("RequestView") }, default: problem },
        },
      },
      "/requests/{id}/cancel": {
        post: {
          summary: "Withdraw an undecided request (pending, info_requested, escalated or error); every approver's link dies",
          security: bearer,
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }],
          responses: { 200: { description: "OK", ...json("RequestView") }, default: problem },
        },
      },
      "/grants/{id}/start": {
        post: {
          summary: "Start an on_start grant that waits for its requester (awaiting_start); the clock starts when the app confirms",
          security: bearer,
          parameters: grantId,
          responses: { 200: { description: "The request, with its grant as it is now", ...json("RequestView") }, default: problem },
        },
      },
      "/grants/{id}/extend": {
        post: {
          summary:
            "Extend active access within the flow's extend rules (by: at most extend.by, else the grant's own length; omitted: that length); with extend.reapprove, ask the flow's approvers instead (grant.extensionRequest)",
          security: bearer,
          parameters: grantId,
          requestBody: json("ExtendBody"),
          responses: {
            200: {
              description: "The request, with the grant's new end, or the extension request waiting for approval",
              ...json("RequestView"),
            },
            default: problem,
          },
        },
      },
      "/grants/{id}/release": {
        post: {
          summary: "Give access back early (active, provisioning, awaiting_start or scheduled); the provider is asked to remove it",
          security: bearer,
          parameters: grantId,
          responses: { 200: { description: "The request, with its grant revoking or released", ...json("RequestView") }, default: problem },
        },
      },
      "/provisioning/callback": {
        post: {
          summary:
            "A webhook provider that answered 202 confirms the call (by its idempotency key), signed per Standard Webhooks with that provider's secret",
          parameters: signedHeaders,
          requestBody: json("ProvisioningCallbackBody"),
          responses: {
            200: { description: "Recorded, or a duplicate of a recorded answer", ...json("ProvisioningCallbackResponse") },
            default: problem,
          },
        },
      },
      "/notices": {
        get: {
          summary: "Notices after a cursor (replay)",
          security: bearer,
          parameters: [{ name: "after", in: "query", schema: { type: "integer", minimum: 0 } }],
          responses: { 200: { description: "OK", ...json("NoticeList") }, default: problem },
        },
      },
      "/detection-rules": {
        get: {
          summary: "The admin's detection rules for internal tools (ETag = version; send If-None-Match)",
          security: bearer,
          responses: { 200: { description: "OK", ...json("DetectionRules") }, 304: { description: "Unchanged" }, default: problem },
        },
      },
      "/notices/stream": {
        get: {
          summary:
            "Live notices as server-sent events (event `ready` with the cursor and the detection rules' version, then `notice` events)",
          security: bearer,
          parameters: [{ name: "after", in: "query", schema: { type: "integer", minimum: 0 } }],
          responses: { 200: { description: "text/event-stream" }, default: problem },
        },
      },
    },
  };
}
