import type { GrantView, RequestView } from "@gatehouse/shared";
import { describe, expect, it } from "vitest";
import { buttonTitle, describeNotice, formatTime, noticeButtons, noticeKey, notifies } from "../src/background/notice-text.ts";
import { remaining } from "../src/ui/format.ts";

const request: RequestView = {
  id: "r1",
  state: "rejected",
  app: "google-docs",
  resource: { id: "doc1", name: null, url: "https://docs.google.com/document/d/doc1/edit" },
  flow: { id: "docs", name: "Docs" },
  duration: "1h",
  reason: "",
  createdAt: "2026-11-02T09:00:00.000Z",
  decidedAt: "2026-11-02T09:05:00.000Z",
  decisionNote: "Ask Legal",
  step: 0,
  stepCount: 1,
  question: null,
  grant: null,
};

describe("notice text", () => {
  it("says what happened, with the approver's note", () => {
    expect(describeNotice(request, "request.rejected")).toEqual({
      title: "Access request rejected",
      message: "Your request for doc1 was rejected. “Ask Legal”",
    });
    expect(describeNotice(request, "grant.ended").title).toBe("Access ended");
  });
  it("counts down remaining time", () => {
    const now = Date.parse("2026-11-02T09:00:00Z");
    expect(remaining("2026-11-02T09:00:30Z", now)).toBe("30 s left");
    expect(remaining("2026-11-02T09:20:00Z", now)).toBe("20 min left");
    expect(remaining("2026-11-02T11:30:00Z", now)).toBe("2 h 30 min left");
    expect(remaining("2026-11-02T08:00:00Z", now)).toBe("ended");
    expect(remaining(null, now)).toBe("no end");
  });
});

const NOW = Date.parse("2026-11-02T12:00:00Z");
const grant = (over: Partial<GrantView> = {}): GrantView => ({
  id: "g1",
  state: "active",
  scope: "resource",
  startsAt: "2026-11-02T11:00:00.000Z",
  endsAt: "2026-11-02T12:08:00.000Z",
  endedAt: null,
  duration: "2h",
  startBy: null,
  endReason: null,
  failedAction: null,
  target: null,
  extensions: 0,
  extend: null,
  extensionRequest: null,
  ...over,
});
const approved = (g: Partial<GrantView>): RequestView => ({ ...request, state: "approved", decisionNote: null, grant: grant(g) });

