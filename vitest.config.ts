import { defineConfig } from "vitest/config";

/**
 * One test command for the whole repo, in layers: pure units, relay
 * integration (PGlite and PostgreSQL), end to end in Chromium.
 */
export default defineConfig({
  test: {
    projects: [
      { test: { name: "shared", include: ["shared/**/*.test.ts"] } },
      { test: { name: "relay", include: ["relay/test/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 60_000 } },
      { test: { name: "extension", include: ["extension/test/**/*.test.{ts,tsx}"], environment: "node" } },
      // Several relay processes on one PostgreSQL, killed and restarted: exactly-once under faults.
      { test: { name: "cluster", include: ["test/cluster/**/*.test.ts"], testTimeout: 300_000, hookTimeout: 120_000 } },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.e2e.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
