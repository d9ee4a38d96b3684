/**
 * The relay's layers, checked in CI (`pnpm lint:layers`, part of `npm test`).
 *
 *   http/      thin handlers and pages: may use everything below, but pages
 *              (http/pages/) query nothing: they call use cases and render views
 *   app        use cases (requests/, grants/, devices/, admin/, config/, audit/,
 *              channels/, push/, policy/, detection/, keys/, adapters/): load, decide, write
 *   db/        the store: drizzle schema, connections, the unit of work
 *   core/      pure rules: no I/O, no drizzle, no HTTP
 *
 * Arrows point down only; nothing points back up to http/, and there is no cycle.
 */
module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", comment: "a cycle makes layers meaningless", from: {}, to: { circular: true } },
    {
      name: "core-is-pure",
      severity: "error",
      comment: "core/ holds rules and state machines only: other relay modules, the database and HTTP are out of reach",
      from: { path: "^relay/src/core/" },
      to: { path: ["^relay/src/(?!core/)", "node_modules/(drizzle-orm|hono|@hono|postgres|@electric-sql|nodemailer|jose)/"] },
    },
    {
      name: "store-below-app",
      severity: "error",
      comment: "db/ (the store) knows only core/ and its drivers, never the use cases above it",
      from: { path: "^relay/src/db/" },
      to: { path: "^relay/src/(?!db/|core/)" },
    },
    {
      name: "http-on-top",
      severity: "error",
      comment: "only the process entry points mount http/; domain code throws core's ProblemError and http translates it",
      from: { path: "^relay/src/(?!http/|main\\.ts$)" },
      to: { path: "^relay/src/http/" },
    },
    {
      name: "pages-query-nothing",
      severity: "error",
      comment:
        "a page handler parses its input, calls a use case and renders a view: queries and writes (drizzle, the schema, the unit of work) belong to the use cases",
      from: { path: "^relay/src/http/pages/" },
      to: { path: ["^relay/src/db/schema/", "^relay/src/db/unit-of-work\\.ts$", "node_modules/drizzle-orm/"] },
    },
  ],
  options: {
    // TypeScript 7 has no JavaScript API yet; swc parses our sources, type-only imports included.
    parser: "swc",
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
  },
};
