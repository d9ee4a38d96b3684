import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Transporter } from "nodemailer";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootRelay } from "../src/boot.ts";
import { deliverDue, enqueue, LEASE_MS } from "../src/channels/outbox.ts";
import type { Relay } from "../src/context.ts";
import { openPostgres } from "../src/db/client.ts";
import { outbox } from "../src/db/schema/index.ts";
import { parseEnv } from "../src/env.ts";
import { silentLogger } from "../src/log.ts";
import { engines, PUBLIC_URL, TEST_CONFIG, TEST_KEK } from "./harness.ts";
import { waitFor } from "./peers.ts";

/**
 * Two relay instances on one PostgreSQL database. Each holds a session lock
 * named by its id; a row claimed by an instance whose session has ended (the
 * process died) is taken over at once by another, while a live instance's
 * claim is left alone until it records its outcome — the lease (15 s) is
 * only the bound for a session PostgreSQL has not yet seen end.
 */
const PG_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const hasPostgres = engines.some((e) => e.name === "postgres");

describe.skipIf(!hasPostgres)("outbox claims of a dead instance (PostgreSQL)", () => {
  const name = `gh_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  let a: Relay;
  let b: Relay;

  const boot = async (url: string) =>
    bootRelay({
      env: parseEnv({ PUBLIC_URL, GATEHOUSE_CONFIG: TEST_CONFIG, LOG_LEVEL: "silent", KEY_ENCRYPTION_KEY: TEST_KEK }),
      database: await openPostgres(url),
      log: silentLogger,
    });

  beforeAll(async () => {
    await admin.unsafe(`create database ${name}`);
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    a = await boot(url.href);
    b = await boot(url.href);
  });
  afterAll(async () => {
    await a?.bus.stop();
    await b?.bus.stop();
    await a?.database.close().catch(() => {});
    await b?.database.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  it("leaves a live instance's claim alone, and takes a dead one's over before its lease ends", async () => {
    const id = await a.database.db.transaction((tx) =>
      enqueue(tx, { channel: "email", to: "lee@acme.test", subject: "Decide", text: "…" }, new Date()),
    );
    // Instance A claims the mail and hangs in the SMTP exchange.
    const hanging = { sendMail: () => new Promise(() => {}) } as unknown as Transporter;
    void deliverDue(a, { mail: hanging });
    const [claimed] = await waitFor("A to claim the mail", async () => {
      const rows = await a.database.db.select().from(outbox).where(eq(outbox.id, id));
      return rows[0]?.claimedBy === a.database.instanceId ? rows : false;
    });
    expect(claimed?.leasedUntil?.getTime()).toBeGreaterThan(Date.now() + LEASE_MS / 2);

    const sent: string[] = [];
    const working = {
      sendMail: async (m: { to: string }) => {
        sent.push(m.to);
        return { messageId: "<m@test>" };
      },
    } as unknown as Transporter;
    // A lives: B does not touch its claim.
    expect(await deliverDue(b, { mail: working })).toBe(0);

    // A dies: PostgreSQL ends its sessions, and with them its lock.
    await admin.unsafe(
      `select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and objid = hashtext('${a.database.instanceId}')::oid and objsubid = 2`,
    );
    const started = Date.now();
    await waitFor("B to take the mail over", async () => (await deliverDue(b, { mail: working })) > 0);
    expect(Date.now() - started).toBeLessThan(LEASE_MS / 3);
    expect(sent).toEqual(["lee@acme.test"]);
    const [row] = await b.database.db.select().from(outbox).where(eq(outbox.id, id));
    expect(row).toMatchObject({ state: "sent", claimedBy: b.database.instanceId, attempts: 2 });
  });
});
