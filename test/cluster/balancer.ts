import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";

/**
 * A round-robin HTTP load balancer in front of relay processes, as a
 * deployment would put one: it checks each backend's `/readyz` twice a
 * second and sends new requests only to ready ones (to all, if none is), and
 * a request whose backend refuses the connection is tried on the next one.
 * Responses are streamed through, so server-sent events pass.
 */
export class Balancer {
  #server: Server | null = null;
  #healthy = new Map<string, boolean>();
  #timer: NodeJS.Timeout | null = null;
  #next = 0;
  url = "";
  readonly backends: () => string[];

  constructor(backends: () => string[]) {
    this.backends = backends;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.#forward(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#server = server;
    this.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    await this.#check();
    this.#timer = setInterval(() => void this.#check(), 500);
    return this.url;
  }

  async #check(): Promise<void> {
    await Promise.all(
      this.backends().map(async (b) => {
        const ok = await fetch(`${b}/readyz`, { signal: AbortSignal.timeout(1_000) })
          .then((r) => r.ok)
          .catch(() => false);
        this.#healthy.set(b, ok);
      }),
    );
  }

  /** Backends in the order this request tries them: ready ones first, taking turns. */
  #order(): string[] {
    const all = this.backends();
    const start = this.#next++ % Math.max(1, all.length);
    const rotated = [...all.slice(start), ...all.slice(0, start)];
    return [...rotated.filter((b) => this.#healthy.get(b)), ...rotated.filter((b) => !this.#healthy.get(b))];
  }

  async #forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    for (const backend of this.#order()) {
      const sent = await new Promise<boolean>((resolve) => {
        const target = new URL(req.url ?? "/", backend);
        const up = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
          upRes.on("error", () => res.destroy());
          resolve(true);
        });
        // Refused or reset before any answer: nothing reached a handler that answered, so the next backend may try.
        up.on("error", () => resolve(false));
        res.on("close", () => up.destroy());
        up.end(body);
      });
      if (sent || res.headersSent || res.destroyed) return;
    }
    res.writeHead(502, { "content-type": "text/plain" }).end("no backend answered");
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
