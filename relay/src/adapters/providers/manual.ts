import { DurationTextSchema, durationMs } from "@gatehouse/shared";
import { z } from "zod";
import { type OpenedTask, type Provider, type ProviderCall, ProviderError, type ProviderFactory, type ProviderResult } from "./types.ts";

/**
 * The manual provider, for apps no API reaches: each call becomes a task for
 * the entry's operators, who make the change by hand and confirm it on a
 * signed task page ("done" / "cannot do"). The grant stays `provisioning`
 * (or `revoking`) until one of them answers, like a webhook's 202 waits for
 * its callback; no answer before `deadline` gives up, and the lifecycle
 * fails the grant and alerts the admins. The flow's `grant.target` is shown
 * to the operators as their instructions, e.g.
 * `{ instructions: "Add {{ requester.email }} to the Finance role" }`.
 */
export interface ManualProviderConfig {
  id: string;
  type: "manual";
  /** Who is asked; any one of them may answer. */
  operators: string[];
  /** How long a task may stay unanswered (`24h`). */
  deadline: string;
}

const DEFAULT_DEADLINE_MS = 86_400_000;

/** What a call comes to once the task is open: waiting for an operator, or given up because nobody answered in time. */
export function taskResult(config: ManualProviderConfig, opened: OpenedTask): ProviderResult {
  if (opened.remainingMs <= 0)
    throw new ProviderError(`no operator answered the task within ${config.deadline} (asked: ${config.operators.join(", ")})`, true);
  return {
    status: "pending",
    detail: `${opened.sent ? "task sent to" : "task already open for"} ${config.operators.join(", ")}`,
    deadlineMs: opened.remainingMs,
  };
}

export function manualProvider(config: ManualProviderConfig): Provider {
  const deadlineMs = durationMs(config.deadline) ?? DEFAULT_DEADLINE_MS;
  const hand = async (call: ProviderCall): Promise<ProviderResult> => {
    // Only the effect worker calls providers, and it always brings the desk; without one there is nobody to ask.
    if (!call.tasks) throw new ProviderError("manual tasks can only be opened by the relay's effect worker", true);
    return taskResult(config, await call.tasks.open(call, { operators: config.operators, deadlineMs }));
  };
  // An extension is a task too: an operator who set an end date in the app moves it (or confirms nothing was needed).
  return { type: "manual", grant: hand, revoke: hand, extend: hand };
}

export const manualProviderFactory: ProviderFactory<ManualProviderConfig> = {
  type: "manual",
  fields: {
    operators: z.array(z.email({ error: "operators are email addresses" }).toLowerCase()).min(1, "name at least one operator"),
    deadline: DurationTextSchema.refine((t) => durationMs(t) !== null, "a task's deadline has a length, not indefinite").default("24h"),
  },
  secrets: [],
  // Any fields: they are the operators' instructions, shown as written (templates filled in).
  target: { required: [], optional: [], open: true },
  // Opening a task only writes rows of the relay's own database.
  defaultTimeoutMs: 10_000,
  create: (config) => manualProvider(config),
};
