ALTER TABLE "requests" ADD COLUMN "extends_grant_id" uuid;--> statement-breakpoint
CREATE INDEX "requests_extends_idx" ON "requests" USING btree ("extends_grant_id");