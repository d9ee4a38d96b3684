export * from "./audit.ts";
export * from "./devices.ts";
export * from "./directory.ts";
export * from "./flows.ts";
export * from "./grants.ts";
export * from "./keys.ts";
export * from "./outbox.ts";
export * from "./requests.ts";
