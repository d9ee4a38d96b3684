ALTER TABLE "requests" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_requester_idempotency_key" UNIQUE("requester_id","idempotency_key");