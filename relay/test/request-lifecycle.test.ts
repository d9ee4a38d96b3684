import { durationMs } from "@gatehouse/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ApprovalFacts,
  type RequestEvent,
  type RequestFacts,
  type StepRequire,
  stepVerdict,
  transition,
} from "../src/core/request-lifecycle.ts";

// The request machine on its own: no database, no clock. The relay suites cover it wired in.

const now = new Date("2026-12-04T10:00:00Z");
const person = (id: string) => ({ id, email: `${id}@x.test`, name: id.toUpperCase() });

function request(over: Partial<RequestFacts> = {}): RequestFacts {
  return {
    id: "r1",
    requesterId: "req",
    state: "pending",
    step: 0,
    steps: [{ require: "any", approverIds: ["a", "b"] }],
    round: 0,
    resumeState: null,
    duration: "4h",
    wholeAppAllowed: false,
    deadlineAt: new Date(now.getTime() + 86_400_000),
    ...over,
  };
}

const part = (id: string, over: Partial<ApprovalFacts> = {}): ApprovalFacts => ({
  id: `ap-${id}`,
  step: 0,
  approverId: id,
  state: "pending",
  duration: null,
  escalatedFrom: null,
  ...over,
});

const approve = (id: string, duration = "4h", over: Partial<Extract<RequestEvent, { type: "approve" }>> = {}): RequestEvent => ({
  type: "approve",
  now,
  by: person(id),
  approvalId: `ap-${id}`,
  duration,
  wholeApp: false,
  grantable: ["1h", "4h", "8h"],
  remindAt: null,
  channel: "email",
  ...over,
});

const run = (r: RequestFacts, parts: ApprovalFacts[], e: RequestEvent) => transition(r, parts, e, durationMs);
const kinds = (t: ReturnType<typeof run>) => (t.ok ? t.effects.map((e) => (e.kind === "audit" ? `audit:${e.action}` : e.kind)) : []);

describe("stepVerdict: the quorum rule", () => {
  it.each<[StepRequire, ApprovalFacts["state"][], string]>([
    ["any", ["approved", "pending"], "complete"],
    ["any", ["pending", "pending"], "open"],
    ["any", ["superseded", "escalated"], "stranded"],
    ["all", ["approved", "pending"], "open"],
    ["all", ["approved", "approved"], "complete"],
    [2, ["approved", "pending", "pending"], "open"],
    [2, ["approved", "approved", "pending"], "complete"],
    [2, ["approved", "superseded", "escalated"], "stranded"],
    [3, ["approved", "pending", "superseded"], "stranded"],
  ])("%s of %j is %s", (require, states, verdict) => {
    expect(
      stepVerdict(
        require,
        states.map((state) => ({ state })),
      ),
    ).toBe(verdict);
  });

  it("an N-of-M step completes exactly when the Nth approval arrives, whatever the order", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 5 }), (n, extra) => {
        const m = n + extra;
        const ids = Array.from({ length: m }, (_, i) => `p${i}`);
        let parts = ids.map((id) => part(id));
        const r = request({ steps: [{ require: n, approverIds: ids }] });
        for (let i = 0; i < n; i++) {
          const t = run(r, parts, approve(ids[i] as string));
          if (!t.ok) return false;
          const granted = t.effects.some((e) => e.kind === "grant");
          if (granted !== (i === n - 1)) return false;
          parts = parts.map((p) => (p.approverId === ids[i] ? { ...p, state: "approved" } : p));
        }
        return true;
      }),
    );
  });
});

