import type { Notice } from "@gatehouse/shared";
import { Hono } from "hono";
import { z } from "zod";
import type { Relay } from "../../context.ts";
import { ProblemError } from "../../core/errors.ts";
import { loggableError } from "../../db/faults.ts";
import { detectionRulesVersion } from "../../detection/rules.ts";
import { markSeen } from "../../devices/service.ts";
import { listNotices } from "../../push/list.ts";
import { type AppEnv, requireDevice } from "../auth.ts";
import { serveSse } from "../sse.ts";

const cursorSchema = z.coerce.number().int().min(0).default(0);
/** Comment lines keep proxies and the extension's worker from idling the stream out. */
const HEARTBEAT_MS = 15_000;
/** Streams end after a while; the client reconnects and replays from its cursor. */
const STREAM_LIFETIME_MS = 5 * 60_000;

/**
 * A notice as an SSE event, encoded once: the bus hands the same notice
 * object to every stream of its user, so ten thousand streams cost one
 * JSON.stringify and one encoding, not ten thousand.
 */
const frames = new WeakMap<Notice, Uint8Array>();
const encoder = new TextEncoder();
function sseFrame(notice: Notice): Uint8Array {
  let frame = frames.get(notice);
  if (!frame) {
    // JSON has no raw newlines, so the data fits one `data:` line.
    frame = encoder.encode(`id: ${notice.id}\nevent: notice\ndata: ${JSON.stringify(notice)}\n\n`);
    frames.set(notice, frame);
  }
  return frame;
}

function parseCursor(value: string | undefined): number {
  const parsed = cursorSchema.safeParse(value);
  if (!parsed.success) throw ProblemError.fromZod(parsed.error);
  return parsed.data;
}

/**
 * Push to the extension. `GET /notices?after=N` is the replay (the guarantee);
 * `GET /notices/stream?after=N` is the live connection (an optimisation) as
 * server-sent events, woken by NOTIFY after each commit.
 */
export function noticeRoutes(relay: Relay) {
  const auth = requireDevice(relay);
  return new Hono<AppEnv>()
    .use("/notices/*", auth)
    .get("/notices", async (c) => {
      const after = parseCursor(c.req.query("after"));
      const list = await listNotices(relay.database.db, c.get("principal").user.id, after, relay.clock.now());
      return c.json({ notices: list, cursor: list.at(-1)?.id ?? after });
    })
    .get("/notices/stream", (c) => {
      const { user, device } = c.get("principal");
      const userId = user.id;
      let cursor = parseCursor(c.req.query("after") ?? c.req.header("last-event-id"));
      // The stream's loop keeps only what it needs, not the request's context: idle streams are most of the memory.
      return serveSse(
        c,
        async (stream) => {
          // Notices reach this stream from the bus (one read per notice for all streams) and from its own replay at connect.
          const queue: Notice[] = [];
          let wake: (() => void) | null = null;
          const unsubscribe = relay.bus.subscribe(userId, {
            get cursor() {
              return cursor;
            },
            push(list) {
              queue.push(...list);
              wake?.();
            },
          });
          stream.onClose(() => {
            unsubscribe();
            wake?.();
          });
          // A draining relay ends its streams; the client reconnects (to another instance) from its cursor.
          const onDrain = () => wake?.();
          relay.drain.signal.addEventListener("abort", onDrain);
          const endAt = Date.now() + STREAM_LIFETIME_MS;
          try {
            // The rules' version rides on every (re)connect, so the extension refetches only when they changed.
            const rulesVersion = await detectionRulesVersion(relay.database.db);
            await stream.write(`event: ready\ndata: ${JSON.stringify({ cursor, rulesVersion })}\n\n`);
            // Subscribed first, replayed second: a notice committed in between comes twice and is written once.
            queue.push(...(await listNotices(relay.database.db, userId, cursor, relay.clock.now())));
            while (!stream.closed && !relay.drain.signal.aborted && Date.now() < endAt) {
              const notice = queue.shift();
              if (notice) {
                if (notice.id <= cursor) continue;
                await stream.write(sseFrame(notice));
                cursor = notice.id;
                continue;
              }
              const woke = await new Promise<boolean>((resolve) => {
                const t = setTimeout(() => resolve(false), HEARTBEAT_MS);
                wake = () => {
                  clearTimeout(t);
                  resolve(true);
                };
              });
              wake = null;
              if (!woke && !stream.closed) {
                await stream.write(": ping\n\n");
                await markSeen(relay, device);
              }
            }
          } finally {
            unsubscribe();
            relay.drain.signal.removeEventListener("abort", onDrain);
          }
        },
        // The database went away mid-stream: the stream ends and the client replays from its cursor when it comes back.
        (err) => relay.log.warn("notice stream ended by an error", loggableError(err)),
      );
    });
}
