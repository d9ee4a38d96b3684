import type { GrantView, RequestView } from "@gatehouse/shared";
import { describe, expect, it } from "vitest";
import {
  accessCount,
  ago,
  badgeText,
  countdown,
  endedLabel,
  endedSentence,
  endsSoon,
  failedSentence,
  givesAccess,
  grantStep,
  matchResource,
  pickRelevant,
  type ResourceQuery,
} from "../src/ui/grant-status.ts";

const NOW = Date.parse("2026-11-02T12:00:00Z");
const iso = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();
const MIN = 60_000;
const HOUR = 60 * MIN;

function grant(over: Partial<GrantView> = {}): GrantView {
  return {
    id: "g1",
    state: "active",
    scope: "resource",
    startsAt: iso(-10 * MIN),
    endsAt: iso(50 * MIN),
    endedAt: null,
    duration: "1h",
    startBy: null,
    endReason: null,
    failedAction: null,
    target: null,
    extensions: 0,
    extend: null,
    extensionRequest: null,
    ...over,
  };
}

let n = 0;
function request(over: Partial<RequestView> = {}, g: Partial<GrantView> | null = {}): RequestView {
  n += 1;
  return {
    id: `r${n}`,
    state: "approved",
    app: "google-docs",
    resource: { id: "doc1", name: "Board deck", url: "https://docs.google.com/document/d/doc1/edit" },
    flow: { id: "docs", name: "Docs" },
    duration: "1h",
    reason: "",
    createdAt: iso(-20 * MIN),
    decidedAt: iso(-15 * MIN),
    decisionNote: null,
    step: 0,
    stepCount: 1,
    question: null,
    grant: g === null ? null : grant({ id: `g${n}`, ...g }),
    ...over,
  };
}

const DOC: ResourceQuery = { app: "google-docs", resourceId: "doc1", url: "https://docs.google.com/document/d/doc1/edit" };

describe("givesAccess and the badge", () => {
  it("counts active grants whose end has not passed", () => {
    expect(givesAccess(grant(), NOW)).toBe(true);
    expect(givesAccess(grant({ endsAt: null }), NOW)).toBe(true);
    expect(givesAccess(grant({ endsAt: iso(-1) }), NOW)).toBe(false);
    expect(givesAccess(grant({ state: "provisioning", endsAt: null }), NOW)).toBe(false);
    expect(givesAccess(null, NOW)).toBe(false);
    const list = [
      request(),
      request({}, { endsAt: null }),
      request({}, { state: "revoking" }),
      request({}, { endsAt: iso(-MIN) }),
      request({}, null),
    ];
    expect(accessCount(list, NOW)).toBe(2);
    expect(badgeText(2)).toBe("2");
    expect(badgeText(0)).toBe("");
  });
});

describe("grantStep", () => {
  it("maps each grant state to the panel's step", () => {
    expect(grantStep(grant(), NOW)).toBe("approved");
    expect(grantStep(grant({ endsAt: iso(-1000) }), NOW)).toBe("ending");
    expect(grantStep(grant({ state: "revoking" }), NOW)).toBe("ending");
    expect(grantStep(grant({ state: "provisioning" }), NOW)).toBe("provisioning");
    expect(grantStep(grant({ state: "awaiting_start" }), NOW)).toBe("awaiting_start");
    expect(grantStep(grant({ state: "scheduled" }), NOW)).toBe("scheduled");
    expect(grantStep(grant({ state: "failed" }), NOW)).toBe("failed");
    for (const state of ["expired", "revoked", "released"] as const) expect(grantStep(grant({ state }), NOW)).toBe("ended");
    expect(grantStep(null, NOW)).toBeNull();
  });
});

describe("matchResource", () => {
  it("matches the same app and resource id, or a whole-app grant of that app", () => {
    expect(matchResource(request(), DOC)).toBe("resource");
    expect(
      matchResource(request({ resource: { id: "doc2", name: null, url: "https://docs.google.com/document/d/doc2/edit" } }), DOC),
    ).toBeNull();
    expect(
      matchResource(
        request({ resource: { id: "doc2", name: null, url: "https://docs.google.com/document/d/doc2/edit" } }, { scope: "app" }),
        DOC,
      ),
    ).toBe("app");
    expect(matchResource(request({ app: "notion" }, { scope: "app" }), DOC)).toBeNull();
  });
  it("matches generic pages by host only", () => {
    const q: ResourceQuery = { app: "generic", resourceId: "vault.acme.internal", url: "https://vault.acme.internal/secrets/payroll" };
    const same = request({ app: "generic", resource: { id: null, name: null, url: "https://VAULT.acme.internal/other" } });
    const other = request({ app: "generic", resource: { id: null, name: null, url: "https://wiki.acme.internal/" } }, { scope: "app" });
    expect(matchResource(same, q)).toBe("resource");
    expect(matchResource(other, q)).toBeNull();
  });
});

