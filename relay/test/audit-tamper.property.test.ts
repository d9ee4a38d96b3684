import { asc, gt } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../src/audit/chain.ts";
import { writeCheckpoint } from "../src/audit/checkpoints.ts";
import { type ChainRow, type Checkpoint, eventHash, GENESIS_HASH, verifyRows } from "../src/core/audit-chain.ts";
import { auditCheckpoints, auditEvents } from "../src/db/schema/index.ts";
import { appendAudit } from "../src/db/unit-of-work.ts";
import { verifyCheckpoint } from "../src/keys/signing.ts";
import { engines, startTestRelay, type TestRelay } from "./harness.ts";

/**
 * Issue 13's audit property: on a copy of a real chain and its signed
 * checkpoint, 1,000 random tampers — an edit, a removal, a reorder, a cut
 * of the newest events, a rewrite from some event on with every hash
 * recomputed, forged events appended with correct hashes, a forged
 * checkpoint — are each detected by the same verifier `audit verify` runs.
 */
const EVENTS = 40;
let t: TestRelay;
let rows: ChainRow[];
let checkpoint: Checkpoint;
let jws: string;

beforeAll(async () => {
  t = await startTestRelay(engines[0] as (typeof engines)[number]);
  const db = t.relay.database.db;
  for (let i = 0; i < EVENTS; i++)
    await db.transaction(async (tx) => {
      await appendAudit(tx, {
        at: new Date(Date.UTC(2026, 10, 2, 9, 0, i)),
        actor: i % 3 ? "dana@acme.test" : "policy:auto",
        action: ["request.created", "request.approved", "grant.started", "grant.expired"][i % 4] as string,
        data: { n: i, nested: { keep: [i, "x"] } },
        ip: i % 2 ? "10.0.0.7" : null,
      });
    });
  const written = await writeCheckpoint(t.relay);
  if (!written) throw new Error("no checkpoint written");
  ({ checkpoint, jws } = written);
  rows = await db.select().from(auditEvents).orderBy(asc(auditEvents.id));
}, 60_000);
afterAll(() => t.close());

const strict = { unanchoredGraceMs: 0, now: new Date("2027-01-01T00:00:00Z") };
const clone = (rs: ChainRow[]) => rs.map((r) => ({ ...r, data: structuredClone(r.data) }));

/** Recomputes prev_hash and hash from index `from` on, as an attacker with the database (and no key) can. */
function rehashFrom(rs: ChainRow[], from: number): ChainRow[] {
  for (let i = Math.max(0, from); i < rs.length; i++) {
    const row = rs[i] as ChainRow;
    row.prevHash = i === 0 ? GENESIS_HASH : (rs[i - 1] as ChainRow).hash;
    row.hash = eventHash(row.prevHash, row);
  }
  return rs;
}

/** Changes one field of a row to a different value. */
function edit(row: ChainRow, field: number, salt: number): void {
  switch (field % 6) {
    case 0:
      row.actor = `${row.actor}.x${salt}`;
      break;
    case 1:
      row.action = `${row.action}.forged`;
      break;
    case 2:
      row.data = { ...row.data, n: -1 - salt };
      break;
    case 3:
      row.at = new Date(row.at.getTime() + 1000 * (salt + 1));
      break;
    case 4:
      row.ip = row.ip === null ? "203.0.113.9" : null;
      break;
    default:
      row.requestId = row.requestId === null ? "00000000-0000-4000-8000-000000000000" : null;
  }
}

type Tamper = (rs: ChainRow[], a: number, b: number, salt: number) => ChainRow[];

