import { serve } from "@hono/node-server";
import { writeCheckpoint } from "./audit/checkpoints.ts";
import { bootRelay } from "./boot.ts";
import { ConfigError } from "./config/load.ts";
import { databaseUnavailable, loggableError } from "./db/faults.ts";
import { parseEnv } from "./env.ts";
import { createApp, devOutboxOpen } from "./http/app.ts";
import { createLogger, type Logger } from "./log.ts";
import { retryDelay, startWorkers } from "./workers.ts";

/** How long SIGTERM waits for requests in flight before closing what is left. */
const DRAIN_MS = 10_000;

/** `pnpm --filter @gatehouse/relay start`: boot, serve, run the workers, stop cleanly. */
async function main() {
  const env = parseEnv(process.env);
  const log = createLogger(env.LOG_LEVEL);
  guardProcess(log);
  const relay = await bootWhenReachable(() => bootRelay({ env, log }), log);
  const app = createApp(relay);
  const workers = startWorkers(relay);
  const server = serve({ fetch: app.fetch, hostname: env.HOST, port: env.PORT }, (info) => {
    const base = relay.env.publicUrl;
    const lines = [
      "",
      `Gatehouse relay listening on ${base} (${env.mode} mode, ${relay.database.kind})`,
      `  config:           ${env.configPath}`,
      `  API:              ${base}/api/v1/openapi.json`,
      `  admin:            ${base}/admin   (admins sign in by emailed link)`,
      devOutboxOpen(relay.env) ? `  dev mail outbox:  ${base}/dev/outbox` : `  mail:             ${env.SMTP_URL ? "SMTP" : "outbox only"}`,
      "",
      "Load the extension: chrome://extensions → Developer mode → Load unpacked →",
      "  extension/.output/chrome-mv3   (then open its options and sign in with your work email)",
      "",
    ];
    process.stdout.write(lines.join("\n"));
    void info;
  });

  // SIGTERM drains: readiness turns false and live streams end (clients reconnect elsewhere),
  // no new connections are taken, requests in flight finish, then the workers stop between ticks.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("draining", { signal });
    relay.drain.abort();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const late = setTimeout(() => {
      log.warn("requests still open after the drain period; closing them", { drainMs: DRAIN_MS });
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    }, DRAIN_MS);
    late.unref();
    await closed;
    clearTimeout(late);
    await workers.stop();
    // The newest events are signed before the process goes, so a verify while it is down finds them anchored.
    await writeCheckpoint(relay).catch((err: unknown) => log.warn("no final audit checkpoint", loggableError(err)));
    await relay.bus.stop();
    await relay.database.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

/**
 * The last line of defence. A driver or socket error that escaped every
 * caller (the database link dropped under a connection's feet) is logged and
 * the relay serves on: requests fail with 503 and workers back off until the
 * database is back. Anything else thrown from nowhere is a bug that may have
 * left memory inconsistent, so it is logged and the process exits for its
 * supervisor to restart it (nothing is lost: every effect is in the outbox).
 */
function guardProcess(log: Logger): void {
  const handle = (kind: string) => (err: unknown) => {
    if (databaseUnavailable(err)) {
      log.warn(`${kind} from the database connection; serving on`, loggableError(err));
      return;
    }
    log.error(`${kind}; exiting`, {
      ...loggableError(err),
      stack: err instanceof Error ? err.stack?.split("\n").slice(1, 8).join("\n") : undefined,
    });
    process.exit(70);
  };
  process.on("uncaughtException", handle("uncaught exception"));
  process.on("unhandledRejection", handle("unhandled rejection"));
}

/**
 * Boots, and while the database cannot be reached waits and tries again
 * (a relay restarted during an outage comes up when the database does,
 * instead of exiting in a restart loop). Other errors stop the start.
 */
async function bootWhenReachable<T>(boot: () => Promise<T>, log: Logger): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await boot();
    } catch (err) {
      const away = databaseUnavailable(err);
      if (!away) throw err;
      if (attempt === 1) log.warn("the database is unreachable; waiting for it", away);
      await new Promise((r) => setTimeout(r, retryDelay(Number.POSITIVE_INFINITY, attempt)));
    }
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
