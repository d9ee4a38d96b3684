import type { Detection, GrantView, PreviewResponse, RequestView } from "@gatehouse/shared";
import { parseHTML } from "linkedom";
import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Result } from "../src/messaging.ts";
import type { PanelApi } from "../src/ui/Panel.tsx";

/** The panel's steps as a person sees them, rendered into a DOM (linkedom), driven through its host API. */
const { window } = parseHTML("<!doctype html><html><body></body></html>");
Object.assign(globalThis, { window, document: window.document, Node: window.Node, HTMLElement: window.HTMLElement, Event: window.Event });
const { Panel } = await import("../src/ui/Panel.tsx");

const NOW = Date.now();
const iso = (ms: number) => new Date(NOW + ms).toISOString();

function grant(over: Partial<GrantView> = {}): GrantView {
  return {
    id: "g1",
    state: "active",
    scope: "resource",
    startsAt: iso(-5 * 60_000),
    endsAt: iso(30 * 60_000),
    endedAt: null,
    duration: "1h",
    startBy: null,
    endReason: null,
    failedAction: null,
    target: null,
    extensions: 0,
    extend: null,
    extensionRequest: null,
    ...over,
  };
}
function request(g: Partial<GrantView> | null, over: Partial<RequestView> = {}): RequestView {
  return {
    id: "r1",
    state: "approved",
    app: "google-docs",
    resource: { id: "doc1", name: null, url: "https://docs.google.com/document/d/doc1/edit" },
    flow: { id: "docs", name: "Docs" },
    duration: "1h",
    reason: "",
    createdAt: iso(-60_000),
    decidedAt: iso(-30_000),
    decisionNote: null,
    step: 0,
    stepCount: 1,
    question: null,
    grant: g === null ? null : grant(g),
    ...over,
  };
}

const detection: Detection = {
  app: "google-docs",
  resource: { id: "doc1", name: null, url: "https://docs.google.com/document/d/doc1/edit" },
  message: "You need access",
  confidence: 0.9,
  kind: "access",
};

const fail = (detail?: string): Result<never> => ({ ok: false, problem: { code: "internal", title: "Something went wrong", detail } });

let root: HTMLElement;
let push: (u: { request: RequestView; kind: string }) => void = () => {};

/** The relay's preview for the Docs flow, one approver (Lee), one duration; `over` changes fields. */
function previewOf(over: Partial<PreviewResponse> = {}): () => Promise<Result<PreviewResponse>> {
  return async () => ({
    ok: true,
    value: {
      flow: { id: "docs", name: "Docs" },
      approval: "steps",
      approvers: [{ email: "l@x", name: "Lee" }],
      durations: ["1h"],
      defaultDuration: "1h",
      requireReason: false,
      ticketPattern: null,
      activation: "on_approval",
      ...over,
    },
  });
}

function api(over: Partial<PanelApi> = {}): PanelApi {
  return {
    getSession: async () => ({
      relayUrl: "",
      user: { email: "d@x", name: "D" },
      pendingSignIn: null,
      lastError: null,
      detectionRules: null,
    }),
    preview: async () => fail(),
    submit: async () => fail(),
    grantStatus: async () => null,
    startGrant: async () => fail(),
    extendGrant: async () => fail(),
    openOptions: async () => {},
    reload: () => {},
    onUpdate: (fn) => {
      push = fn;
      return () => {};
    },
    ...over,
  };
}

async function show(a: PanelApi): Promise<void> {
  await act(async () => {
    render(<Panel detection={detection} api={a} onClose={() => {}} />, root);
  });
  await act(async () => {
    await new Promise((r) => setTimeout(r, 0));
  });
}
const step = () => root.querySelector("[data-testid=gatehouse-panel]")?.getAttribute("data-step");
const text = (testid: string) => root.querySelector(`[data-testid=${testid}]`)?.textContent ?? null;
async function send(request: RequestView, kind: string): Promise<void> {
  await act(async () => push({ request, kind }));
}
/** A click as a person makes it (the panel ignores untrusted ones). */
async function click(testid: string): Promise<void> {
  const el = root.querySelector(`[data-testid=${testid}]`);
  if (!el) throw new Error(`no ${testid}`);
  const e = new window.Event("click", { bubbles: true });
  Object.defineProperty(e, "isTrusted", { value: true });
  await act(async () => {
    el.dispatchEvent(e);
    await new Promise((r) => setTimeout(r, 0));
  });
}

