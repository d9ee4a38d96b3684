/**
 * The baseline of `pnpm bench:push`, as a process of its own: a bare
 * @hono/node-server app with Hono's streamSSE. `GET /stream` holds a stream
 * (it says `ready`, then waits); `POST /fire` writes one event to every open
 * stream. Prints its port on the first line.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";

const writers = new Set<(data: string) => Promise<void>>();
const app = new Hono()
  .get("/stream", (c) =>
    streamSSE(c, async (stream) => {
      const write = async (data: string) => {
        await stream.writeSSE({ event: "notice", data });
      };
      writers.add(write);
      await stream.writeSSE({ event: "ready", data: "{}" });
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      writers.delete(write);
    }),
  )
  .post("/fire", async (c) => {
    const data = JSON.stringify({ kind: "grant.started" });
    await Promise.all([...writers].map((w) => w(data)));
    return c.json({ streams: writers.size });
  });
const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => process.stdout.write(`${info.port}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
