import { describe, expect, it } from "vitest";
import { durationMs, formatDuration, parseDuration } from "./duration.ts";

describe("durations", () => {
  it.each([
    ["30s", 30_000],
    ["15m", 900_000],
    ["4h", 14_400_000],
    ["1d", 86_400_000],
  ])("parses %s", (text, ms) => {
    expect(durationMs(text)).toBe(ms);
    expect(formatDuration(ms)).toBe(text);
  });
  it("knows indefinite", () => expect(parseDuration("indefinite")).toEqual({ kind: "indefinite" }));
  it.each(["", "0h", "1.5h", "4 h", "1w", "-1h", "h", "01h", "9999999d"])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});
