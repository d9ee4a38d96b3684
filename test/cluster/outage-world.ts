import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { MailCatcher, RelayProcess, waitFor } from "../e2e/harness.ts";
import { Balancer } from "./balancer.ts";
import { TcpProxy } from "./tcp-proxy.ts";

/**
 * The deployment shape of issue 13's fault test: three relay processes on one
 * PostgreSQL, reached through a TCP link that can be cut (TcpProxy), behind a
 * round-robin balancer, sending real mail to an SMTP server on loopback.
 * Requesters, their push clients and the approver are driven over HTTP
 * through the balancer, as the extension and a mail reader would, and every
 * one of them retries what failed, as they do.
 */
const PG_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const PUBLIC_URL = "http://relay.outage.test";
export const APPROVER = "amir@outage.test";

export const requesterEmail = (i: number) => `requester${i}@outage.test`;

function policy(requesters: number): string {
  const users = Array.from(
    { length: requesters },
    (_, i) => `    - { email: ${requesterEmail(i)}, name: Requester ${i}, manager: ${APPROVER} }`,
  );
  return `# Written by test/cluster/outage-world.ts
admins: [ops@outage.test]
directory:
  users:
${users.join("\n")}
    - { email: ${APPROVER}, name: Amir Haddad }
    - { email: ops@outage.test, name: Ops Desk }
flows:
  - id: jira
    name: Jira projects
    apps: [jira]
    approval:
      steps:
        - { approvers: [manager], require: any }
    durations: { choices: [1h] }
`;
}

/** What a client did not manage, for a failure's message. */
export class GaveUp extends Error {}

