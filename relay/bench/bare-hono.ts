/**
 * The baseline of `pnpm bench:relay`, as a process of its own: a bare Hono
 * app on @hono/node-server answering what the relay's cheapest routes answer
 * (`/livez`, and `/api/v1/me` for any bearer token), with no database, no
 * middleware and no validation. Prints its port on the first line.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono()
  .get("/livez", (c) => c.json({ status: "ok" }))
  .get("/api/v1/me", (c) => {
    if (!/^Bearer \S+$/i.test(c.req.header("authorization") ?? "")) return c.json({ code: "unauthenticated" }, 401);
    return c.json({ user: { email: "dana@bench.test", name: "Dana" }, device: { expiresAt: new Date().toISOString() } });
  });
const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => process.stdout.write(`${info.port}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
