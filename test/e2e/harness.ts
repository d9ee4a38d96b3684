import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ParsedMail } from "mailparser";
import puppeteer, { type Browser, type Page, type Target, type WebWorker } from "puppeteer-core";
import { freePort, MailCatcher, waitFor } from "../../relay/test/peers.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const EXTENSION_DIR = join(ROOT, "extension/.output/chrome-mv3");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export { freePort, MailCatcher, waitFor };

export function linkIn(mail: ParsedMail, path: string): string {
  const m = new RegExp(`https?://[^\\s"'<>]+${path}[^\\s"'<>]+`).exec(mail.text ?? "");
  if (!m) throw new Error(`no ${path} link in mail "${mail.subject}"`);
  return m[0];
}

/** The relay as a separate process, exactly as `npm start` runs it. */
export class RelayProcess {
  url = "";
  #child: ChildProcess | null = null;
  #dataDir = mkdtempSync(join(tmpdir(), "gatehouse-e2e-"));
  output = "";
  #env: Record<string, string> = {};
  #port = 0;

  async start(env: Record<string, string>): Promise<void> {
    this.#env = env;
    this.ready = false;
    this.#port = this.#port || (await freePort());
    const port = this.#port;
    this.url = `http://127.0.0.1:${port}`;
    // Embedded mode unless the caller passes DATABASE_URL: CI exports one for the
    // integration suite, which must not leak into this process.
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: this.#dataDir,
      LOG_LEVEL: "warn",
    };
    delete childEnv.DATABASE_URL;
    const child = spawn(process.execPath, [join(ROOT, "relay/src/main.ts")], {
      cwd: ROOT,
      env: { ...childEnv, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d) => (this.output += d));
    child.stderr?.on("data", (d) => (this.output += d));
    this.#child = child;
    await waitFor(
      "the relay to answer /readyz",
      async () => {
        if (child.exitCode !== null) throw new Error(`relay exited: ${this.output}`);
        return fetch(`${this.url}/readyz`)
          .then((r) => r.ok)
          .catch(() => false);
      },
      60_000,
    );
    this.ready = true;
  }

  /** Whether it answered /readyz since it last started (and has not been killed since). */
  ready = false;

  /** The process id while it runs (to read its memory from /proc). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Whether the process is running. */
  get alive(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** `kill -9`: no shutdown hooks, open transactions and claims left as they are. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || !this.alive) return;
    this.ready = false;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }

  /** Starts again on the same port and settings, as a supervisor would after a crash. */
  restart(): Promise<void> {
    return this.start(this.#env);
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child && this.alive) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    rmSync(this.#dataDir, { recursive: true, force: true });
  }
}

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** The system Chromium (never a downloaded one), headless, optionally with an unpacked extension. */
export async function launchChromium(extensionDir?: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  if (extensionDir && !existsSync(join(extensionDir, "manifest.json"))) throw new Error(`extension not built at ${extensionDir}`);
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    pipe: true,
    ...(extensionDir ? { enableExtensions: [extensionDir] } : {}),
    args: CHROMIUM_ARGS,
  });
}

/** The system Chromium with the built extension loaded. */
export async function launchWithExtension(): Promise<{ browser: Browser; extensionId: string; worker: () => Promise<WebWorker> }> {
  const browser = await launchChromium(EXTENSION_DIR);
  const target = await browser.waitForTarget((t) => t.type() === "service_worker" && t.url().endsWith("/background.js"), {
    timeout: 20_000,
  });
  const extensionId = new URL(target.url()).host;
  const worker = async () => {
    const t = await browser.waitForTarget(
      (t) => t.type() === "service_worker" && t.url().startsWith(`chrome-extension://${extensionId}/`),
      { timeout: 20_000 },
    );
    const w = await t.worker();
    if (!w) throw new Error("no worker");
    return w;
  };
  return { browser, extensionId, worker };
}

/** What most end-to-end suites start with: mail, the relay mailing it, and Chromium with the extension signed in as Dana. */
export interface SignedInWorld {
  mail: MailCatcher;
  relay: RelayProcess;
  browser: Browser;
  extensionId: string;
  worker: () => Promise<WebWorker>;
  stop(): Promise<void>;
}

/**
 * A mail catcher, the relay on the end-to-end policy (`env` adds to its
 * settings) sending to it, and Chromium with the extension signed in as
 * dana@acme.test. `stop` ends whatever started, also after a failed start.
 */
