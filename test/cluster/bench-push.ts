/**
 * `pnpm bench:push`: what live notice streams cost the relay, and how fast one
 * notice reaches all of them.
 *
 *   pnpm bench:push [--streams 10000]
 *
 * One relay process on PostgreSQL (test/cluster/cluster.ts) holds N streams of
 * one signed-in requester (`GET /api/v1/notices/stream`); then the requester
 * files an auto-approved request, whose `request.approved` notice every stream must receive.
 * Printed: the relay's resident memory per open stream (RSS after minus
 * before, over N), and the time from the request's POST to the first, median
 * and last stream having it. The baseline, in the
 * same run and the same client: a bare @hono/node-server app with Hono's
 * streamSSE holding N streams and writing one event to all of them.
 * A benchmark, not a test.
 */

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Cluster, percentile } from "./cluster.ts";

const { values } = parseArgs({ options: { streams: { type: "string", default: "10000" } } });
const N = Number(values.streams);
const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) * 1024;
}

/** Opens N streams to `url`; resolves when all said they are ready. Each records when `marker` first arrived. */
async function openStreams(url: string, headers: Record<string, string>, marker: string) {
  const arrived: number[] = [];
  const sockets: { destroy(): void }[] = [];
  let ready = 0;
  const batch = 500;
  for (let i = 0; i < N; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, N - i) }, () => {
        return new Promise<void>((resolve, reject) => {
          const req = request(url, { agent, headers }, (res) => {
            let seen = "";
            let isReady = false;
            let got = false;
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => {
              seen = (seen + chunk).slice(-4096);
              if (!isReady && seen.includes("event: ready")) {
                isReady = true;
                ready++;
                resolve();
              }
              if (!got && seen.includes(marker)) {
                got = true;
                arrived.push(performance.now());
              }
            });
          });
          req.on("error", reject);
          req.end();
          sockets.push(req);
        });
      }),
    );
  }
  return {
    arrived,
    ready: () => ready,
    close: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

async function waitUntil(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The same client against the bare Hono stream server (bare-sse.ts), in a process of its own like the relay. */
async function baseline() {
  const child = spawn(process.execPath, [fileURLToPath(new URL("./bare-sse.ts", import.meta.url))], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve) => child.stdout.once("data", (d) => resolve(Number(String(d).trim()))));
  try {
    const before = rssOf(child.pid as number);
    const streams = await openStreams(`http://127.0.0.1:${port}/stream`, {}, '"kind":"grant.started"');
    await new Promise((r) => setTimeout(r, 1000));
    const after = rssOf(child.pid as number);
    const t0 = performance.now();
    await fetch(`http://127.0.0.1:${port}/fire`, { method: "POST" });
    await waitUntil(() => streams.arrived.length >= N, 60_000);
    const times = streams.arrived.map((t) => t - t0);
    streams.close();
    return { perStreamKb: (after - before) / N / 1024, p50: percentile(times, 50), max: percentile(times, 100) };
  } finally {
    child.kill("SIGTERM");
  }
}

const base = await baseline();
const cluster = new Cluster();
await cluster.start({ relays: 1, intervalMs: 1000 });
try {
  const relay = cluster.relays[0];
  if (!relay?.pid) throw new Error("no relay");
  const before = rssOf(relay.pid);
  const streams = await openStreams(
    `${relay.url}/api/v1/notices/stream`,
    { authorization: `Bearer ${cluster.token}` },
    '"kind":"grant.started"',
  );
  await new Promise((r) => setTimeout(r, 1000));
  const after = rssOf(relay.pid);
  const t0 = performance.now();
  await cluster.requestGrants(1, 1, "PUSH");
  const answered = performance.now() - t0;
  await waitUntil(() => streams.arrived.length >= N, 120_000);
  const times = streams.arrived.map((t) => t - t0);
  streams.close();
  const perStreamKb = (after - before) / N / 1024;
  console.log(`streams: ${N}`);
  console.log(
    `relay:    ${perStreamKb.toFixed(1)} KB per open stream (RSS ${(before / 2 ** 20).toFixed(0)} → ${(after / 2 ** 20).toFixed(0)} MB); ` +
      `one notice to all: first ${percentile(times, 0).toFixed(0)} ms, p50 ${percentile(times, 50).toFixed(0)} ms, last ${percentile(times, 100).toFixed(0)} ms (from the POST, answered in ${answered.toFixed(0)} ms)`,
  );
  console.log(
    `baseline: ${base.perStreamKb.toFixed(1)} KB per open stream, one event to all: p50 ${base.p50.toFixed(0)} ms, last ${base.max.toFixed(0)} ms`,
  );
  console.log(
    `ratio:    memory ${(perStreamKb / base.perStreamKb).toFixed(2)} ×, last delivery ${(percentile(times, 100) / base.max).toFixed(2)} × the bare Hono stream`,
  );
} finally {
  await cluster.stop();
}
