import type { Relay } from "../context.ts";
import { type SimulateInput, type SimulateResult, simulate } from "../core/policy/simulate.ts";
import { currentPolicySnapshot } from "./snapshot.ts";

/** What the relay would do with this request now, under the policy in the database (the admin's Simulate page). Nothing is stored or sent. */
export async function simulateRequest(relay: Relay, input: SimulateInput): Promise<SimulateResult> {
  return simulate(await currentPolicySnapshot(relay.database.db), input);
}
