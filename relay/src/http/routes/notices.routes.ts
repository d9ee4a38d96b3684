import type { Notice } from "@gatehouse/shared";
import { z } from "@hono/zod-openapi";
import type { Relay } from "../../context.ts";
import { loggableError } from "../../db/faults.ts";
import { detectionRulesVersion } from "../../detection/rules.ts";
import { markSeen } from "../../devices/service.ts";
import { listNotices } from "../../push/list.ts";
import { requireDevice } from "../auth.ts";
import { Api, apiRoute, apiRoutes, json } from "../openapi.ts";
import { serveSse } from "../sse.ts";
import { validationProblem } from "../validate.ts";

/** A notice cursor: notices after this id. */
const Cursor = z.coerce.number().int().min(0).openapi({ type: "integer" });
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

/** The stream's cursor when `?after` is absent: the `Last-Event-ID` an EventSource sends when it reconnects. */
const LastEventId = z.object({ "last-event-id": Cursor.default(0) });
function lastEventId(value: string | undefined): number {
  const parsed = LastEventId.safeParse({ "last-event-id": value });
  if (!parsed.success) throw validationProblem(parsed.error, "header");
  return parsed.data["last-event-id"];
}

/**
 * Push to the extension. `GET /notices?after=N` is the replay (the guarantee);
 * `GET /notices/stream?after=N` is the live connection (an optimisation) as
 * server-sent events, woken by NOTIFY after each commit.
 */
export function noticeRoutes(relay: Relay) {
  const auth = requireDevice(relay);
  return apiRoutes()
    .openapi(
      apiRoute({
        method: "get",
        path: "/notices",
        summary: "Notices after a cursor (replay)",
        auth,
        request: { query: z.object({ after: Cursor.default(0) }) },
        responses: { 200: json(Api.NoticeList, "OK") },
      }),
      async (c) => {
        const { after } = c.req.valid("query");
        const list = await listNotices(relay.database.db, c.get("principal").user.id, after, relay.clock.now());
        return c.json({ notices: list, cursor: list.at(-1)?.id ?? after }, 200);
      },
    )
    .openapi(
      apiRoute({
        method: "get",
        path: "/notices/stream",
        summary:
          "Live notices as server-sent events (event `ready` with the cursor and the detection rules' version, then `notice` events)",
        auth,
        request: {
          query: z.object({ after: Cursor.optional() }),
          // Read only without ?after, so a bad one beside a good ?after is ignored: checked in the handler.
          headers: z.object({
            "last-event-id": z
              .string()
              .optional()
              .openapi({ param: { description: "The cursor when `after` is absent (an EventSource reconnecting sends it)" } }),
          }),
        },
        responses: {
          200: {
            description:
              "text/event-stream: `ready` ({cursor, rulesVersion}), then one `notice` event per notice (`id:` = its cursor, data: a Notice as in NoticeList); comment pings every 15 s; the stream ends after 5 minutes and the client reconnects from its cursor",
            content: { "text/event-stream": { schema: z.string() } },
          },
        },
      }),
      (c) => {
        const { user, device } = c.get("principal");
        const userId = user.id;
        let cursor = c.req.valid("query").after ?? lastEventId(c.req.valid("header")["last-event-id"]);
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
      },
    );
}