beforeEach(() => {
  root = window.document.createElement("div");
  window.document.body.append(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
});

describe("panel: on showing", () => {
  it("stays the prompt when nothing is found", async () => {
    await show(api());
    expect(step()).toBe("prompt");
    expect(text("gh-open")).toBe("Request access");
  });
  it("shows access that is active, with the countdown and the still-denied hint instead of a new request", async () => {
    const grantStatus = vi.fn(async () => request({ extend: { by: "30m", remaining: 2, approval: false } }));
    await show(api({ grantStatus }));
    expect(grantStatus).toHaveBeenCalledWith({ app: "google-docs", resourceId: "doc1", url: detection.resource.url });
    expect(step()).toBe("approved");
    expect(text("gh-open")).toBeNull();
    expect(text("gh-reload")).toBe("Reload to continue");
    expect(text("gh-countdown")).toMatch(/^(30:00|29:5\d) left$/);
    expect(text("gh-still-denied")).toBe("Access was granted 5 min ago; the app may need a minute. Reload to check.");
    expect(text("gh-extend")).toBe("Extend by 30m");
  });
  it("asks the approvers to extend where the flow says so, and says when an extension waits for them", async () => {
    await show(api({ grantStatus: vi.fn(async () => request({ extend: { by: "1h", remaining: 1, approval: true } })) }));
    expect(text("gh-extend")).toBe("Ask to extend by 1h");
    expect(text("gh-extension-pending")).toBeNull();
  });
  it("shows an extension waiting for approval instead of offering another", async () => {
    await show(api({ grantStatus: vi.fn(async () => request({ extend: null, extensionRequest: { id: "r2", state: "pending" } })) }));
    expect(text("gh-extend")).toBeNull();
    expect(text("gh-extension-pending")).toBe("You asked to extend this access; the approvers have been asked.");
  });
  it("shows each state of a grant on its way", async () => {
    const cases: [Partial<GrantView>, string, RegExp][] = [
      [
        { state: "provisioning", endsAt: null, target: "acme-scim: group docs-readers" },
        "provisioning",
        /Setting up your access \(acme-scim: group docs-readers\)…/,
      ],
      [
        { state: "awaiting_start", endsAt: null, startBy: iso(3_600_000) },
        "awaiting_start",
        /Start it when you need it; it lasts 1h from then\. Start by/,
      ],
      [{ state: "scheduled", startsAt: iso(3_600_000), endsAt: null }, "scheduled", /Approved; starts at/],
      [{ state: "revoking", endReason: "expired" }, "ending", /Your access is being removed\./],
      [{ state: "failed", failedAction: "grant" }, "failed", /setting up the access did not work/],
      [{ state: "failed", failedAction: "revoke" }, "failed", /Removing your access did not go through/],
      [{ state: "revoked", endReason: "revoked", endedAt: iso(-60_000) }, "ended", /revoked by an admin/],
    ];
    for (const [g, expected, words] of cases) {
      await show(api({ grantStatus: async () => request(g) }));
      expect(step()).toBe(expected);
      expect(text("gh-status")).toMatch(words);
      render(null, root);
    }
  });
  it("offers the request again after an end", async () => {
    const preview = vi.fn(async () => fail("Cannot reach the relay"));
    await show(api({ grantStatus: async () => request({ state: "expired", endReason: "expired" }), preview }));
    expect(text("gh-status")).toContain("Your access has ended.");
    await click("gh-request-again");
    expect(preview).toHaveBeenCalled();
    expect(step()).toBe("error");
  });
});

describe("panel: live updates", () => {
  it("goes from sent through provisioning to approved, warns, extends and ends", async () => {
    const sent = request(null, { state: "pending" });
    const submit = vi.fn(async () => ({ ok: true, value: sent }) as const);
    const extendGrant = vi.fn(async () => ({ ok: true, value: request({ endsAt: iso(60 * 60_000), extend: null }) }) as const);
    await show(
      api({
        submit,
        extendGrant,
        preview: previewOf(),
      }),
    );
    await click("gh-open");
    expect(step()).toBe("form");
    await click("gh-submit");
    expect(step()).toBe("sent");

    await send(request({ state: "provisioning", endsAt: null }), "request.approved");
    expect(step()).toBe("provisioning");
    expect(text("gh-reload")).toBeNull();

    await send(request({ extend: { by: "30m", remaining: 1, approval: false } }), "grant.started");
    expect(step()).toBe("approved");
    expect(text("gh-still-denied")).toBeNull();
    expect(root.querySelector("[data-testid=gh-status]")?.getAttribute("data-soon")).toBe("false");

    await send(request({ extend: { by: "30m", remaining: 1, approval: false } }), "grant.expiring");
    expect(root.querySelector("[data-testid=gh-status]")?.getAttribute("data-soon")).toBe("true");

    await click("gh-extend");
    expect(extendGrant).toHaveBeenCalledWith("g1", "30m");
    expect(root.querySelector("[data-testid=gh-status]")?.getAttribute("data-soon")).toBe("false");
    expect(text("gh-extend")).toBeNull();

    await send(request({ state: "revoking", endReason: "expired" }), "grant.ending");
    expect(step()).toBe("ending");
    await send(request({ state: "expired", endReason: "expired" }), "grant.ended");
    expect(step()).toBe("ended");
    expect(text("gh-request-again")).not.toBeNull();
  });
  it("sends a scheduled start when one is chosen, and offers none where the flow starts on Start", async () => {
    const submit = vi.fn(async () => ({ ok: true, value: request(null, { state: "pending" }) }) as const);
    await show(api({ submit, preview: previewOf() }));
    await click("gh-open");
    const input = root.querySelector("[data-testid=gh-start-at]") as HTMLInputElement;
    const later = new Date(Date.now() + 2 * 3_600_000);
    const local = new Date(later.getTime() - later.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await act(async () => {
      input.value = local;
      input.dispatchEvent(new window.Event("input", { bubbles: true }));
    });
    await click("gh-submit");
    expect(submit).toHaveBeenCalledWith(expect.objectContaining({ startAt: new Date(local).toISOString() }));
    root.remove();
    root = window.document.createElement("div");
    window.document.body.append(root);
    await show(api({ submit, preview: previewOf({ activation: "on_start" }) }));
    await click("gh-open");
    expect(root.querySelector("[data-testid=gh-start-at]")).toBeNull();
  });
  it("starts access that waits for the requester, and shows a refusal", async () => {
    const startGrant = vi
      .fn<PanelApi["startGrant"]>()
      .mockResolvedValueOnce(fail("This grant is expired"))
      .mockResolvedValueOnce({ ok: true, value: request({ state: "provisioning", endsAt: null }) });
    await show(api({ grantStatus: async () => request({ state: "awaiting_start", endsAt: null }), startGrant }));
    await click("gh-start");
    expect(text("gh-status")).toContain("This grant is expired");
    await click("gh-start");
    expect(startGrant).toHaveBeenCalledWith("g1");
    expect(step()).toBe("provisioning");
  });
  it("goes to provisioning, not approved, after an auto-approved submit", async () => {
    const submit = vi.fn(async () => ({ ok: true, value: request({ state: "provisioning", endsAt: null }) }) as const);
    await show(
      api({
        submit,
        preview: previewOf({ approval: "auto", approvers: [] }),
      }),
    );
    await click("gh-open");
    await click("gh-submit");
    expect(step()).toBe("provisioning");
  });
  it("ignores updates of other requests and untrusted clicks", async () => {
    const startGrant = vi.fn<PanelApi["startGrant"]>();
    await show(api({ grantStatus: async () => request({ state: "awaiting_start", endsAt: null }), startGrant }));
    await send(request({}, { id: "other" }), "grant.started");
    expect(step()).toBe("awaiting_start");
    await act(async () => (root.querySelector("[data-testid=gh-start]") as HTMLElement).click());
    expect(startGrant).not.toHaveBeenCalled();
  });
});
