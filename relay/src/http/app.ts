import { z } from "@hono/zod-openapi";
import { type Context, Hono } from "hono";
import { csrf } from "hono/csrf";
import { createMiddleware } from "hono/factory";
import { html } from "hono/html";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { timeout } from "hono/timeout";
import type { Relay } from "../context.ts";
import { ProblemError } from "../core/errors.ts";
import type { RelayEnv } from "../env.ts";
import { handleError, problemBody, problemResponse } from "./errors.ts";
import { apiRoute, apiRoutes, openApiDocument } from "./openapi.ts";
import { auditPages } from "./pages/admin/audit.pages.ts";
import { adminAuthPages, requireAdmin, signOutRoute } from "./pages/admin/auth.pages.ts";
import { deliveryPages } from "./pages/admin/deliveries.pages.ts";
import { directoryPages } from "./pages/admin/directory.pages.ts";
import { flowPages } from "./pages/admin/flows.pages.ts";
import type { AdminEnv } from "./pages/admin/layout.ts";
import { requestPages } from "./pages/admin/requests.pages.ts";
import { settingsPages } from "./pages/admin/settings.pages.ts";
import { simulatePages } from "./pages/admin/simulate.pages.ts";
import { decidePages } from "./pages/decide.pages.ts";
import { page } from "./pages/layout.ts";
import { outboxPages } from "./pages/outbox.pages.ts";
import { pairPages } from "./pages/pair.pages.ts";
import { reviewPages } from "./pages/review.pages.ts";
import { STYLESHEET_PATH, stylesheet } from "./pages/stylesheet.ts";
import { taskPages } from "./pages/task.pages.ts";
import { detectionRoutes } from "./routes/detection.routes.ts";
import { deviceRoutes } from "./routes/devices.routes.ts";
import { grantRoutes, provisioningRoutes } from "./routes/grants.routes.ts";
import { noticeRoutes } from "./routes/notices.routes.ts";
import { requestRoutes } from "./routes/requests.routes.ts";

/** How long `/readyz` waits for `select 1`. */
const READY_TIMEOUT_MS = 2_000;
/** Longer than a statement may run (POSTGRES_TIMEOUTS.statementMs) plus a connect, so a request normally fails on its own first. */
export const REQUEST_DEADLINE_MS = 25_000;
const deadline = timeout(REQUEST_DEADLINE_MS, () => new HTTPException(503, { message: "The relay could not answer in time" }));

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET,HEAD,PUT,POST,DELETE,PATCH",
  "access-control-allow-headers": "authorization,content-type,last-event-id,idempotency-key",
  "access-control-max-age": "600",
} as const;

/**
 * CORS for the API: any origin, bearer tokens, no cookies. What hono/cors
 * answers, but its headers are set on the response after the handler made
 * it: hono/cors touches `c.res` before the handler runs, and Hono then
 * rebuilds the handler's response around its body, which turns every JSON
 * answer into a stream (node-server's slow path: a quarter of an
 * authenticated GET's time, measured with bench:relay).
 */
const anyOriginCors = createMiddleware(async (c, next) => {
  if (c.req.method === "OPTIONS") return c.body(null, 204, CORS_HEADERS);
  await next();
  c.res.headers.set("access-control-allow-origin", "*");
});

/**
 * Builds the relay's HTTP app: the JSON API under `/api/v1` (problem+json
 * errors, CORS for the extension, bearer device tokens) and the server-rendered
 * pages (strict CSP, no script, CSRF-checked forms).
 */