export async function startSignedIn(env: Record<string, string> = {}): Promise<SignedInWorld> {
  const mail = new MailCatcher();
  const relay = new RelayProcess();
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close();
    await relay.stop();
    await mail.stop();
  };
  try {
    await mail.start();
    await relay.start({ SMTP_URL: `smtp://127.0.0.1:${mail.port}`, GATEHOUSE_CONFIG: join(ROOT, "test/e2e/gatehouse.e2e.yaml"), ...env });
    const launched = await launchWithExtension();
    browser = launched.browser;
    await signInExtension(browser, launched.extensionId, relay, mail, "dana@acme.test", "Dana Whitfield");
    return { mail, relay, browser, extensionId: launched.extensionId, worker: launched.worker, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

/** Signs the extension in the way a person does: options page → mailed link → pairing page. */
export async function signInExtension(
  browser: Browser,
  extensionId: string,
  relay: RelayProcess,
  mail: MailCatcher,
  email: string,
  name: string,
): Promise<void> {
  const options = await browser.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await options.waitForSelector("[data-testid=relay-url]");
  await options.$eval("[data-testid=relay-url]", (el) => ((el as HTMLInputElement).value = ""));
  await options.type("[data-testid=relay-url]", relay.url);
  await options.type("[data-testid=email]", email);
  await options.click("[data-testid=sign-in]");
  await options.waitForSelector("[data-testid=user-code]");
  const code = await options.$eval("[data-testid=user-code]", (el) => el.textContent?.trim());
  const signInMail = await mail.waitForMail(email, /Sign in to Gatehouse/);
  if (!code || !signInMail.subject?.includes(code)) throw new Error(`sign-in mail does not show the code ${code}`);
  const pair = await browser.newPage();
  await pair.goto(linkIn(signInMail, "/pair/"));
  const shown = await pair.$eval("[data-testid=user-code]", (el) => el.textContent);
  if (shown !== code) throw new Error(`pairing page shows ${shown}, options page ${code}`);
  await Promise.all([pair.waitForNavigation(), pair.click("button[type=submit]")]);
  await pair.waitForSelector("[data-testid=paired]");
  await options.waitForSelector("[data-testid=signed-in]", { timeout: 15_000 });
  const who = await options.$eval("[data-testid=signed-in]", (el) => el.textContent);
  if (!who?.includes(name)) throw new Error(`options page says: ${who}`);
  await pair.close();
  await options.close();
}

export interface SeenRequest {
  /** The kind of target that made it: page, service_worker … */
  from: string;
  url: string;
  method: string;
  body: string;
  at: number;
}

/**
 * Watches every request the browser makes, from every page and from the
 * extension's service worker (including one that starts later), through the
 * DevTools protocol's Network domain rather than puppeteer's page events,
 * which do not see workers.
 */
export async function recordNetwork(browser: Browser): Promise<{ requests: SeenRequest[]; stop(): void }> {
  const requests: SeenRequest[] = [];
  const sessions: { detach(): Promise<void> }[] = [];
  const attach = async (target: Target) => {
    const kind = target.type();
    if (kind !== "page" && kind !== "service_worker" && kind !== "other") return;
    try {
      const session = await target.createCDPSession();
      sessions.push(session);
      session.on("Network.requestWillBeSent", (e) => {
        requests.push({ from: kind, url: e.request.url, method: e.request.method, body: e.request.postData ?? "", at: Date.now() });
      });
      await session.send("Network.enable", { maxPostDataSize: 65_536 });
    } catch {
      // The target went away while attaching.
    }
  };
  const onCreated = (t: Target) => void attach(t);
  browser.on("targetcreated", onCreated);
  await Promise.all(browser.targets().map(attach));
  return {
    requests,
    stop() {
      browser.off("targetcreated", onCreated);
      for (const s of sessions) void s.detach().catch(() => {});
    },
  };
}

/**
 * Serves `body` with a 403 at every URL of `host` (a denied page at its real
 * address); every other https request gets an empty 404 and never leaves
 * the machine; the relay on loopback is reached for real.
 */
export async function serveDenied(page: Page, host: string, body: string): Promise<void> {
  await page.setRequestInterception(true);
  page.on("request", (req) => {
    const url = new URL(req.url());
    if (url.hostname === host) void req.respond({ status: 403, contentType: "text/html; charset=utf-8", body });
    else if (url.protocol === "https:") void req.respond({ status: 404, body: "" });
    else void req.continue();
  });
}

/** Screenshots for the docs (test-results/ is ignored by git; copy the good ones to docs/screenshots). */
export async function shot(page: Page, name: string): Promise<void> {
  const dir = join(ROOT, "test-results/screenshots");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`) });
}

/**
 * Drives the Gatehouse panel, which lives in a *closed* shadow root that page
 * scripts (and puppeteer's `>>>` selectors) cannot reach. The driver reads it
 * from the content script's own isolated world over the DevTools protocol,
 * and acts through real input (mouse and keyboard events are trusted, as a
 * person's are; the panel ignores untrusted clicks).
 */
export class PanelDriver {
  readonly #page: Page;
  readonly #client: import("puppeteer-core").CDPSession;
  readonly #contexts = new Map<number, string>();

  private constructor(page: Page, client: import("puppeteer-core").CDPSession) {
    this.#page = page;
    this.#client = client;
    client.on("Runtime.executionContextCreated", (e) => {
      const aux = e.context.auxData as { type?: string } | undefined;
      if (aux?.type === "isolated" && e.context.origin.startsWith("chrome-extension://"))
        this.#contexts.set(e.context.id, e.context.origin);
    });
    client.on("Runtime.executionContextDestroyed", (e) => this.#contexts.delete(e.executionContextId));
    client.on("Runtime.executionContextsCleared", () => this.#contexts.clear());
  }

  static async attach(page: Page): Promise<PanelDriver> {
    const client = await page.createCDPSession();
    const driver = new PanelDriver(page, client);
    await client.send("Runtime.enable"); // reports the contexts that exist already
    return driver;
  }

  /** Runs `body` (a function of the panel's shadow root, or null) in the extension's world. */
  async #inPanel<T>(body: string): Promise<T | null> {
    for (const id of [...this.#contexts.keys()].reverse()) {
      const res = await this.#client
        .send("Runtime.evaluate", {
          contextId: id,
          returnByValue: true,
          // Only the world that loaded the panel answers: a page's frames have isolated worlds of their own, without it.
          expression: `(() => { if (!globalThis.__gatehousePanel) return undefined; const root = globalThis.__gatehousePanel.root?.() ?? null; return (${body})(root); })()`,
        })
        .catch(() => null);
      if (res && !res.exceptionDetails && res.result.value !== undefined) return res.result.value as T;
    }
    return null;
  }

  /** Is the panel on the page? */
  async shown(): Promise<boolean> {
    return (await this.#inPanel<boolean>("(root) => root !== null")) === true;
  }

  async text(testid: string): Promise<string | null> {
    return this.#inPanel<string | null>(`(root) => root?.querySelector('[data-testid="${testid}"]')?.textContent ?? null`);
  }

  async attribute(testid: string, name: string): Promise<string | null> {
    return this.#inPanel<string | null>(`(root) => root?.querySelector('[data-testid="${testid}"]')?.getAttribute("${name}") ?? null`);
  }

  async has(testid: string): Promise<boolean> {
    return (await this.text(testid)) !== null;
  }

  async waitFor(testid: string, timeoutMs = 10_000): Promise<void> {
    await waitFor(`panel element ${testid}`, () => this.has(testid), timeoutMs);
  }

  /** A real mouse click in the middle of the element. */
  async click(testid: string): Promise<void> {
    const box = await this.#inPanel<{ x: number; y: number; w: number; h: number }>(
      `(root) => { const r = root?.querySelector('[data-testid="${testid}"]')?.getBoundingClientRect(); return r ? { x: r.x, y: r.y, w: r.width, h: r.height } : null; }`,
    );
    if (!box) throw new Error(`no panel element ${testid}`);
    await this.#page.mouse.click(box.x + box.w / 2, box.y + box.h / 2);
  }

  /** A click made by a script (`element.click()`), which is not trusted. */
  async scriptClick(testid: string): Promise<void> {
    await this.#inPanel<boolean>(`(root) => { root?.querySelector('[data-testid="${testid}"]')?.click(); return true; }`);
  }

  /** Focuses the field and types with the keyboard. */
  async type(testid: string, text: string): Promise<void> {
    const ok = await this.#inPanel<boolean>(
      `(root) => { const el = root?.querySelector('[data-testid="${testid}"]'); el?.focus(); return !!el; }`,
    );
    if (!ok) throw new Error(`no panel element ${testid}`);
    await this.#page.keyboard.type(text);
  }

  /** Empties a text field the way a person does: select all, then Backspace. */
  async clear(testid: string): Promise<void> {
    const ok = await this.#inPanel<boolean>(
      `(root) => { const el = root?.querySelector('[data-testid="${testid}"]'); el?.focus(); el?.select?.(); return !!el; }`,
    );
    if (!ok) throw new Error(`no panel element ${testid}`);
    await this.#page.keyboard.press("Backspace");
  }

  /** Picks an option of a <select> (a change event, as the browser's own picker sends). */
  async select(testid: string, value: string): Promise<void> {
    const ok = await this.#inPanel<boolean>(
      `(root) => { const el = root?.querySelector('[data-testid="${testid}"]'); if (!el) return false; el.value = ${JSON.stringify(value)}; el.dispatchEvent(new Event("change", { bubbles: true })); return el.value === ${JSON.stringify(value)}; }`,
    );
    if (!ok) throw new Error(`cannot select ${value} in ${testid}`);
  }

  async detach(): Promise<void> {
    await this.#client.detach().catch(() => {});
  }
}
