import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { ProvisioningReceiver } from "../../relay/test/provisioning-receiver.ts";
import { RelayProcess, waitFor } from "../e2e/harness.ts";

/**
 * Several relay processes on one PostgreSQL database, a provisioning
 * endpoint (the webhook provider's contract) that counts what it applies by
 * idempotency key, and a way to kill and restart the relays while grants
 * are given and ended. Shared by the exactly-once test and `pnpm bench:expiry`.
 */
const PG_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const PUBLIC_URL = "http://relay.cluster.test";
const SECRET = `whsec_${Buffer.from("cluster-provisioning-secret-0123").toString("base64")}`;
const EMAIL = "dana@cluster.test";

function policy(receiverUrl: string): string {
  return `# Written by test/cluster/cluster.ts
admins: [ops@cluster.test]
providers:
  - { id: hook, type: webhook, url: "${receiverUrl}/provision", secret: "\${env:GH_CLUSTER_HOOK_SECRET}", timeout: 5s }
directory:
  users:
    - { email: ${EMAIL}, name: Dana Whitfield }
    - { email: ops@cluster.test, name: Ops Desk }
flows:
  - id: jira
    name: Jira projects
    apps: [jira]
    approval: auto
    durations: { choices: [1h] }
    grant: { provider: hook, target: { project: "{{ resource.id }}" } }
`;
}

export interface ClusterOptions {
  relays: number;
  /** How often each relay's expiry and outbox loops tick when nothing wakes them. */
  intervalMs?: number;
}

export class Cluster {
  readonly receiver = new ProvisioningReceiver(SECRET);
  readonly relays: RelayProcess[] = [];
  sql!: postgres.Sql;
  #admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  #dbName = `gh_cluster_${randomBytes(5).toString("hex")}`;
  #dbUrl = "";
  #token = "";
  #next = 0;

  async start(opts: ClusterOptions): Promise<void> {
    try {
      await this.#admin.unsafe(`create database ${this.#dbName}`);
    } catch (e) {
      throw new Error(`the cluster needs PostgreSQL at ${PG_URL}: ${(e as Error).message}`);
    }
    const url = new URL(PG_URL);
    url.pathname = `/${this.#dbName}`;
    this.#dbUrl = url.href;
    this.sql = postgres(this.#dbUrl, { max: 4, onnotice: () => {} });
    await this.receiver.start();
    const file = join(mkdtempSync(join(tmpdir(), "gh-cluster-")), "gatehouse.yaml");
    writeFileSync(file, policy(this.receiver.url));
    const interval = String(opts.intervalMs ?? 250);
    const env = {
      DATABASE_URL: this.#dbUrl,
      GATEHOUSE_CONFIG: file,
      PUBLIC_URL,
      GH_CLUSTER_HOOK_SECRET: SECRET,
      EXPIRY_INTERVAL_MS: interval,
      OUTBOX_INTERVAL_MS: interval,
      KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      LOG_LEVEL: "error",
    };
    for (let i = 0; i < opts.relays; i++) this.relays.push(new RelayProcess());
    // The first migrates; the others start together and find nothing to do.
    await this.relays[0]?.start(env);
    await Promise.all(this.relays.slice(1).map((r) => r.start(env)));
    this.#token = await this.#signIn();
  }

  /** The signed-in requester's device token. */
  get token(): string {
    return this.#token;
  }

  get databaseUrl(): string {
    return this.#dbUrl;
  }

  /** A relay that is up, taking turns. */
  #anyAlive(): RelayProcess | undefined {
    for (let i = 0; i < this.relays.length; i++) {
      const r = this.relays[this.#next++ % this.relays.length];
      if (r?.ready) return r;
    }
    return undefined;
  }

  /** The extension's sign-in, over HTTP: authorize, the pairing link (read from the outbox: no SMTP here), confirm, token. */
  async #signIn(): Promise<string> {
    const relay = this.relays[0] as RelayProcess;
    const post = (path: string, body: unknown) =>
      fetch(`${relay.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const started = await post("/api/v1/devices/authorize", { email: EMAIL, label: "cluster" });
    if (started.status !== 201) throw new Error(`authorize: ${started.status} ${await started.text()}`);
    const { deviceCode } = (await started.json()) as { deviceCode: string };
    const [mail] = await this.sql<{ text: string }[]>`select text from outbox where "to" = ${EMAIL} order by created_at desc limit 1`;
    const path = new RegExp(`${PUBLIC_URL.replace(/\./g, "\\.")}(/pair/[^\\s]+)`).exec(mail?.text ?? "")?.[1];
    if (!path) throw new Error("no pairing link in the outbox");
    const page = await fetch(`${relay.url}${path}`);
    const cookie = page.headers.get("set-cookie")?.split(";")[0] ?? "";
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
    const confirmed = await fetch(`${relay.url}${path}`, {
      method: "POST",
      headers: { cookie, origin: PUBLIC_URL, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf, confirm: "yes" }).toString(),
    });
    if (confirmed.status !== 200) throw new Error(`pair: ${confirmed.status}`);
    const token = (await (await post("/api/v1/devices/token", { deviceCode })).json()) as { status: string; token: string };
    if (token.status !== "paired") throw new Error(`token: ${JSON.stringify(token)}`);
    return token.token;
  }

  /**
   * Asks for `count` Jira projects (auto-approved, so each becomes a grant
   * provisioned through the webhook), `concurrency` at a time, each to a
   * relay that is up. A relay killed mid-request loses the answer, not the
   * request: the ask is repeated elsewhere, which may leave one more grant
   * than asked for (counted from the database, never assumed).
   */
  async requestGrants(count: number, concurrency = 12, prefix = "PRJ"): Promise<void> {
    let next = 0;
    const one = async (i: number) => {
      const body = JSON.stringify({
        app: "jira",
        resource: { id: `${prefix}-${i}`, name: null, url: `https://acme.atlassian.net/browse/${prefix}-${i}` },
        message: "You don't have access to this project",
        duration: "1h",
        reason: "cluster run",
      });
      const giveUpAt = Date.now() + 60_000;
      for (;;) {
        const relay = this.#anyAlive();
        try {
          if (!relay) throw new Error("no relay is up");
          const res = await fetch(`${relay.url}/api/v1/requests`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${this.#token}` },
            body,
          });
          if (res.status === 201) return;
          throw new Error(`${res.status} ${await res.text()}`);
        } catch (err) {
          if (Date.now() > giveUpAt) throw new Error(`request ${prefix}-${i}: ${(err as Error).message}; ${this.report()}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) await one(next++);
      }),
    );
  }

  /** Counts of grants by state. */
  async states(): Promise<Record<string, number>> {
    const rows = await this.sql<{ state: string; n: string }[]>`select state, count(*)::text as n from grants group by state`;
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  }

  /** Waits until every grant is in `state` (and there are at least `atLeast`). */
  async waitForAll(state: string, atLeast: number, timeoutMs: number): Promise<number> {
    let last: Record<string, number> = {};
    try {
      return await waitFor(
        `every grant ${state}`,
        async () => {
          last = await this.states();
          const total = Object.values(last).reduce((a, b) => a + b, 0);
          return total >= atLeast && last[state] === total ? total : false;
        },
        timeoutMs,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; grants by state: ${JSON.stringify(last)}\n${this.report()}`);
    }
  }

