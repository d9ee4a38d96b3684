import { describe, expect, it } from "vitest";
import { parseEnv } from "../src/env.ts";
import { devOutboxOpen } from "../src/http/app.ts";
import { engines, startTestRelay } from "./harness.ts";

/**
 * The dev outbox shows held mail (sign-in links included) without signing in:
 * it exists only when asked for (DEV_OUTBOX=1), for an embedded relay that
 * holds its mail (no SMTP) and listens on loopback alone.
 */
describe("the dev outbox", () => {
  it("is open only when asked for, in embedded mode, without SMTP, on loopback", () => {
    expect(devOutboxOpen(parseEnv({}))).toBe(false);
    expect(devOutboxOpen(parseEnv({ DEV_OUTBOX: "1" }))).toBe(true);
    expect(devOutboxOpen(parseEnv({ DEV_OUTBOX: "1", HOST: "localhost" }))).toBe(true);
    expect(devOutboxOpen(parseEnv({ DEV_OUTBOX: "1", SMTP_URL: "smtp://127.0.0.1:2525" }))).toBe(false);
    expect(devOutboxOpen(parseEnv({ DEV_OUTBOX: "1", HOST: "0.0.0.0" }))).toBe(false);
    expect(devOutboxOpen(parseEnv({ DEV_OUTBOX: "1", DATABASE_URL: "postgres://db/gatehouse" }))).toBe(false);
  });

  it("answers 404 on a relay that sends its mail", async () => {
    const pglite = engines.find((e) => e.name === "pglite");
    if (!pglite) throw new Error("no pglite engine");
    const held = await startTestRelay(pglite, { DEV_OUTBOX: "1" });
    const sending = await startTestRelay(pglite, { DEV_OUTBOX: "1", SMTP_URL: "smtp://127.0.0.1:2525" });
    const unasked = await startTestRelay(pglite);
    try {
      expect((await held.app.request("/dev/outbox")).status).toBe(200);
      expect((await sending.app.request("/dev/outbox")).status).toBe(404);
      expect((await unasked.app.request("/dev/outbox")).status).toBe(404);
    } finally {
      await held.close();
      await sending.close();
      await unasked.close();
    }
  });
});
