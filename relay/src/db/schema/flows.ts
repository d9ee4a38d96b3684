import { boolean, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import type { FlowDefinition } from "../../core/policy/model.ts";

/**
 * Access flows (policies). The matching and approval rules live in one JSON
 * document per flow so the policy model can grow without a migration per field;
 * `priority` orders them (first match wins).
 */
export const accessFlows = pgTable("access_flows", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  priority: integer("priority").notNull(),
  enabled: boolean("enabled").notNull().default(true),
  definition: jsonb("definition").$type<FlowDefinition>().notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Relay-wide settings, one row per key (e.g. the fallback flow). */
export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