  /** Moves every active grant's end to the same second, `inMs` from now; returns that second. */
  async endAllAt(inMs: number): Promise<Date> {
    const [row] = await this.sql<{ at: Date }[]>`
      update grants set ends_at = date_trunc('second', now()) + ${`${Math.ceil(inMs / 1000)} seconds`}::interval, warn_at = null
      where state = 'active' returning ends_at as at`;
    if (!row) throw new Error("no active grants");
    return row.at;
  }

  /**
   * Seconds late, per grant, from its end to when the relay began revoking
   * (`revoking`) and to when the provider confirmed removal (`ended`), read
   * from the audit trail.
   */
  async lateness(): Promise<{ revoking: number[]; ended: number[] }> {
    const rows = await this.sql<{ revoking: number | null; ended: number | null }[]>`
      select extract(epoch from (select min(a.at) from audit_events a where a.grant_id = g.id and a.action = 'grant.revoking') - g.ends_at)::float8 as revoking,
             extract(epoch from g.ended_at - g.ends_at)::float8 as ended
      from grants g where g.state = 'expired'`;
    return {
      revoking: rows.map((r) => r.revoking ?? Number.NaN),
      ended: rows.map((r) => r.ended ?? Number.NaN),
    };
  }

  /** Which relays are up, and the last lines each printed (for a failure's message). */
  report(): string {
    return this.relays
      .map((r, i) => `relay ${i} ${r.ready ? "up" : r.alive ? "starting" : "down"}: ${r.output.split("\n").slice(-6).join(" | ")}`)
      .join("\n");
  }

  async stop(): Promise<void> {
    await Promise.all(this.relays.map((r) => r.stop()));
    await this.receiver.stop();
    await this.sql?.end({ timeout: 2 });
    await this.#admin.unsafe(`drop database if exists ${this.#dbName} with (force)`).catch(() => {});
    await this.#admin.end({ timeout: 2 });
  }
}

/**
 * Kills a random relay every `everyMs` (±50 %) with SIGKILL and starts it
 * again `downMs` later, never leaving the cluster without a live relay.
 * Returns a stop function resolving to the number of kills, once every
 * killed relay is back up.
 */
export function chaos(
  cluster: { relays: RelayProcess[] },
  everyMs = 1200,
  downMs = 400,
): { stop(): Promise<number>; killNow(): Promise<void> } {
  let kills = 0;
  let stopped = false;
  const restarts: Promise<void>[] = [];
  const killOne = async () => {
    const alive = cluster.relays.filter((r) => r.ready);
    if (alive.length < 2) return;
    const victim = alive[Math.floor(Math.random() * alive.length)] as RelayProcess;
    await victim.kill();
    kills++;
    restarts.push(new Promise((r) => setTimeout(r, downMs)).then(() => victim.restart()));
  };
  const loop = (async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, everyMs * (0.5 + Math.random())));
      if (!stopped) await killOne();
    }
  })();
  return {
    killNow: killOne,
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(restarts);
      return kills;
    },
  };
}

/** The p-th percentile (0–100) of `xs`, nearest rank. */
export function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
