/**
 * `pnpm bench:policy`: policy evaluations per second on one core, for 500
 * flows and 20,000 people, against a baseline measured in the same run: only
 * parsing the request body with its schema (what every request costs before
 * any policy). A benchmark, not a test: it prints figures.
 */
import { PreviewBodySchema } from "@gatehouse/shared";
import { evaluatePolicy, type PolicyInput } from "../src/core/policy/evaluate.ts";
import type { DirectoryUser, Flow, PolicySnapshot } from "../src/core/policy/model.ts";

const USERS = 20_000;
const FLOWS = 500;
const APPS = ["github", "gitlab", "jira", "confluence", "notion", "google-docs", "figma", "slack", "aws-console", "salesforce"];

// A deterministic generator, so runs compare.
let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

const users: DirectoryUser[] = Array.from({ length: USERS }, (_, i) => ({
  id: `u${i}`,
  email: `user${i}@acme.test`,
  name: `User ${i}`,
  managerEmail: i > 10 ? `user${Math.floor(i / 10)}@acme.test` : null,
  timezone: pick(["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]),
  active: rand() > 0.02,
  isAdmin: i < 5,
}));
const groups = new Map<string, string[]>();
for (let g = 0; g < 200; g++)
  groups.set(
    `team-${g}`,
    Array.from({ length: 100 }, () => pick(users).email),
  );

const flows: Flow[] = Array.from({ length: FLOWS }, (_, i) => {
  const app = pick(APPS);
  const kind = i % 5;
  return {
    id: `flow-${i}`,
    name: `Flow ${i}`,
    enabled: rand() > 0.05,
    definition: {
      apps: [app],
      resources: kind === 0 || kind === 1 ? [`org-${i % 50}/repo-*`] : undefined,
      requesters: kind === 2 ? [`group:team-${i % 200}`] : undefined,
      condition: kind === 3 ? "request.time.getHours(requester.timezone) >= 7 && !('contractors' in requester.groups)" : undefined,
      approval: kind === 4 ? "auto" : { steps: [{ approvers: ["manager", `group:team-${i % 200}`], require: "any" }] },
      durations: { choices: ["1h", "4h"] },
      requireReason: false,
    },
  };
});
const snapshot: PolicySnapshot = {
  usersByEmail: new Map(users.map((u) => [u.email, u])),
  groups,
  flows,
  fallback: { enabled: true, max: "4h" },
};

const inputs: PolicyInput[] = Array.from({ length: 5000 }, () => ({
  requesterEmail: pick(users).email,
  app: pick(APPS),
  resourceId: `org-${Math.floor(rand() * 60)}/repo-${Math.floor(rand() * 10)}`,
  at: new Date(Date.UTC(2026, 10, 23, Math.floor(rand() * 24))),
  durationMs: 3_600_000,
}));
const bodies = inputs.map((i) =>
  JSON.stringify({ app: i.app, resource: { id: i.resourceId, name: null, url: `https://github.com/${i.resourceId}` } }),
);

function opsPerSecond(fn: (i: number) => void, ms = 2000): number {
  for (let i = 0; i < 2000; i++) fn(i); // warm up (and compile conditions)
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let k = 0; k < 200; k++, n++) fn(n);
  }
  return n / ((performance.now() - start) / 1000);
}

/** Five rounds of each, interleaved, so a noisy neighbour on a shared machine moves both alike. */
const ROUNDS = 5;
let matched = 0;
const evalRounds: number[] = [];
const parseRounds: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  evalRounds.push(
    opsPerSecond((i) => {
      const e = evaluatePolicy(snapshot, inputs[i % inputs.length] as PolicyInput);
      if (e.outcome === "matched") matched++;
    }, 1000),
  );
  parseRounds.push(
    opsPerSecond((i) => {
      PreviewBodySchema.parse(JSON.parse(bodies[i % bodies.length] as string));
    }, 1000),
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const evals = median(evalRounds);
const parses = median(parseRounds);

const fmt = (n: number) => Math.round(n).toLocaleString("en");
const range = (xs: number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
console.log(`Policy engine: ${FLOWS} flows (resource globs, requester groups, CEL conditions), ${fmt(USERS)} people, one core`);
console.log(`  evaluations            ${fmt(evals)} /s (median of ${ROUNDS}; ${range(evalRounds)})   target ≥ 50,000 /s`);
console.log(`  baseline: parse only   ${fmt(parses)} /s (median; ${range(parseRounds)})   (JSON + the request schema)`);
console.log(`  cost ratio             ${(parses / evals).toFixed(2)}× the baseline per request`);
console.log(`  ${matched > 0 ? "ok" : "NO MATCHES: the workload is broken"}: ${fmt(matched)} evaluations matched a flow or the fallback`);
