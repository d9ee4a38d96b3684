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
  PROBLEMS,
  PreviewBodySchema,
  PreviewResponseSchema,
  type Problem,
  type ProblemCode,
  RequestListSchema,
  RequestViewSchema,
} from "@gatehouse/shared";
import { createRoute, OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import type { Env, MiddlewareHandler } from "hono";
import { ProvisioningCallbackSchema } from "../adapters/providers/webhook.ts";
import type { AppEnv } from "./auth.ts";
import { jsonOnly, problemHook } from "./validate.ts";

/** The schemas by the names the document gives them (`#/components/schemas/<name>`). */
const components = new Map<string, z.ZodType>();
/**
 * `schema` tagged with its component name. Tagged on a clone: zod gives a
 * schema `.openapi()` when it is built after @hono/zod-openapi extended zod,
 * and the shared schemas may have been built before (import order).
 */
function named<S extends z.ZodType>(name: string, schema: S): S {
  components.set(name, schema);
  return schema.clone().openapi(name);
}

/**
 * The named schemas of `/api/v1`: the routes validate with these and the
 * document refers to them by name. Each is the shared schema the extension
 * parses with, tagged with its component name.
 */
export const Api = {
  DeviceAuthorizeBody: named("DeviceAuthorizeBody", DeviceAuthorizeBodySchema),
  DeviceAuthorizeResponse: named("DeviceAuthorizeResponse", DeviceAuthorizeResponseSchema),
  DeviceTokenBody: named("DeviceTokenBody", DeviceTokenBodySchema),
  DeviceTokenResponse: named("DeviceTokenResponse", DeviceTokenResponseSchema),
  Me: named("Me", MeResponseSchema),
  DetectionRules: named("DetectionRules", DetectionRulesResponseSchema),
  PreviewBody: named("PreviewBody", PreviewBodySchema),
  PreviewResponse: named("PreviewResponse", PreviewResponseSchema),
  CreateRequestBody: named("CreateRequestBody", CreateRequestBodySchema),
  RequestView: named("RequestView", RequestViewSchema),
  RequestList: named("RequestList", RequestListSchema),
  AnswerBody: named("AnswerBody", AnswerBodySchema),
  NoticeList: named("NoticeList", NoticeListSchema),
  ExtendBody: named("ExtendBody", ExtendBodySchema),
  ProvisioningCallbackBody: named("ProvisioningCallbackBody", ProvisioningCallbackSchema),
  ProvisioningCallbackResponse: named("ProvisioningCallbackResponse", z.object({ status: z.enum(["recorded", "already_recorded"]) })),
};

/** The body of every error of the API (RFC 9457), as `http/errors.ts` writes it. */
const ProblemSchema = named(
  "Problem",
  z.object({
    type: z.string(),
    code: z.enum(Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]]),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }) satisfies z.ZodType<Problem>,
);

const problem = { description: "Problem (RFC 9457)", content: { "application/problem+json": { schema: ProblemSchema } } };

/** The security scheme of device-token routes. */
const DEVICE_TOKEN = "deviceToken";

/** A JSON response with one of the named schemas. */
export const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** A JSON request body (required; `jsonOnly` turns away any other body). */
export const jsonBody = <S extends z.ZodType>(schema: S) => ({ content: { "application/json": { schema } }, required: true });

/** A path id: a uuid when it names something; any other value is simply not found (404), never a 400. */
export const IdParams = z.object({ id: z.string().openapi({ format: "uuid" }) });

/** A set of API routes: their input is validated by their schemas, a mismatch answered as a `validation_failed` problem. */
export const apiRoutes = () => new OpenAPIHono<AppEnv>({ defaultHook: problemHook() });

type ApiRouteConfig = Omit<RouteConfig, "middleware" | "security"> & {
  /** The device-token check (`requireDevice`): run once, before the input is validated, and declared as the route's security. */
  auth?: MiddlewareHandler;
};

/**
 * One route of `/api/v1`: its path, input schemas, responses and security,
 * from which Hono routes and validates the request and the document is
 * generated. Every operation answers errors as a problem; a route with a body
 * reads it as JSON first (`jsonOnly`), and one with `auth` checks the device
 * token first and says so in the document.
 */
export function apiRoute<const R extends ApiRouteConfig>({ auth, ...config }: R) {
  const middleware: MiddlewareHandler[] = [];
  if (auth) middleware.push(auth);
  if (config.request?.body) middleware.push(jsonOnly);
  return createRoute({
    ...config,
    ...(auth ? { security: [{ [DEVICE_TOKEN]: [] }] } : {}),
    middleware,
    responses: { ...config.responses, default: problem },
  } as Omit<R, "auth"> & { middleware: MiddlewareHandler[]; responses: R["responses"] & { default: typeof problem } });
}

/**
 * The OpenAPI document of `/api/v1`, generated from the routes registered on
 * `api` (their paths, parameters, bodies, responses and security). The named
 * schemas are rendered by zod's own `toJSONSchema`, as the extension and the
 * relay read them (zod-to-openapi's rendering writes a pattern's flags into
 * the pattern, which then matches nothing).
 */
export function openApiDocument<E extends Env>(api: OpenAPIHono<E>, serverUrl: string) {
  const document = api.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { title: "Gatehouse relay API", version: "1" },
    servers: [{ url: `${serverUrl}/api/v1` }],
  });
  const schemas: Record<string, unknown> = {};
  for (const [name, schema] of components) schemas[name] = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  return {
    ...document,
    components: {
      ...document.components,
      securitySchemes: { [DEVICE_TOKEN]: { type: "http", scheme: "bearer", description: "Device token from /devices/token" } },
      schemas,
    },
  };
}
