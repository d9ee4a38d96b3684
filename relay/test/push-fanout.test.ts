import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { describe, expect, it, vi } from "vitest";
import * as list from "../src/push/list.ts";
import { bearer, docsRequest, engines, json, linkFrom, mailsTo, signedInSuite, submitForm } from "./harness.ts";

// Counts how often the notice rows are read, whoever reads them.
vi.mock("../src/push/list.ts", async (original) => {
  const actual = await original<typeof list>();
  return { ...actual, listNotices: vi.fn(actual.listNotices) };
});

/**
 * Push at scale: one read of the new rows per notice, however many streams
 * are open (the bus fans them out in memory), and every stream still gets
 * each notice exactly once, replay and live delivery together.
 */
describe.each(engines)("notice fan-out ($name)", (engine) => {
  const suite = signedInSuite(engine, "dana@acme.test");
  const STREAMS = 40;

  it("reads a notice once for all of a user's open streams and gives each stream every notice once", async () => {
    const { app } = suite.t;
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
    await new Promise((r) => server.once("listening", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { cursor } = (await (await app.request("/api/v1/notices", { headers: bearer(suite.token) })).json()) as { cursor: number };
    const controllers: AbortController[] = [];
    const received: string[] = Array.from({ length: STREAMS }, () => "");
    const readers = await Promise.all(
      Array.from({ length: STREAMS }, async (_, i) => {
        const controller = new AbortController();
        controllers.push(controller);
        const res = await fetch(`${base}/api/v1/notices/stream?after=${cursor}`, {
          headers: bearer(suite.token),
          signal: controller.signal,
        });
        const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
        // Until the stream said it is ready (subscribed and replayed).
        while (!received[i]?.includes("event: ready")) {
          const chunk = await reader?.read();
          if (!chunk || chunk.done) break;
          received[i] += chunk.value;
        }
        // Wrapped: an async function returning a promise would wait for it.
        return {
          done: (async () => {
            while ((received[i]?.match(/event: notice/g) ?? []).length < 1) {
              const chunk = await reader?.read();
              if (!chunk || chunk.done) break;
              received[i] += chunk.value;
            }
          })(),
        };
      }),
    );
    expect(suite.t.relay.bus.streams).toBeGreaterThanOrEqual(STREAMS);
    // Let each stream's own replay (one read at connect) finish before counting.
    await new Promise((r) => setImmediate(r));
    const reads = vi.mocked(list.listNotices);
    reads.mockClear();
    const created = await app.request("/api/v1/requests", json(docsRequest(`fanout-${engine.name}`), bearer(suite.token)));
    expect(created.status).toBe(201);
    const [mail] = await mailsTo(suite.t, "lee@acme.test");
    await submitForm(suite.t, linkFrom(mail?.text ?? "", "/decide/"), { decision: "approve", duration: "1h" });
    await Promise.race([Promise.all(readers.map((r) => r.done)), new Promise((r) => setTimeout(r, 10_000))]);
    for (const r of received) expect(r.match(/"kind":"grant.started"/g)).toHaveLength(1);
    // One NOTIFY, one read (a second when a NOTIFY came during the first), not one per stream.
    expect(reads.mock.calls.length).toBeLessThanOrEqual(2);
    for (const c of controllers) c.abort();
    server.close();
  });
});
