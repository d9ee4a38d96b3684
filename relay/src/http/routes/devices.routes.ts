import { DeviceAuthorizeBodySchema, DeviceTokenBodySchema, type MeResponse } from "@gatehouse/shared";
import { Hono } from "hono";
import type { Relay } from "../../context.ts";
import { redeemDeviceCode, revokeDevice, startDeviceAuthorization } from "../../devices/service.ts";
import { type AppEnv, requestMeta, requireDevice } from "../auth.ts";
import { readJson } from "../validate.ts";

/** Extension sign-in (device authorization) and the signed-in device itself. */
export function deviceRoutes(relay: Relay) {
  const auth = requireDevice(relay);
  return new Hono<AppEnv>()
    .post("/devices/authorize", async (c) => {
      const body = await readJson(c, DeviceAuthorizeBodySchema);
      return c.json(await startDeviceAuthorization(relay, body, requestMeta(c, relay.env.TRUST_PROXY)), 201);
    })
    .post("/devices/token", async (c) => {
      const body = await readJson(c, DeviceTokenBodySchema);
      return c.json(await redeemDeviceCode(relay, body.deviceCode, requestMeta(c, relay.env.TRUST_PROXY)));
    })
    .get("/me", auth, (c) => {
      const p = c.get("principal");
      const me: MeResponse = {
        user: { email: p.user.email, name: p.user.name },
        device: { expiresAt: p.device.expiresAt.toISOString() },
      };
      return c.json(me);
    })
    .delete("/devices/current", auth, async (c) => {
      await revokeDevice(relay, c.get("principal"), requestMeta(c, relay.env.TRUST_PROXY));
      return c.body(null, 204);
    });
}