describe("decisions", () => {
  it("the last approval approves with the shortest duration any approver chose", () => {
    const r = request({ steps: [{ require: "all", approverIds: ["a", "b"] }] });
    const t = run(r, [part("a", { state: "approved", duration: "1h" }), part("b")], approve("b", "8h"));
    expect(t.ok && t.patch).toMatchObject({ state: "approved", duration: "1h", remindAt: null, deadlineAt: null });
    expect(t.ok && t.effects.find((e) => e.kind === "grant")).toMatchObject({ duration: "1h" });
    // Nobody else is pending at the step: nothing to close.
    expect(kinds(t)).toEqual(["audit:approval.approved", "grant"]);
  });

  it("an `any` step approved by one closes the others' parts", () => {
    const t = run(request(), [part("a"), part("b")], approve("a"));
    expect(kinds(t)).toEqual(["close_step", "audit:approval.approved", "grant"]);
  });

  it("an approval short of the quorum is recorded and narrows the duration only", () => {
    const r = request({ steps: [{ require: 2, approverIds: ["a", "b", "c"] }] });
    const t = run(r, [part("a"), part("b"), part("c")], approve("a", "1h"));
    expect(t.ok && t.patch).toEqual({ duration: "1h" });
    expect(kinds(t)).toEqual(["audit:approval.approved"]);
  });

  it("a step's quorum moves a multi-step request on and opens the next step", () => {
    const remindAt = new Date(now.getTime() + 3_600_000);
    const r = request({
      steps: [
        { require: "any", approverIds: ["a"] },
        { require: "any", approverIds: ["c"] },
      ],
    });
    const t = run(r, [part("a")], approve("a", "4h", { remindAt }));
    expect(t.ok && t.patch).toMatchObject({ step: 1, state: "pending", remindAt });
    expect(kinds(t)).toEqual(["audit:approval.approved", "publish", "notify_requester", "open_step"]);
  });

  it("refuses a duration not on offer, the whole app where not allowed, an empty question", () => {
    expect(run(request(), [part("a")], approve("a", "2d"))).toMatchObject({ ok: false, problem: "duration_not_allowed" });
    expect(run(request(), [part("a")], approve("a", "4h", { wholeApp: true }))).toMatchObject({
      ok: false,
      problem: "whole_app_not_allowed",
    });
    const ask: RequestEvent = { type: "ask", now, by: person("a"), question: "  ", channel: "email" };
    expect(run(request(), [part("a")], ask)).toMatchObject({ ok: false, problem: "text_required" });
  });

  it("an approver who is not pending at the current step decides nothing", () => {
    expect(run(request(), [part("a", { state: "superseded" })], approve("a"))).toMatchObject({ ok: false, problem: "not_approver" });
    expect(run(request({ state: "approved" }), [part("a")], approve("a"))).toMatchObject({ ok: false, problem: "request_not_open" });
  });

  it("a rejection ends the request, closes the step and tells everyone", () => {
    const t = run(request(), [part("a"), part("b")], {
      type: "reject",
      now,
      by: person("a"),
      approvalId: "ap-a",
      note: "no",
      channel: "email",
    });
    expect(t.ok && t.patch).toMatchObject({ state: "rejected", decisionNote: "no" });
    expect(t.ok && t.settle).toEqual([{ approvalId: "ap-a", patch: expect.objectContaining({ state: "rejected", note: "no" }) }]);
    expect(kinds(t)).toEqual([
      "close_step",
      "audit:approval.rejected",
      "notify_requester",
      "announce",
      "publish",
      "audit:request.rejected",
    ]);
  });

  it("asking waits for the answer; the answer resumes where it was with a new round of links", () => {
    const asked = run(request({ state: "escalated" }), [], { type: "ask", now, by: person("a"), question: "Why?", channel: "email" });
    expect(asked.ok && asked.patch).toEqual({ state: "info_requested", resumeState: "escalated", remindAt: null });
    const r = request({ state: "info_requested", resumeState: "escalated", round: 2 });
    const answered = run(r, [], { type: "answer", now, by: person("req"), answer: "Because", remindAt: null });
    expect(answered.ok && answered.patch).toMatchObject({ state: "escalated", resumeState: null, round: 3 });
    expect(run(request(), [], { type: "answer", now, by: person("req"), answer: "x", remindAt: null })).toMatchObject({ ok: false });
  });

  it("an escalation target is an active stranger to the request", () => {
    const r = request({
      steps: [
        { require: "any", approverIds: ["a", "b"] },
        { require: "any", approverIds: ["d"] },
      ],
    });
    const parts = [part("a"), part("b")];
    const to = (id: string, active = true) => ({ ...person(id), active });
    const esc = (target: ReturnType<typeof to>): RequestEvent => ({
      type: "escalate",
      now,
      by: person("a"),
      approvalId: "ap-a",
      to: target,
      note: "",
      channel: "email",
    });
    expect(run(r, parts, esc(to("z", false)))).toMatchObject({ problem: "escalation_target" });
    expect(run(r, parts, esc(to("req")))).toMatchObject({ detail: "The requester cannot approve their own request." });
    expect(run(r, parts, esc(to("a")))).toMatchObject({ detail: "Choose someone other than yourself." });
    expect(run(r, parts, esc(to("b")))).toMatchObject({ detail: "B is already an approver of this step." });
    expect(run(r, parts, esc(to("d")))).toMatchObject({ detail: "D approves another step of this request; choose someone else." });
    const t = run(r, parts, esc(to("z")));
    expect(t.ok && t.patch).toEqual({ state: "escalated" });
    expect(t.ok && t.effects[0]).toEqual({ kind: "add_approver", approverId: "z", escalatedFrom: "a", step: 0 });
  });
});

