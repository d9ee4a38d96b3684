ALTER TABLE "users" ADD COLUMN "accounts" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "duration" text DEFAULT 'indefinite' NOT NULL;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "flow_id" text;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "provider_id" text;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "target" jsonb;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "grant_queued" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "start_by" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "end_reason" text;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "failed_action" text;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "failure" text;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "extensions" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "warn_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "updated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "grant_id" uuid;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "action" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "key" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "leased_until" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "grants_warn_idx" ON "grants" USING btree ("warn_at");--> statement-breakpoint
CREATE INDEX "grants_start_idx" ON "grants" USING btree ("state","starts_at");--> statement-breakpoint
CREATE INDEX "outbox_grant_idx" ON "outbox" USING btree ("grant_id");--> statement-breakpoint
ALTER TABLE "outbox" ADD CONSTRAINT "outbox_key_unique" UNIQUE("key");--> statement-breakpoint
UPDATE "grants" SET "duration" = "requests"."duration" FROM "requests" WHERE "requests"."id" = "grants"."request_id";
