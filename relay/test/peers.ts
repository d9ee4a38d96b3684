import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/**
 * Real peers on loopback for the relay's deliveries: an SMTP server that
 * keeps every mail, and HTTP servers that stand in for Slack, Teams and
 * webhook receivers and keep every request. Shared by the relay's
 * integration tests and the end-to-end tests.
 */

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? res(addr.port) : rej(new Error("no port"))));
    });
  });
}

export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A real SMTP server on loopback that keeps every mail the relay sends. */
export class MailCatcher {
  readonly mails: ParsedMail[] = [];
  #server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData: (stream, _session, done) => {
      simpleParser(stream)
        .then((m) => {
          this.mails.push(m);
          done();
        })
        .catch(done);
    },
  });
  port = 0;

  async start(): Promise<void> {
    this.port = await freePort();
    await new Promise<void>((r) => this.#server.listen(this.port, "127.0.0.1", r));
  }
  stop(): Promise<void> {
    return new Promise((r) => this.#server.close(() => r()));
  }
  /** The first mail to `to` whose subject matches, waiting for it to arrive. */
  waitForMail(to: string, subject: RegExp, timeoutMs = 15_000): Promise<ParsedMail> {
    return waitFor(
      `mail to ${to} matching ${subject}`,
      () => this.mails.find((m) => m.subject && subject.test(m.subject) && JSON.stringify(m.to).includes(to)),
      timeoutMs,
    );
  }
}

/** Starts `server` on a free loopback port and returns its base URL. */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  if (!addr || typeof addr !== "object") throw new Error("no address");
  return `http://127.0.0.1:${addr.port}`;
}

/** Stops `server`; hung requests keep their sockets open, so those are closed first. */
export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

export interface PeerRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP server on loopback that records each request and answers with `respond`. */
export class HttpPeer {
  readonly requests: PeerRequest[] = [];
  url = "";
  #server: Server;
  respond: (req: PeerRequest) => { status?: number; json?: unknown; headers?: Record<string, string> } = () => ({
    status: 200,
    json: { ok: true },
  });

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const record = {
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        this.requests.push(record);
        const answer = this.respond(record);
        res.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers });
        res.end(JSON.stringify(answer.json ?? {}));
      });
    });
  }

  async start(): Promise<void> {
    this.url = await listenOnLoopback(this.#server);
  }

  stop(): Promise<void> {
    return closeServer(this.#server);
  }

  /** The JSON bodies of requests to `path`. */
  bodies<T = Record<string, unknown>>(path: string): T[] {
    return this.requests.filter((r) => r.path === path).map((r) => JSON.parse(r.body) as T);
  }
}