describe("ends", () => {
  it("the requester cancels an undecided or stuck request, not a decided one", () => {
    for (const state of ["pending", "info_requested", "escalated", "error"] as const)
      expect(run(request({ state }), [], { type: "cancel", now, by: person("req") }).ok).toBe(true);
    expect(run(request({ state: "approved" }), [], { type: "cancel", now, by: person("req") })).toMatchObject({ ok: false });
  });

  it("an admin's deny is a rejection in the admin's name", () => {
    const t = run(request({ state: "error" }), [], { type: "admin_end", now, by: "ops@x.test", action: "deny", note: "no" });
    expect(t.ok && t.patch.state).toBe("rejected");
    expect(t.ok && t.effects.find((e) => e.kind === "announce")).toEqual({
      kind: "announce",
      outcome: { kind: "rejected", by: "ops@x.test", note: "no" },
    });
  });

  it("the deadline expires a request only once it has passed", () => {
    const early = run(request(), [], { type: "deadline_passed", now });
    expect(early).toMatchObject({ ok: false, problem: "not_applicable" });
    const t = run(request({ deadlineAt: now }), [], { type: "deadline_passed", now });
    expect(t.ok && t.patch).toMatchObject({ state: "expired", deadlineAt: null });
  });
});

describe("withdrawals (the directory changed)", () => {
  const withdraw = (ids: string[]): RequestEvent => ({
    type: "withdraw",
    now,
    actor: "config",
    approvalIds: ids.map((i) => `ap-${i}`),
    emails: ids.map((i) => `${i}@x.test`),
  });

  it("the step stays open while someone is left to reach the quorum", () => {
    const t = run(request(), [part("a"), part("b")], withdraw(["a"]));
    expect(t.ok && t.patch).toEqual({});
    expect(kinds(t)).toEqual(["audit:approval.withdrawn"]);
  });

  it("a step nobody can complete any more needs an admin", () => {
    const t = run(request(), [part("a"), part("b")], withdraw(["a", "b"]));
    expect(t.ok && t.patch.state).toBe("error");
    expect(kinds(t)).toEqual(["audit:approval.withdrawn", "audit:request.error", "notice"]);
    const quorum = request({ steps: [{ require: 2, approverIds: ["a", "b"] }] });
    expect(run(quorum, [part("a"), part("b")], withdraw(["a"])).ok && "error").toBe("error");
  });

  it("an all-step whose last open part went, or a part passed on that went, is not completed behind anyone's back", () => {
    const all = request({ steps: [{ require: "all", approverIds: ["a", "b"] }] });
    const t = run(all, [part("a", { state: "approved" }), part("b")], withdraw(["b"]));
    expect(t.ok && t.patch.state).toBe("error");
    const passed = run(request(), [part("a", { state: "escalated" }), part("b"), part("z", { escalatedFrom: "a" })], withdraw(["z"]));
    expect(passed.ok && passed.patch.state).toBe("error");
  });
});
