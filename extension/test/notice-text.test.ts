import type { RequestView } from "@gatehouse/shared";
import { describe, expect, it } from "vitest";
import { describeNotice } from "../src/background/notice-text.ts";
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
