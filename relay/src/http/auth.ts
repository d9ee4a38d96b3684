import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { Relay } from "../context.ts";
import { ProblemError } from "../core/errors.ts";
import { authenticateDevice, type Principal, type RequestMeta } from "../devices/service.ts";

export type AppEnv = { Variables: { principal: Principal } };

/** Requires `Authorization: Bearer <device token>`; the token never travels in a URL. */
export function requireDevice(relay: Relay) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer (\S+)$/i.exec(header);
    if (!match?.[1]) throw new ProblemError("unauthenticated", "Sign in the extension first");
    const principal = await authenticateDevice(relay, match[1]);
    if (!principal) throw new ProblemError("unauthenticated", "This sign-in is no longer valid; sign in again");
    c.set("principal", principal);
    await next();
  });
}

/** Source IP and user agent for audit events. */
export function requestMeta(c: Context, trustProxy: boolean): RequestMeta {
  let ip: string | null = null;
  if (trustProxy) ip = c.req.header("x-forwarded-for")?.split(",")[0]?.trim() ?? null;
  if (!ip) {
    try {
      ip = getConnInfo(c).remote.address ?? null;
    } catch {
      ip = null; // app.request() in tests has no socket
    }
  }
  return { ip, userAgent: c.req.header("user-agent")?.slice(0, 300) ?? null };
}
