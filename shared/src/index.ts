export * from "./api.ts";
export * from "./detection.ts";
export * from "./duration.ts";
export * from "./notices.ts";
export * from "./patterns.ts";
export * from "./problems.ts";
