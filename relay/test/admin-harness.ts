import { mailsTo, PUBLIC_URL, type TestRelay } from "./harness.ts";

/**
 * A browser for the admin UI over `app.request()`: it keeps cookies, reads
 * the CSRF field of each page it loads and posts forms back with it and an
 * Origin header, as a browser does.
 */
export class AdminBrowser {
  readonly cookies = new Map<string, string>();
  readonly t: TestRelay;
  constructor(t: TestRelay) {
    this.t = t;
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await this.t.app.request(path, { ...init, headers });
    for (const c of res.headers.getSetCookie()) {
      const [pair = "", ...attrs] = c.split(";");
      const [name = "", value = ""] = pair.split("=");
      if (attrs.some((a) => /max-age=0\b/i.test(a)) || value === "") this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value);
    }
    return res;
  }

  async get(path: string): Promise<{ status: number; text: string; location: string | null }> {
    const res = await this.request(path);
    return { status: res.status, text: await res.text(), location: res.headers.get("location") };
  }

  /** Loads `page`, then posts `fields` to `action` (default: the page) with the page's CSRF token. */
  async submit(
    page: string,
    fields: Record<string, string>,
    action = page,
  ): Promise<{ status: number; text: string; location: string | null }> {
    const loaded = await this.get(page);
    const csrf = /name="csrf" value="([^"]+)"/.exec(loaded.text)?.[1] ?? "";
    const res = await this.request(action, {
      method: "POST",
      headers: { origin: PUBLIC_URL, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf, ...fields }).toString(),
    });
    return { status: res.status, text: await res.text(), location: res.headers.get("location") };
  }

  /** Signs in through the sign-in form and the mailed link. */
  async signIn(email: string): Promise<void> {
    const links = async () =>
      (await mailsTo(this.t, email)).map((m) => /http:\/\/relay\.test(\/admin\/sign-in\/\S+)/.exec(m.text)?.[1]).filter(Boolean);
    const before = new Set(await links());
    await this.submit("/admin/sign-in", { email });
    // Mails sent at the same (manual) clock time have no order: take the one that is new.
    const link = (await links()).find((l) => !before.has(l));
    if (!link) throw new Error(`no admin sign-in mail to ${email}`);
    const res = await this.submit(link, { confirm: "yes" });
    if (res.status !== 303) throw new Error(`admin sign-in: ${res.status} ${res.text}`);
  }
}

/** The form of the flow editor with every field a flow of these values has. */
export function flowFields(o: Record<string, string>): Record<string, string> {
  return {
    intent: "save",
    enabled: "on",
    approval: "steps",
    "steps.0.approvers": "manager",
    "steps.0.require": "any",
    "durations.mode": "choices",
    "durations.choices": "1h",
    "grant.kind": "none",
    ...o,
  };
}
