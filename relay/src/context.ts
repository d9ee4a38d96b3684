import type { Clock } from "./clock.ts";
import type { Database } from "./db/client.ts";
import type { RelayEnv } from "./env.ts";
import type { KeyRing } from "./keys/signing.ts";
import type { Logger } from "./log.ts";
import type { NoticeBus } from "./push/bus.ts";

/** What request handlers and workers share; built once by `boot.ts`. */
export interface Relay {
  env: RelayEnv;
  database: Database;
  clock: Clock;
  keys: KeyRing;
  log: Logger;
  bus: NoticeBus;
  /**
   * Aborted when the process is asked to stop (SIGTERM): readiness turns
   * false and live streams end, so clients move to another instance while
   * requests in flight finish.
   */
  drain: AbortController;
  /** The key form CSRF tokens are MACs under (http/csrf.ts), derived from the KEK. */
  csrfKey: Buffer;
}