/** Retries `attempt` until it returns a value (not undefined), for up to `ms`; errors and undefined mean "again", GaveUp means stop. */
export async function retrying<T>(what: string, ms: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const giveUpAt = Date.now() + ms;
  let last = "";
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (err) {
      if (err instanceof GaveUp) throw err;
      last = (err as Error).message;
    }
    if (Date.now() > giveUpAt) throw new GaveUp(`${what}: gave up after ${ms} ms (${last})`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/**
 * A requester's push client, like the extension's: one server-sent event
 * stream through the balancer, reconnected from its cursor whenever it ends.
 */
export class PushClient {
  readonly seen = new Map<number, { kind: string; requestId: string | null }>();
  cursor = 0;
  reconnects = 0;
  #abort = new AbortController();
  #loop: Promise<void> | null = null;
  readonly url: string;
  readonly token: string;

  constructor(url: string, token: string) {
    this.url = url;
    this.token = token;
  }

  start(): void {
    this.#loop = (async () => {
      while (!this.#abort.signal.aborted) {
        try {
          await this.#stream();
        } catch {
          // Ended by a kill, a cut or a drain: reconnect below.
        }
        if (this.#abort.signal.aborted) break;
        this.reconnects++;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
  }

  async #stream(): Promise<void> {
    const res = await fetch(`${this.url}/api/v1/notices/stream?after=${this.cursor}`, {
      headers: { authorization: `Bearer ${this.token}` },
      signal: this.#abort.signal,
    });
    if (!res.ok || !res.body) return;
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        if (!/^event: notice$/m.test(event)) continue;
        const data = /^data: (.*)$/m.exec(event)?.[1];
        if (!data) continue;
        const notice = JSON.parse(data) as { id: number; kind: string; request: { id: string } };
        this.seen.set(notice.id, { kind: notice.kind, requestId: notice.request.id });
        this.cursor = Math.max(this.cursor, notice.id);
      }
    }
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }
}

export class OutageWorld {
  readonly mail = new MailCatcher();
  readonly relays: RelayProcess[] = [];
  readonly link = new TcpProxy("127.0.0.1", Number(new URL(PG_URL).port || 5432));
  balancer!: Balancer;
  sql!: postgres.Sql;
  #admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  #dbName = `gh_outage_${randomBytes(5).toString("hex")}`;
  dbUrl = "";

  async start(relays: number, requesters: number): Promise<void> {
    try {
      await this.#admin.unsafe(`create database ${this.#dbName}`);
    } catch (e) {
      throw new Error(`the outage test needs PostgreSQL at ${PG_URL}: ${(e as Error).message}`);
    }
    const direct = new URL(PG_URL);
    direct.pathname = `/${this.#dbName}`;
    this.dbUrl = direct.href;
    this.sql = postgres(this.dbUrl, { max: 4, onnotice: () => {} });
    await this.mail.start();
    const port = await this.link.start();
    const viaLink = new URL(this.dbUrl);
    viaLink.host = `127.0.0.1:${port}`;
    const file = join(mkdtempSync(join(tmpdir(), "gh-outage-")), "gatehouse.yaml");
    writeFileSync(file, policy(requesters));
    const env = {
      DATABASE_URL: viaLink.href,
      GATEHOUSE_CONFIG: file,
      PUBLIC_URL,
      SMTP_URL: `smtp://127.0.0.1:${this.mail.port}`,
      EXPIRY_INTERVAL_MS: "250",
      OUTBOX_INTERVAL_MS: "250",
      SWEEP_INTERVAL_MS: "1000",
      KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      LOG_LEVEL: "warn",
    };
    for (let i = 0; i < relays; i++) this.relays.push(new RelayProcess());
    await this.relays[0]?.start(env);
    await Promise.all(this.relays.slice(1).map((r) => r.start(env)));
    this.balancer = new Balancer(() => this.relays.map((r) => r.url));
    await this.balancer.start();
  }

  /** A path on the relay from a link in a mail (links carry the public URL). */
  static pathOf(text: string, prefix: string): string | null {
    return new RegExp(`${PUBLIC_URL.replace(/\./g, "\\.")}(${prefix}[^\\s]+)`).exec(text)?.[1] ?? null;
  }

  /** GETs a form through the balancer and POSTs it back as a browser would; the status of the POST. */
  async submitForm(path: string, fields: Record<string, string>): Promise<number> {
    const page = await fetch(`${this.balancer.url}${path}`, { signal: AbortSignal.timeout(30_000) });
    const html = await page.text();
    if (page.status !== 200) return page.status;
    const cookie = page.headers.get("set-cookie")?.split(";")[0] ?? "";
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
    const res = await fetch(`${this.balancer.url}${path}`, {
      method: "POST",
      headers: { cookie, origin: PUBLIC_URL, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf, ...fields }).toString(),
      signal: AbortSignal.timeout(30_000),
    });
    await res.text();
    return res.status;
  }

  /** The extension's sign-in through the balancer, the pairing link read from the mail that reached SMTP. */
  async signIn(email: string): Promise<string> {
    const post = (path: string, body: unknown) =>
      fetch(`${this.balancer.url}/api/v1${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const started = await post("/devices/authorize", { email, label: "outage" });
    if (started.status !== 201) throw new Error(`authorize ${email}: ${started.status} ${await started.text()}`);
    const { deviceCode } = (await started.json()) as { deviceCode: string };
    const mail = await this.mail.waitForMail(email, /Sign in to Gatehouse/, 30_000);
    const path = OutageWorld.pathOf(mail.text ?? "", "/pair/");
    if (!path) throw new Error(`no pairing link for ${email}`);
    const status = await this.submitForm(path, { confirm: "yes" });
    if (status !== 200) throw new Error(`pair ${email}: ${status}`);
    const token = (await (await post("/devices/token", { deviceCode })).json()) as { status: string; token: string };
    if (token.status !== "paired") throw new Error(`token ${email}: ${JSON.stringify(token)}`);
    return token.token;
  }

  /** Files one ask through the balancer until it is acknowledged, always under the same Idempotency-Key. */
  fileRequest(token: string, resourceId: string): Promise<string> {
    const key = randomUUID();
    const body = JSON.stringify({
      app: "jira",
      resource: { id: resourceId, name: null, url: `https://acme.atlassian.net/browse/${resourceId}` },
      message: "You don't have access to this project",
      duration: "1h",
      reason: "outage run",
    });
    return retrying(`request ${resourceId}`, 90_000, async () => {
      const res = await fetch(`${this.balancer.url}/api/v1/requests`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "idempotency-key": key },
        body,
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      if (res.status === 201 || res.status === 200) return (JSON.parse(text) as { id: string }).id;
      if (res.status < 500) throw new GaveUp(`request ${resourceId}: ${res.status} ${text}`);
      return undefined;
    });
  }

  /** Whether each relay answers /readyz now. */
  async readiness(): Promise<boolean[]> {
    return Promise.all(
      this.relays.map((r) =>
        fetch(`${r.url}/readyz`, { signal: AbortSignal.timeout(1_000) })
          .then((res) => res.ok)
          .catch(() => false),
      ),
    );
  }

  /** Milliseconds from now until every relay answers /readyz. */
  async timeUntilAllReady(timeoutMs: number): Promise<number> {
    const from = Date.now();
    await waitFor("every relay ready", async () => (await this.readiness()).every(Boolean), timeoutMs);
    return Date.now() - from;
  }

  report(): string {
    return this.relays
      .map((r, i) => `relay ${i} ${r.ready ? "up" : r.alive ? "starting" : "down"}: ${r.output.split("\n").slice(-8).join(" | ")}`)
      .join("\n");
  }

  async stop(): Promise<void> {
    await this.balancer?.stop();
    await Promise.all(this.relays.map((r) => r.stop()));
    await this.link.stop();
    await this.mail.stop();
    await this.sql?.end({ timeout: 2 });
    await this.#admin.unsafe(`drop database if exists ${this.#dbName} with (force)`).catch(() => {});
    await this.#admin.end({ timeout: 2 });
  }
}
