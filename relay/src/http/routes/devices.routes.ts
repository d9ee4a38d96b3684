import type { MeResponse } from "@gatehouse/shared";
import type { Relay } from "../../context.ts";
import { redeemDeviceCode, revokeDevice, startDeviceAuthorization } from "../../devices/service.ts";
import { requestMeta, requireDevice } from "../auth.ts";
import { Api, apiRoute, apiRoutes, json, jsonBody } from "../openapi.ts";

/** Extension sign-in (device authorization) and the signed-in device itself. */
export function deviceRoutes(relay: Relay) {
  const auth = requireDevice(relay);
  return apiRoutes()
    .openapi(
      apiRoute({
        method: "post",
        path: "/devices/authorize",
        summary: "Start an extension sign-in (mails a pairing link)",
        request: { body: jsonBody(Api.DeviceAuthorizeBody) },
        responses: { 201: json(Api.DeviceAuthorizeResponse, "Started") },
      }),
      async (c) => c.json(await startDeviceAuthorization(relay, c.req.valid("json"), requestMeta(c, relay.env.TRUST_PROXY)), 201),
    )
    .openapi(
      apiRoute({
        method: "post",
        path: "/devices/token",
        summary: "Poll for the device token",
        request: { body: jsonBody(Api.DeviceTokenBody) },
        responses: { 200: json(Api.DeviceTokenResponse, "Pending or paired") },
      }),
      async (c) => c.json(await redeemDeviceCode(relay, c.req.valid("json").deviceCode, requestMeta(c, relay.env.TRUST_PROXY)), 200),
    )
    .openapi(
      apiRoute({
        method: "get",
        path: "/me",
        summary: "Who this device belongs to",
        auth,
        responses: { 200: json(Api.Me, "OK") },
      }),
      (c) => {
        const p = c.get("principal");
        const me: MeResponse = {
          user: { email: p.user.email, name: p.user.name },
          device: { expiresAt: p.device.expiresAt.toISOString() },
        };
        return c.json(me, 200);
      },
    )
    .openapi(
      apiRoute({
        method: "delete",
        path: "/devices/current",
        summary: "Sign this extension out",
        auth,
        responses: { 204: { description: "Signed out" } },
      }),
      async (c) => {
        await revokeDevice(relay, c.get("principal"), requestMeta(c, relay.env.TRUST_PROXY));
        return c.body(null, 204);
      },
    );
}
