import { boolean, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import type { SealedSecret } from "../../core/sealing.ts";

/** Asymmetric keys that sign magic links; public halves are served as JWKS. */
export const signingKeys = pgTable("signing_keys", {
  kid: text("kid").primaryKey(),
  alg: text("alg").notNull(),
  publicJwk: jsonb("public_jwk").$type<Record<string, unknown>>().notNull(),
  /** Only on rows written before keys were sealed; the relay seals them and clears this at start. */
  privateJwk: jsonb("private_jwk").$type<Record<string, unknown>>(),
  /** The private JWK, envelope-encrypted under the KEK (keys/sealing.ts). */
  privateSealed: jsonb("private_sealed").$type<SealedSecret>(),
  active: boolean("active").notNull().default(true),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
});
