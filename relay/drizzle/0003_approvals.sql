CREATE TABLE "request_messages" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "request_messages_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"request_id" uuid NOT NULL,
	"author_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"text" text NOT NULL,
	"step" integer NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "scope" text DEFAULT 'resource' NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "channel" text DEFAULT 'email' NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "payload" jsonb;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "response" jsonb;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "after_id" uuid;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "request_id" uuid;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "event" text;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "duration" text;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "via" text;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "escalated_to" uuid;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "escalated_from" uuid;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "round" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "channels" jsonb DEFAULT '["email"]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "whole_app_allowed" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "resume_state" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "deadline_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "remind_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "request_messages" ADD CONSTRAINT "request_messages_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_messages" ADD CONSTRAINT "request_messages_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "request_messages_request_idx" ON "request_messages" USING btree ("request_id","id");--> statement-breakpoint
CREATE INDEX "outbox_request_idx" ON "outbox" USING btree ("request_id");--> statement-breakpoint
CREATE INDEX "requests_deadline_idx" ON "requests" USING btree ("state","deadline_at");--> statement-breakpoint
CREATE INDEX "requests_remind_idx" ON "requests" USING btree ("state","remind_at");--> statement-breakpoint
-- Requests still waiting when this version is installed get the default deadline and first reminder
-- (approvals.expireAfter 7d, remindAfter 24h), so they are reminded and expire like new ones.
UPDATE "requests" SET "deadline_at" = "created_at" + interval '7 days', "remind_at" = now() + interval '24 hours' WHERE "state" IN ('pending', 'escalated', 'info_requested') AND "deadline_at" IS NULL;