describe("grant lifecycle notices", () => {
  it("tells what an approval means for the grant", () => {
    const provisioning = describeNotice(
      approved({ state: "provisioning", endsAt: null, target: "acme-scim: group docs-readers" }),
      "request.approved",
      NOW,
    );
    expect(provisioning.title).toBe("Access request approved");
    expect(provisioning.message).toContain("Setting up your access (acme-scim: group docs-readers)");
    const waiting = describeNotice(
      approved({ state: "awaiting_start", endsAt: null, startBy: "2026-11-02T18:00:00.000Z" }),
      "request.approved",
      NOW,
    );
    expect(waiting.message).toContain("Start it from Gatehouse when you need it; it lasts 2h from then.");
    expect(waiting.message).toContain(`Start by ${formatTime("2026-11-02T18:00:00.000Z")}`);
    const scheduled = describeNotice(
      approved({ state: "scheduled", startsAt: "2026-11-02T15:00:00.000Z", endsAt: null }),
      "request.approved",
      NOW,
    );
    expect(scheduled.message).toContain(`starts at ${formatTime("2026-11-02T15:00:00.000Z")}`);
    expect(describeNotice(approved({ state: "failed", failedAction: "grant" }), "request.approved", NOW).message).toContain("did not work");
  });
  it("tells that access is ready only when the app confirmed it", () => {
    const started = describeNotice(approved({}), "grant.started", NOW);
    expect(started.title).toBe("Access granted");
    expect(started.message).toContain("Reload the page to continue");
  });
  it("tells of failures, by the step that gave up", () => {
    expect(describeNotice(approved({ state: "failed", failedAction: "grant" }), "grant.failed", NOW)).toEqual({
      title: "Access could not be set up",
      message: "Your request for doc1 was approved, but setting up the access did not work. The admins were told.",
    });
    expect(describeNotice(approved({ state: "failed", failedAction: "revoke" }), "grant.failed", NOW).message).toBe(
      "Removing your access to doc1 did not go through; the admins were told.",
    );
  });
  it("warns before the end, with the extension on offer", () => {
    const warn = describeNotice(approved({ extend: { by: "30m", remaining: 1, approval: false } }), "grant.expiring", NOW);
    expect(warn.title).toBe("Access ending soon");
    expect(warn.message).toContain("in about 8 min");
    expect(warn.message).toContain("You can extend it by 30m.");
    expect(describeNotice(approved({}), "grant.expiring", NOW).message).not.toContain("extend");
  });
  it("tells of extensions, removals and each kind of end", () => {
    expect(describeNotice(approved({ endsAt: "2026-11-02T13:00:00.000Z" }), "grant.extended", NOW)).toEqual({
      title: "Access extended",
      message: `Your access to doc1 (google-docs) now lasts until ${formatTime("2026-11-02T13:00:00.000Z")}.`,
    });
    expect(describeNotice(approved({ state: "revoking", endReason: "expired" }), "grant.ending", NOW).message).toBe(
      "Your access to doc1 (google-docs) is being removed.",
    );
    expect(describeNotice(approved({ state: "revoking", endReason: "revoked" }), "grant.ending", NOW).title).toBe("Access revoked");
    const ended = (endReason: GrantView["endReason"]) => describeNotice(approved({ state: "expired", endReason }), "grant.ended", NOW);
    expect(ended("expired")).toEqual({ title: "Access ended", message: "Your access to doc1 (google-docs) has ended." });
    expect(ended("revoked").message).toBe("An admin revoked your access to doc1 (google-docs).");
    expect(ended("released").message).toBe("You released your access to doc1 (google-docs).");
    expect(ended("not_started").message).toContain("was never started");
  });
  it("offers Extend and Open on the warning only, Extend only while it can be extended", () => {
    const extendable = approved({ extend: { by: "30m", remaining: null, approval: false } });
    expect(noticeButtons(extendable, "grant.expiring").map(buttonTitle)).toEqual(["Extend by 30m", "Open"]);
    expect(noticeButtons(approved({}), "grant.expiring").map(buttonTitle)).toEqual(["Open"]);
    expect(noticeButtons(extendable, "grant.started")).toEqual([]);
  });
  it("says the Extend button asks the approvers when the flow wants extensions approved", () => {
    const approval = approved({ extend: { by: "1h", remaining: 1, approval: true } });
    expect(noticeButtons(approval, "grant.expiring").map(buttonTitle)).toEqual(["Ask to extend by 1h", "Open"]);
  });
  it("keys notifications so a replay shows each once, and an end once from relay or local alarm", () => {
    const r = approved({});
    expect(noticeKey(r, "grant.started")).toBe("r1:grant.started");
    expect(noticeKey(r, "grant.ended")).toBe("r1:ended");
    expect(noticeKey(r, "grant.expiring", 41)).toBe("r1:grant.expiring:41");
    expect(noticeKey(r, "grant.extended", 42)).not.toBe(noticeKey(r, "grant.extended", 43));
  });
  it("does not notify a warning for access already over, nor removal the person expects", () => {
    expect(notifies(approved({}), "grant.expiring", NOW)).toBe(true);
    expect(notifies(approved({ state: "expired" }), "grant.expiring", NOW)).toBe(false);
    expect(notifies(approved({ endsAt: "2026-11-02T11:59:00.000Z" }), "grant.expiring", NOW)).toBe(false);
    expect(notifies(approved({ state: "revoking", endReason: "released" }), "grant.ending", NOW)).toBe(false);
    expect(notifies(approved({ state: "revoking", endReason: "revoked" }), "grant.ending", NOW)).toBe(true);
    expect(notifies(approved({}), "grant.ended", NOW)).toBe(true);
  });
});
