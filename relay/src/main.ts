import { serve } from "@hono/node-server";
import { bootRelay } from "./boot.ts";
import { ConfigError } from "./config/load.ts";
import { parseEnv } from "./env.ts";
import { createApp } from "./http/app.ts";
import { startWorkers } from "./workers.ts";

/** `pnpm --filter @gatehouse/relay start`: boot, serve, run the workers, stop cleanly. */
async function main() {
  const env = parseEnv(process.env);
  const relay = await bootRelay({ env });
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
      env.mode === "embedded" && !env.SMTP_URL
        ? `  dev mail outbox:  ${base}/dev/outbox`
        : `  mail:             ${env.SMTP_URL ? "SMTP" : "outbox only"}`,
      "",
      "Load the extension: chrome://extensions → Developer mode → Load unpacked →",
      "  extension/.output/chrome-mv3   (then open its options and sign in with your work email)",
      "",
    ];
    process.stdout.write(lines.join("\n"));
    void info;
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close();
    await workers.stop();
    await relay.bus.stop();
    await relay.database.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