const TAMPERS: Record<string, Tamper> = {
  edit: (rs, a, _b, salt) => {
    edit(rs[a % rs.length] as ChainRow, salt, salt);
    return rs;
  },
  "edit and rehash that event": (rs, a, _b, salt) => {
    const row = rs[a % rs.length] as ChainRow;
    edit(row, salt, salt);
    row.hash = eventHash(row.prevHash, row);
    return rs;
  },
  delete: (rs, a) => rs.filter((_, i) => i !== a % rs.length),
  "delete and rehash the rest": (rs, a) =>
    rehashFrom(
      rs.filter((_, i) => i !== a % rs.length),
      a % rs.length,
    ),
  reorder: (rs, a, b) => {
    const i = a % rs.length;
    const j = (i + 1 + (b % (rs.length - 1))) % rs.length;
    // Contents swap places; ids stay where they are (rows are read in id order).
    const { id: idI } = rs[i] as ChainRow;
    const { id: idJ } = rs[j] as ChainRow;
    const tmp = rs[i] as ChainRow;
    rs[i] = { ...(rs[j] as ChainRow), id: idI };
    rs[j] = { ...tmp, id: idJ };
    return rs;
  },
  "reorder and rehash": (rs, a, b) => {
    const i = a % rs.length;
    const j = (i + 1 + (b % (rs.length - 1))) % rs.length;
    const [lo, hi] = [Math.min(i, j), Math.max(i, j)];
    const swapped = rs.map((r, k) =>
      k === lo ? { ...(rs[hi] as ChainRow), id: r.id } : k === hi ? { ...(rs[lo] as ChainRow), id: r.id } : r,
    );
    return rehashFrom(swapped, lo);
  },
  truncate: (rs, a) => rs.slice(0, rs.length - 1 - (a % (rs.length - 1))),
  "rewrite with rehash": (rs, a, _b, salt) => {
    const i = a % rs.length;
    edit(rs[i] as ChainRow, salt, salt);
    return rehashFrom(rs, i);
  },
  "insert forged and rehash": (rs, a, _b, salt) => {
    const i = a % rs.length;
    const at = rs[i] as ChainRow;
    // Squeezed in by id between its neighbours (ids are sparse enough after a delete; here the later ids move up).
    const forged: ChainRow = { ...at, actor: `mallory${salt}@evil.test`, action: "grant.started" };
    const out = [...rs.slice(0, i), forged, ...rs.slice(i).map((r) => ({ ...r }))].map((r, k) => ({
      ...r,
      id: (rs[0] as ChainRow).id + k,
    }));
    return rehashFrom(out, i);
  },
  "append forged with correct hashes": (rs, a, _b, salt) => {
    const out = [...rs];
    for (let k = 0; k <= a % 3; k++) {
      const prev = out.at(-1) as ChainRow;
      const row: ChainRow = {
        ...prev,
        id: prev.id + 1,
        at: new Date(prev.at.getTime() + 1000),
        actor: `mallory${salt}@evil.test`,
        action: "grant.started",
        data: { forged: true },
        prevHash: prev.hash,
        hash: "",
      };
      row.hash = eventHash(row.prevHash, row);
      out.push(row);
    }
    return out;
  },
};

describe("the audit chain against its signed checkpoint", () => {
  it("verifies the untouched copy, in memory and in the database", async () => {
    expect(verifyRows(clone(rows), [checkpoint], strict)).toMatchObject({ ok: true, count: rows.length, unanchored: 0 });
    expect(await verifyChain(t.relay.database.db, { now: strict.now, unanchoredGraceMs: 0 })).toMatchObject({
      ok: true,
      count: rows.length,
      anchoredTo: { headId: checkpoint.headId, count: rows.length },
    });
    // The checkpoint verifies with the published keys alone, and says what the chain's head is.
    expect(await verifyCheckpoint(t.relay.keys.publicKeys, jws)).toEqual(checkpoint);
  });

  it("detects each of 1,000 random tampers", () => {
    const names = Object.keys(TAMPERS);
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.nat(10_000), fc.nat(10_000), fc.nat(1_000), (name, a, b, salt) => {
        const tampered = (TAMPERS[name] as Tamper)(clone(rows), a, b, salt);
        const result = verifyRows(tampered, [checkpoint], strict);
        seen.set(name, (seen.get(name) ?? 0) + 1);
        return result.ok === false;
      }),
      { numRuns: 1000 },
    );
    // Every kind was tried many times.
    expect([...seen.keys()].sort()).toEqual(names.sort());
    for (const n of seen.values()) expect(n).toBeGreaterThan(40);
  });

  it("refuses a forged or altered checkpoint and notices a removed head in the database", async () => {
    const [head, payload, signature] = jws.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
    const altered = `${head}.${Buffer.from(JSON.stringify({ ...claims, cnt: rows.length - 1 })).toString("base64url")}.${signature}`;
    expect(await verifyCheckpoint(t.relay.keys.publicKeys, altered)).toBeNull();
    expect(await verifyChain(t.relay.database.db, { external: [altered] })).toMatchObject({ ok: false, reason: "checkpoint_signature" });

    // The newest events removed in the database (the checkpoint rows too): the exported checkpoint still catches it.
    const db = t.relay.database.db;
    await db.delete(auditCheckpoints);
    const lastId = rows.at(-1)?.id as number;
    await db.delete(auditEvents).where(gt(auditEvents.id, lastId - 3));
    expect(await verifyChain(db)).toMatchObject({ ok: true }); // nothing anchors what is left...
    expect(await verifyChain(db, { external: [jws] })).toMatchObject({ ok: false, reason: "truncated" }); // ...but the export does
  });
});