export function createApp(relay: Relay) {
  const app = new Hono();
  app.onError(handleError(relay.log));
  app.notFound((c) =>
    c.req.path.startsWith("/api/")
      ? problemResponse(c, problemBody("not_found", `No route ${c.req.method} ${c.req.path}`))
      : c.html(page("Not found", html`<h1>Not found</h1><p>There is nothing at this address.</p>`), 404),
  );

  // Liveness does no I/O: a relay waiting for its database is alive, and must not be restarted for it.
  app.get("/livez", (c) => c.json({ status: "ok" }));
  // Readiness: the database answers in time and the process is not draining (a balancer sends no new work then).
  const ready = async (c: Context) => {
    if (relay.drain.signal.aborted) return problemResponse(c, problemBody("unavailable", "This relay is shutting down"));
    if (!(await relay.database.ping(READY_TIMEOUT_MS)))
      return problemResponse(c, problemBody("unavailable", `The database did not answer within ${READY_TIMEOUT_MS} ms`));
    return c.json({ status: "ok", mode: relay.env.mode, database: relay.database.kind });
  };
  app.get("/readyz", ready);
  app.get("/healthz", ready); // the older name, kept for existing probes
  // No request waits on the database for ever: past the deadline the client hears 503 and retries.
  app.use("*", async (c, next) => (c.req.path.endsWith("/stream") ? next() : deadline(c, next)));
  app.get("/.well-known/jwks.json", (c) => {
    c.header("cache-control", "public, max-age=300");
    return c.json(relay.keys.jwks);
  });

  // The API is called by the extension's background worker (another origin) with
  // a bearer token and no cookies, so any origin may call it.
  const api = apiRoutes();
  api.use("*", anyOriginCors);
  for (const routes of [deviceRoutes, requestRoutes, noticeRoutes, detectionRoutes, grantRoutes, provisioningRoutes])
    api.route("/", routes(relay));
  // Generated from the routes above on first ask (they do not change after).
  let document: ReturnType<typeof openApiDocument> | undefined;
  api.openapi(
    apiRoute({
      method: "get",
      path: "/openapi.json",
      summary: "This document",
      responses: { 200: { description: "OpenAPI 3.1", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } } },
    }),
    (c) => {
      document ??= openApiDocument(api, relay.env.publicUrl);
      return c.json(document, 200);
    },
  );
  api.all("*", () => {
    throw new ProblemError("not_found");
  });
  app.route("/api/v1", api);

  const pages = new Hono();
  pages.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: "no-referrer",
    }),
  );
  pages.use("*", csrf({ origin: relay.env.publicUrl }));
  pages.get(STYLESHEET_PATH, stylesheet);
  pages.get("/", (c) =>
    c.html(
      page(
        "Relay",
        html`<h1>Gatehouse relay</h1><p>This relay is running in <strong>${relay.env.mode}</strong> mode.</p>
<ul><li><a href="/admin">Admin</a> (admins sign in by emailed link)</li><li><a href="/api/v1/openapi.json">API (OpenAPI)</a></li><li><a href="/.well-known/jwks.json">Signing keys (JWKS)</a></li>${devOutboxOpen(relay.env) ? html`<li><a href="/dev/outbox">Dev mail outbox</a></li>` : ""}</ul>`,
      ),
    ),
  );
  pages.route("/", pairPages(relay));
  pages.route("/", decidePages(relay));
  pages.route("/", reviewPages(relay));
  pages.route("/", taskPages(relay));
  if (devOutboxOpen(relay.env)) pages.route("/", outboxPages(relay));
  // The admin UI: sign-in is open; everything else needs an admin session (and CSRF on POST).
  pages.route("/", adminAuthPages(relay));
  const admin = new Hono<AdminEnv>();
  admin.use("/admin/*", requireAdmin(relay));
  for (const routes of [signOutRoute, requestPages, flowPages, directoryPages, simulatePages, settingsPages, auditPages, deliveryPages])
    admin.route("/", routes(relay));
  pages.route("/", admin);
  app.route("/", pages);
  return app;
}

/**
 * The dev outbox shows held mail, sign-in links included, to anyone who asks.
 * So it is open only when asked for (`DEV_OUTBOX=1`, which `npm start` sets)
 * and where mail is held (embedded mode without SMTP) on a relay that listens
 * on loopback alone: a relay reachable from elsewhere, or one that sends its
 * mail, never shows it, whatever the flag says.
 */
export function devOutboxOpen(env: RelayEnv): boolean {
  return env.DEV_OUTBOX && env.mode === "embedded" && !env.SMTP_URL && ["127.0.0.1", "localhost", "::1"].includes(env.HOST);
}