describe("pickRelevant", () => {
  it("prefers a live grant: access now over one on its way, this resource over the whole app, newest first", () => {
    const provisioning = request({ createdAt: iso(-MIN) }, { state: "provisioning", endsAt: null });
    const active = request({ createdAt: iso(-30 * MIN) });
    const wholeApp = request(
      { createdAt: iso(-MIN), resource: { id: "other", name: null, url: "https://docs.google.com/document/d/other/edit" } },
      { scope: "app" },
    );
    expect(pickRelevant([provisioning, wholeApp, active], DOC, NOW)?.id).toBe(active.id);
    expect(pickRelevant([provisioning, wholeApp], DOC, NOW)?.id).toBe(wholeApp.id);
    expect(pickRelevant([provisioning], DOC, NOW)?.id).toBe(provisioning.id);
    const older = request({ createdAt: iso(-40 * MIN) });
    expect(pickRelevant([older, active], DOC, NOW)?.id).toBe(active.id);
  });
  it("ranks an active grant past its end with the ones being removed", () => {
    const pastEnd = request({ createdAt: iso(-MIN) }, { endsAt: iso(-MIN) });
    const waiting = request({ createdAt: iso(-2 * MIN) }, { state: "awaiting_start", endsAt: null });
    expect(pickRelevant([pastEnd, waiting], DOC, NOW)?.id).toBe(waiting.id);
    const failed = request({}, { state: "failed", failedAction: "grant" });
    expect(pickRelevant([failed, pastEnd], DOC, NOW)?.id).toBe(pastEnd.id);
  });
  it("falls back to the grant that ended last, within a day", () => {
    const endedEarly = request({}, { state: "expired", endReason: "expired", endedAt: iso(-5 * HOUR) });
    const endedLate = request({}, { state: "revoked", endReason: "revoked", endedAt: iso(-HOUR) });
    const longAgo = request({}, { state: "released", endReason: "released", endedAt: iso(-25 * HOUR) });
    expect(pickRelevant([endedEarly, endedLate, longAgo], DOC, NOW)?.id).toBe(endedLate.id);
    expect(pickRelevant([longAgo], DOC, NOW)).toBeNull();
    const live = request({}, { state: "scheduled", startsAt: iso(HOUR), endsAt: null });
    expect(pickRelevant([endedLate, live], DOC, NOW)?.id).toBe(live.id);
  });
  it("ignores requests without a grant and other resources", () => {
    expect(pickRelevant([request({ state: "pending" }, null)], DOC, NOW)).toBeNull();
    expect(pickRelevant([request({ app: "notion" })], DOC, NOW)).toBeNull();
    expect(pickRelevant([], DOC, NOW)).toBeNull();
  });
});

describe("countdown", () => {
  it("shows seconds, then minutes and seconds, then hours and minutes", () => {
    expect(countdown(iso(45_000), NOW)).toBe("45 s left");
    expect(countdown(iso(12 * MIN + 34_000), NOW)).toBe("12:34 left");
    expect(countdown(iso(5 * MIN + 4_000), NOW)).toBe("5:04 left");
    expect(countdown(iso(59 * MIN + 59_500), NOW)).toBe("1 h left");
    expect(countdown(iso(HOUR + 5 * MIN), NOW)).toBe("1 h 5 min left");
    expect(countdown(iso(HOUR + 4 * MIN + 30_000), NOW)).toBe("1 h 5 min left");
    expect(countdown(iso(26 * HOUR), NOW)).toBe("1 d 2 h left");
    expect(countdown(iso(48 * HOUR), NOW)).toBe("2 d left");
    expect(countdown(iso(0), NOW)).toBe("time is up");
    expect(countdown(null, NOW)).toBe("no end");
  });
  it("says when access ends soon", () => {
    expect(endsSoon(iso(9 * MIN), NOW)).toBe(true);
    expect(endsSoon(iso(11 * MIN), NOW)).toBe(false);
    expect(endsSoon(iso(-MIN), NOW)).toBe(false);
    expect(endsSoon(null, NOW)).toBe(false);
  });
  it("says how long ago", () => {
    expect(ago(iso(-30_000), NOW)).toBe("less than a minute ago");
    expect(ago(iso(-5 * MIN), NOW)).toBe("5 min ago");
    expect(ago(iso(-3 * HOUR), NOW)).toBe("3 h ago");
  });
});

describe("sentences", () => {
  it("says why access ended and what failed", () => {
    expect(endedSentence(null)).toBe("Your access has ended.");
    expect(endedSentence("expired")).toBe("Your access has ended.");
    expect(endedSentence("revoked")).toContain("revoked by an admin");
    expect(endedSentence("released")).toContain("you released it");
    expect(endedSentence("not_started")).toContain("never started");
    expect(endedLabel("revoked")).toBe("Revoked by an admin");
    expect(endedLabel(null)).toBe("Ended");
    expect(failedSentence("grant")).toBe("Approved, but setting up the access did not work. The admins were told.");
    expect(failedSentence("revoke")).toBe("Removing your access did not go through; the admins were told.");
  });
});
