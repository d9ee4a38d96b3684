import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { bootRelay } from "../src/boot.ts";
import { parseKek, SealError, seal, unseal } from "../src/core/sealing.ts";
import { signingKeys } from "../src/db/schema/index.ts";
import { parseEnv } from "../src/env.ts";
import { kekFile, keyEncryptionKeys } from "../src/keys/kek.ts";
import { silentLogger } from "../src/log.ts";
import { engines, PUBLIC_URL, TEST_CONFIG } from "./harness.ts";

const kek = (n: number) => Buffer.alloc(32, n).toString("base64");

describe.each(engines)("signing keys sealed at rest ($name)", (engine) => {
  it("stores no private key in the clear, seals old rows, rotates the KEK and refuses a wrong one", async () => {
    const { database, drop } = await engine.open();
    const boot = (env: Record<string, string>) =>
      bootRelay({ env: parseEnv({ PUBLIC_URL, GATEHOUSE_CONFIG: TEST_CONFIG, LOG_LEVEL: "silent", ...env }), database, log: silentLogger });
    try {
      const first = await boot({ KEY_ENCRYPTION_KEY: kek(1) });
      const [row] = await database.db.select().from(signingKeys);
      expect(row?.privateJwk).toBeNull();
      expect(row?.privateSealed).toMatchObject({ v: 1, alg: "A256GCM", kek: parseKek(kek(1)).id });
      // Nothing of the private JWK ("d") is in the row as text.
      const text = JSON.stringify(row);
      expect(text).not.toMatch(/"d":/);
      await first.bus.stop();

      // A row from before sealing (plain JWK) is sealed at the next start, and the same key still signs.
      const plain = JSON.parse(unseal([parseKek(kek(1))], row?.privateSealed as never, row?.kid as string)) as Record<string, unknown>;
      expect(plain.d).toBeTypeOf("string");
      await database.db
        .update(signingKeys)
        .set({ privateJwk: plain, privateSealed: null })
        .where(eq(signingKeys.kid, row?.kid as string));
      const again = await boot({ KEY_ENCRYPTION_KEY: kek(1) });
      expect(again.keys.kid).toBe(first.keys.kid);
      const [resealed] = await database.db.select().from(signingKeys);
      expect(resealed?.privateJwk).toBeNull();
      expect(resealed?.privateSealed?.kek).toBe(parseKek(kek(1)).id);
      await again.bus.stop();

      // Rotation: the new KEK with the previous one re-seals; afterwards the new one alone opens it.
      (await boot({ KEY_ENCRYPTION_KEY: kek(2), KEY_ENCRYPTION_KEY_PREVIOUS: kek(1) })).bus.stop();
      const [rotated] = await database.db.select().from(signingKeys);
      expect(rotated?.privateSealed?.kek).toBe(parseKek(kek(2)).id);
      const after = await boot({ KEY_ENCRYPTION_KEY: kek(2) });
      expect(after.keys.kid).toBe(first.keys.kid);
      await after.bus.stop();

      // A KEK that sealed nothing here: a clear refusal naming fingerprints, not a garbled key.
      await expect(boot({ KEY_ENCRYPTION_KEY: kek(3) })).rejects.toThrow(/sealed under a key encryption key with fingerprint/);
      // A sealed key copied onto another row does not open there (the key id is bound in).
      const other = seal(parseKek(kek(2)), "{}", "kid-a");
      expect(() => unseal([parseKek(kek(2))], other, "kid-b")).toThrow(SealError);
    } finally {
      await drop();
    }
  });
});

describe("the key encryption key", () => {
  it("is required in production, generated once into the data directory when embedded, and must be 32 bytes", () => {
    expect(() =>
      keyEncryptionKeys({
        mode: "production",
        DATA_DIR: "/nonexistent",
        KEY_ENCRYPTION_KEY: undefined,
        KEY_ENCRYPTION_KEY_PREVIOUS: undefined,
      }),
    ).toThrow(/KEY_ENCRYPTION_KEY is required with DATABASE_URL/);
    const dir = mkdtempSync(join(tmpdir(), "gh-kek-"));
    const env = { mode: "embedded" as const, DATA_DIR: dir, KEY_ENCRYPTION_KEY: undefined, KEY_ENCRYPTION_KEY_PREVIOUS: undefined };
    const [made] = keyEncryptionKeys(env);
    expect(statSync(kekFile(dir)).mode & 0o777).toBe(0o600);
    expect(keyEncryptionKeys(env)[0]?.id).toBe(made?.id);
    expect(Buffer.from(readFileSync(kekFile(dir), "utf8").trim(), "base64")).toHaveLength(32);
    expect(() => parseKek("c2hvcnQ=")).toThrow(/32 random bytes/);
  });
});
