CREATE TABLE "audit_checkpoints" (
	"head_id" bigint PRIMARY KEY NOT NULL,
	"head_hash" text NOT NULL,
	"count" bigint NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"kid" text NOT NULL,
	"jws" text NOT NULL
);
