/**
 * `pnpm bench:expiry`: how soon a grant reaches the app, and how late grants
 * end when many end in the same second, on relay processes sharing one
 * PostgreSQL (test/cluster/cluster.ts), against a provisioning endpoint on
 * loopback.
 *
 *   pnpm bench:expiry [--grants 1000,10000] [--relays 3] [--kill]
 *
 * For each size: the grants are asked for through the API (auto-approved),
 * provisioned through the webhook provider, then every end is moved to the
 * same second. Printed per size:
 *   - effect latency: from the transaction that queued the grant call to the
 *     provider applying it (p50/p95);
 *   - expiry lateness: from the end to the relay beginning the revoke
 *     (`revoking`, the time the grant's transition records), to the
 *     provider receiving it (`revoke at the provider`, the endpoint's own
 *     clock) and to the provider's confirmed removal (`ended`),
 *     p50/p99/max;
 * and the ratio of each p99 to a single grant's, measured in the same run
 * (the baseline: one tick of the loops). `--kill` adds a `kill -9` of a
 * random relay every ~3 s (restarted 0.4 s later) while grants end.
 * Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) to make
 * a database per size, dropped at the end. A benchmark, not a test.
 */
import { parseArgs } from "node:util";
import { Cluster, chaos, percentile } from "./cluster.ts";

const { values } = parseArgs({
  options: {
    grants: { type: "string", default: "1000,10000" },
    relays: { type: "string", default: "3" },
    kill: { type: "boolean", default: false },
  },
});
const SIZES = values.grants.split(",").map(Number);
const RELAYS = Number(values.relays);

interface Figures {
  grants: number;
  kills: number;
  effect: number[];
  revoking: number[];
  atProvider: number[];
  ended: number[];
  expirySeconds: number;
}

async function run(size: number, kill: boolean): Promise<Figures> {
  const cluster = new Cluster();
  await cluster.start({ relays: RELAYS });
  try {
    const t0 = Date.now();
    await cluster.requestGrants(size, 16, "BENCH");
    const total = await cluster.waitForAll("active", size, 600_000);
    if (size > 1) process.stdout.write(`  ${total} grants asked for and provisioned in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const queued = await cluster.sql<{ grant_id: string; at: Date }[]>`
      select grant_id, at from audit_events where action = 'grant.provisioning'`;
    const appliedAt = new Map(cluster.receiver.applied.filter((a) => a.action === "grant").map((a) => [a.grantId, a.at]));
    const effect = queued.map((q) => ((appliedAt.get(q.grant_id) ?? Number.NaN) - q.at.getTime()) / 1000);

    const endsAt = await cluster.endAllAt(3_000);
    const faults = kill ? chaos(cluster, 3000) : null;
    await cluster.waitForAll("expired", total, 600_000);
    const expirySeconds = (Date.now() - endsAt.getTime()) / 1000;
    const kills = (await faults?.stop()) ?? 0;
    const { revoking, ended } = await cluster.lateness();
    const end = endsAt.getTime();
    const atProvider = cluster.receiver.applied.filter((a) => a.action === "revoke").map((a) => (a.at - end) / 1000);
    return { grants: total, kills, effect, revoking, atProvider, ended, expirySeconds };
  } finally {
    await cluster.stop();
  }
}

const s = (x: number) => `${x.toFixed(2)} s`;

async function main(): Promise<void> {
  process.stdout.write(
    `bench:expiry — ${RELAYS} relay processes on PostgreSQL${values.kill ? ", kill -9 every ~3 s while grants end" : ""}\n`,
  );
  process.stdout.write("baseline: 1 grant… ");
  const base = await run(1, false);
  const baseEnded = percentile(base.ended, 99);
  const baseRevoking = percentile(base.revoking, 99);
  const baseAtProvider = percentile(base.atProvider, 99);
  process.stdout.write(
    `effect ${s(percentile(base.effect, 50))}, revoking ${s(baseRevoking)}, at the provider ${s(baseAtProvider)}, ended ${s(baseEnded)}\n\n`,
  );
  for (const size of SIZES) {
    process.stdout.write(`${size} grants ending in the same second:\n`);
    const f = await run(size, values.kill);
    const line = (name: string, xs: number[], baseline: number) =>
      `  ${name.padEnd(26)} p50 ${s(percentile(xs, 50))}  p99 ${s(percentile(xs, 99))}  max ${s(percentile(xs, 100))}  (p99 ${(percentile(xs, 99) / baseline).toFixed(1)}× one grant's)\n`;
    process.stdout.write(
      `  grant effect latency       p50 ${s(percentile(f.effect, 50))}  p95 ${s(percentile(f.effect, 95))}\n` +
        line("lateness to revoking", f.revoking, baseRevoking) +
        line("revoke at the provider", f.atProvider, baseAtProvider) +
        line("lateness to ended", f.ended, baseEnded) +
        `  all ${f.grants} ended ${s(f.expirySeconds)} after their end${f.kills ? `, ${f.kills} relays killed meanwhile` : ""}\n\n`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
