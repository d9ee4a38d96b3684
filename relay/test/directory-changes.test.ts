import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.ts";
import { applyConfig } from "../src/config/sync.ts";
import { auditEvents, requests } from "../src/db/schema/index.ts";
import { bearer, docsRequest, engines, json, signedInSuite, TEST_CONFIG } from "./harness.ts";

describe.each(engines)("directory changes ($name)", (engine) => {
  const suite = signedInSuite(engine, "dana@acme.test");

  it("moves a pending request to error when its only approver is deactivated, with a note for admins", async () => {
    const created = await suite.t.app.request("/api/v1/requests", json(docsRequest("1StrandedDocAbCdEfGhIj"), bearer(suite.token)));
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    // Lee (Dana's manager, the docs flow's approver) leaves.
    const text = readFileSync(TEST_CONFIG, "utf8").replace(
      "{ email: lee@acme.test, name: Lee Okafor }",
      "{ email: lee@acme.test, name: Lee Okafor, active: false }",
    );
    expect(text).toContain("active: false }");
    await applyConfig(suite.t.relay.database.db, parseConfig(text), suite.t.clock);

    const [row] = await suite.t.relay.database.db.select().from(requests).where(eq(requests.id, id));
    expect(row?.state).toBe("error");
    expect(row?.decisionNote).toContain("lee@acme.test is no longer active");
    const events = await suite.t.relay.database.db.select().from(auditEvents).where(eq(auditEvents.requestId, id));
    expect(events.map((e) => e.action)).toContain("request.error");

    // The request view says so too.
    const mine = (await (await suite.t.app.request("/api/v1/requests", { headers: bearer(suite.token) })).json()) as {
      requests: { id: string; state: string }[];
    };
    expect(mine.requests.find((r) => r.id === id)?.state).toBe("error");
  });
});
