import type { ServerResponse } from "node:http";
import type { HttpBindings } from "@hono/node-server";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";

/** Where a server-sent event stream writes; ended by the client going away or by `end()`. */
export interface SseSink {
  /** Writes raw event bytes; resolves once they are buffered (waits for `drain` on a slow client). */
  write(chunk: Uint8Array | string): Promise<void>;
  readonly closed: boolean;
  onClose(fn: () => void): void;
}

/**
 * Serves a server-sent event stream. Under @hono/node-server it writes to
 * the socket's ServerResponse directly: a web ReadableStream and
 * TransformStream per connection (Hono's streamSSE) is most of what an idle
 * stream costs in memory and most of the time a fan-out to ten thousand of
 * them takes (pnpm bench:push). Elsewhere (`app.request` in tests) it falls
 * back to streamSSE. Headers already set on the context (CORS) are kept.
 */
export function serveSse(c: Context, run: (sink: SseSink) => Promise<void>, onError: (err: unknown) => void): Response | Promise<Response> {
  const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
  if (!outgoing) return honoStream(c, run, onError);
  const headers: Record<string, string> = {};
  c.res.headers.forEach((value, key) => {
    headers[key] = value;
  });
  outgoing.writeHead(200, {
    ...headers,
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
    // Proxies (nginx) must pass events on as they come.
    "x-accel-buffering": "no",
  });
  outgoing.flushHeaders();
  const sink = responseSink(outgoing);
  run(sink)
    .catch(onError)
    .finally(() => {
      if (!outgoing.writableEnded) outgoing.end();
    });
  return alreadySent();
}

/**
 * The answer that tells @hono/node-server the response was written by hand.
 * Its own RESPONSE_ALREADY_SENT is built by the lightweight Response class
 * it installs globally, and that class's fast path (2.1.8) writes headers
 * without looking at the marker; reading `body` turns the fast path off.
 */
function alreadySent(): Response {
  const res = new Response(null, { headers: { "x-hono-already-sent": "true" } });
  void res.body;
  return res;
}

function responseSink(res: ServerResponse): SseSink {
  let closed = false;
  const listeners: (() => void)[] = [];
  res.on("close", () => {
    closed = true;
    for (const fn of listeners.splice(0)) fn();
  });
  return {
    get closed() {
      return closed || res.writableEnded;
    },
    onClose(fn) {
      if (closed) fn();
      else listeners.push(fn);
    },
    write(chunk) {
      if (closed) return Promise.resolve();
      if (res.write(chunk)) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    },
  };
}

function honoStream(c: Context, run: (sink: SseSink) => Promise<void>, onError: (err: unknown) => void): Response {
  return streamSSE(
    c,
    async (stream) => {
      const listeners: (() => void)[] = [];
      stream.onAbort(() => {
        for (const fn of listeners.splice(0)) fn();
      });
      await run({
        get closed() {
          return stream.aborted || stream.closed;
        },
        onClose(fn) {
          if (stream.aborted || stream.closed) fn();
          else listeners.push(fn);
        },
        async write(chunk) {
          await stream.write(chunk);
        },
      });
    },
    async (err) => onError(err),
  );
}
