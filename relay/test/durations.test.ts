import { describe, expect, it } from "vitest";
import { checkDuration, defaultDuration, durationRuleProblems, offeredDurations } from "../src/core/policy/durations.ts";

describe("flow durations", () => {
  it("choices: one of them, capped by max", () => {
    const rules = { choices: ["1h", "4h", "1d"], max: "4h" };
    expect(offeredDurations(rules)).toEqual(["1h", "4h"]);
    expect(checkDuration(rules, "4h")).toBeNull();
    expect(checkDuration(rules, "2h")).toBe("duration_not_allowed");
    expect(checkDuration(rules, "1d")).toBe("duration_exceeds_max");
    expect(checkDuration({ choices: ["1h", "indefinite"] }, "indefinite")).toBeNull();
    expect(checkDuration({ choices: ["1h"], max: "4h" }, "indefinite")).toBe("duration_exceeds_max");
  });

  it("fixed: exactly that", () => {
    expect(offeredDurations({ fixed: "30m" })).toEqual(["30m"]);
    expect(checkDuration({ fixed: "30m" }, "30m")).toBeNull();
    expect(checkDuration({ fixed: "1h" }, "60m")).toBeNull(); // the same length, spelled differently
    expect(checkDuration({ fixed: "30m" }, "1h")).toBe("duration_not_allowed");
  });

  it("custom: anything up to max, choices as suggestions", () => {
    const rules = { custom: true, max: "8h", choices: ["1h"] };
    expect(offeredDurations(rules)).toEqual(["1h"]);
    expect(checkDuration(rules, "90m")).toBeNull();
    expect(checkDuration(rules, "9h")).toBe("duration_exceeds_max");
    expect(offeredDurations({ custom: true, max: "2h" })).toEqual(["2h"]);
    expect(defaultDuration({ choices: ["1h", "4h"], default: "4h" })).toBe("4h");
  });

  it("reports rules that make no sense", () => {
    const messages = (r: Parameters<typeof durationRuleProblems>[0]) =>
      durationRuleProblems(r).map((p) => `${p.path.join(".")}: ${p.message}`);
    expect(messages({})).toEqual([": give choices, a fixed duration, or custom: true with a max"]);
    expect(messages({ custom: true })).toEqual(["max: custom durations need a max"]);
    expect(messages({ fixed: "1h", choices: ["1h"] })).toEqual(["fixed: a fixed duration excludes choices and custom"]);
    expect(messages({ choices: ["1h", "1d"], max: "4h" })).toEqual(["choices.1: 1d is longer than the max 4h"]);
    expect(messages({ choices: ["1h"], max: "indefinite" })).toEqual(["max: max must be a duration, not indefinite"]);
    expect(messages({ choices: ["1h"], default: "4h" })).toEqual(["default: the default must be one of the choices"]);
  });
});
