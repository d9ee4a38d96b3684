import { eq, like } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.ts";
import { applyConfig } from "../src/config/sync.ts";
import { users } from "../src/db/schema/index.ts";
import { engines, startTestRelay } from "./harness.ts";

/** A directory of thousands applied in slices of a thousand people per statement, and changed in place. */
describe.each(engines)("applying a large directory ($name)", (engine) => {
  const file = (n: number, renamed: number) =>
    `admins: [ops@bulk.test]
directory:
  users:
    - { email: ops@bulk.test, name: Ops }
${Array.from({ length: n }, (_, i) => `    - { email: p${i}@bulk.test, name: ${i < renamed ? "Renamed" : "Person"} ${i}, manager: ops@bulk.test }`).join("\n")}
flows: []
`;

  it("writes 2,500 people, then updates the 1,200 that changed and keeps where they came from", async () => {
    const t = await startTestRelay(engine);
    try {
      const db = t.relay.database.db;
      await applyConfig(db, parseConfig(file(2500, 0)), t.clock);
      expect(await db.$count(users, like(users.email, "%@bulk.test"))).toBe(2501);
      await applyConfig(db, parseConfig(file(2500, 1200)), t.clock);
      expect(await db.$count(users, like(users.name, "Renamed %"))).toBe(1200);
      const [one] = await db.select().from(users).where(eq(users.email, "p7@bulk.test"));
      expect(one).toMatchObject({ name: "Renamed 7", managerEmail: "ops@bulk.test", source: "config", active: true });
      const [other] = await db.select().from(users).where(eq(users.email, "p2000@bulk.test"));
      expect(other?.name).toBe("Person 2000");
    } finally {
      await t.close();
    }
  }, 60_000);
});
