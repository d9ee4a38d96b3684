import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../../relay/src/audit/chain.ts";
import { openPostgres } from "../../relay/src/db/client.ts";
import { chaos } from "./cluster.ts";
import { GaveUp, OutageWorld, PushClient, requesterEmail, retrying } from "./outage-world.ts";

/**
 * Issue 13's fault test: three relays on one PostgreSQL behind a round-robin
 * balancer, under a mixed load (requests filed, approver mails read and
 * decided, notices pushed), while relays are killed with SIGKILL at random and
 * the database link is cut for 10 s. Nothing acknowledged may be lost:
 * every ask becomes exactly one request, every request its approver's mail
 * (counted at the SMTP server), every decision sticks, every notice reaches
 * its requester's push client (compared with the notices table); and every
 * relay serves again within 5 s of the database's return.
 */
const REQUESTERS = 6;
const ASKS_EACH = 8;
const CUT_MS = 10_000;
const world = new OutageWorld();
const tokens: string[] = [];
const pushes: PushClient[] = [];

beforeAll(async () => {
  await world.start(3, REQUESTERS);
  for (let i = 0; i < REQUESTERS; i++) tokens.push(await world.signIn(requesterEmail(i)));
  for (const token of tokens) pushes.push(new PushClient(world.balancer.url, token));
  for (const p of pushes) p.start();
}, 120_000);
afterAll(async () => {
  await Promise.all(pushes.map((p) => p.stop()));
  await world.stop();
}, 60_000);

describe("three relays, kill -9 and a 10 s database cut under a mixed load", () => {
  it("loses no request, mail, decision or notice, and serves again within 5 s of the database's return", async () => {
    const { mail, link } = world;
    const started = Date.now();
    const kills = chaos(world, 2_500, 300);

    // The approver reads each approval mail as it arrives and approves from its link, retrying until the link is spent.
    const decided = new Map<string, number>();
    let asking = true;
    const approver = (async () => {
      // Until the asks are in and every distinct link (a mail sent twice after a kill carries the same one) is spent.
      while (asking || [...decided.values()].some((s) => s === 0) || mail.mails.filter(isApproval).some((m) => !decided.has(linkOf(m)))) {
        const fresh = mail.mails.filter(isApproval).filter((m) => !decided.has(linkOf(m)));
        await Promise.all(
          fresh.map(async (m) => {
            const path = linkOf(m);
            decided.set(path, 0);
            const status = await retrying(`decide ${m.subject}`, 90_000, async () => {
              const s = await world.submitForm(path, { decision: "approve", duration: "1h" });
              // 200: decided now; 410: decided already (a retry after an answer lost to a kill); 5xx: again.
              if (s === 200 || s === 410) return s;
              if (s < 500) throw new GaveUp(`decide ${path}: ${s}`);
              return undefined;
            });
            decided.set(path, status);
          }),
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // Requesters file their asks over ~20 s; the link is cut in the middle of it.
    const asks = Promise.all(
      tokens.map(async (token, i) => {
        const ids: string[] = [];
        for (let n = 0; n < ASKS_EACH; n++) {
          ids.push(await world.fileRequest(token, `OUT${i}-${n}`));
          await new Promise((r) => setTimeout(r, 1_500 + Math.random() * 1_500));
        }
        return ids;
      }),
    );
    await new Promise((r) => setTimeout(r, 5_000));
    progress("cut");
    link.cut();
    await new Promise((r) => setTimeout(r, CUT_MS));
    link.restore();
    progress("restored");
    const [backWithin, killsBeforeReturn] = await Promise.all([world.timeUntilAllReady(30_000), kills.stop()]);
    // After the return, killing goes on until the asks are in.
    const moreKills = chaos(world, 2_500, 300);
    const filed = (await asks).flat();
    progress(`asks in after ${Date.now() - started} ms`);
    asking = false;
    const killsAfterReturn = await moreKills.stop();

    const total = REQUESTERS * ASKS_EACH;
    const { sql } = world;
    // Every ask is exactly one request: retried creates were answered with the first (Idempotency-Key).
    expect(new Set(filed).size).toBe(total);
    const rows = await sql<{ id: string; state: string }[]>`select id, state from requests`;
    expect(rows.map((r) => r.id).sort()).toEqual([...filed].sort());

    // Every request's approver mail reached the SMTP server, and every decision stuck.
    await retrying("every request approved", 60_000, async () => {
      const [open] = await sql<{ n: number }[]>`select count(*)::int as n from requests where state <> 'approved'`;
      return open?.n === 0 ? true : undefined;
    }).catch((err) => {
      throw new Error(`${(err as Error).message}\n${world.report()}`);
    });
    await approver;
    const mailed = new Set(mail.mails.filter(isApproval).map((m) => /browse\/(OUT\d+-\d+)/.exec(m.text ?? "")?.[1]));
    expect(mailed.size).toBe(total);
    expect([...decided.values()].every((s) => s === 200 || s === 410)).toBe(true);

    // Every notice the relays wrote reached its requester's push client, and each request's approval among them.
    const notices = await sql<{ id: number; email: string; request_id: string; kind: string }[]>`
      select n.id::int as id, u.email, n.request_id, n.kind from notices n join users u on u.id = n.user_id`;
    await retrying("every notice pushed", 30_000, async () =>
      notices.every((n) => pushes[Number(/requester(\d+)@/.exec(n.email)?.[1])]?.seen.has(n.id)) ? true : undefined,
    ).catch(() => {
      const missing = notices.filter((n) => !pushes[Number(/requester(\d+)@/.exec(n.email)?.[1])]?.seen.has(n.id));
      throw new Error(`${missing.length} of ${notices.length} notices never reached a push client: ${JSON.stringify(missing.slice(0, 5))}`);
    });
    const approvedSeen = new Set(
      pushes.flatMap((p) => [...p.seen.values()].filter((n) => n.kind === "grant.started").map((n) => n.requestId)),
    );
    expect(filed.filter((id) => !approvedSeen.has(id))).toEqual([]);

    // Back within 5 s of the database's return, all three, and the audit chain whole.
    expect(backWithin).toBeLessThanOrEqual(5_000);
    const database = await openPostgres(world.dbUrl);
    try {
      expect((await verifyChain(database.db)).ok).toBe(true);
    } finally {
      await database.close();
    }
    expect(killsBeforeReturn + killsAfterReturn).toBeGreaterThanOrEqual(2);

    console.info(
      `[outage] ${total} requests, ${mail.mails.length} mails, ${notices.length} notices, ${killsBeforeReturn + killsAfterReturn} kills, ` +
        `10 s link cut; all relays ready ${backWithin} ms after the database returned; ` +
        `push reconnects ${pushes.reduce((a, p) => a + p.reconnects, 0)}; ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 240_000);
});

function progress(what: string): void {
  if (process.env.OUTAGE_DEBUG) console.info(`[outage] ${new Date().toISOString()} ${what}`);
}

function isApproval(m: { subject?: string | undefined }): boolean {
  return /Access request: /.test(m.subject ?? "");
}

function linkOf(m: { text?: string | undefined }): string {
  const path = OutageWorld.pathOf(m.text ?? "", "/decide/");
  if (!path) throw new Error(`no decision link in: ${m.text}`);
  return path;
}
