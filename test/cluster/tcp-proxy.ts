import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/**
 * A TCP forwarder between the relays and PostgreSQL that can cut the link,
 * the way a failed switch or a database failover does:
 *
 * - While cut, bytes on open connections go nowhere (no FIN, no RST: the
 *   peers see a silent network), and new connections are accepted but never
 *   reach the database (a connect that hangs).
 * - On restore, every connection that lived through the cut is dropped (the
 *   server's side of them is long gone in a real outage), and new ones are
 *   forwarded again.
 *
 * So a relay must time out what it waits for, notice dead connections and
 * reconnect by itself; nothing here helps it.
 */
export class TcpProxy {
  #server: Server | null = null;
  #pairs = new Set<{ client: Socket; upstream: Socket | null }>();
  #cut = false;
  port = 0;

  readonly targetHost: string;
  readonly targetPort: number;

  constructor(targetHost: string, targetPort: number) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
  }

  async start(): Promise<number> {
    const server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  get isCut(): boolean {
    return this.#cut;
  }

  /** Connections open through the proxy now. */
  get connections(): number {
    return this.#pairs.size;
  }

  #accept(client: Socket): void {
    client.on("error", () => {});
    const pair: { client: Socket; upstream: Socket | null } = { client, upstream: null };
    this.#pairs.add(pair);
    client.on("close", () => {
      this.#pairs.delete(pair);
      pair.upstream?.destroy();
    });
    // Accepted during a cut: held, silent, dropped at restore.
    if (this.#cut) return;
    const upstream = tcpConnect(this.targetPort, this.targetHost);
    pair.upstream = upstream;
    upstream.on("error", () => client.destroy());
    upstream.on("close", () => client.destroy());
    client.on("data", (d) => {
      if (!this.#cut) upstream.write(d);
    });
    upstream.on("data", (d) => {
      if (!this.#cut) client.write(d);
    });
  }

  /** Cuts the link: from now on nothing passes, and nothing says so. */
  cut(): void {
    this.#cut = true;
  }

  /** Brings the link back: connections that saw the cut are dropped; new ones pass. */
  restore(): void {
    for (const pair of this.#pairs) {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
    this.#pairs.clear();
    this.#cut = false;
  }

  async stop(): Promise<void> {
    this.restore();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
