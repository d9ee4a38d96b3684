import type { Detection } from "@gatehouse/shared";

/**
 * Keeps the verdict for the page current as the page changes under it:
 * single-page apps navigate with the history API and render their denial
 * late, or in a modal. The rules:
 *
 * - check once when started (the content script runs at document_idle), in
 *   the next idle moment;
 * - check again on every same-document navigation (Navigation API where the
 *   browser has it, history events and a URL comparison otherwise);
 * - while the URL is undecided, watch DOM mutations, throttled: at most one
 *   check per `interval` ms, and one per `slowInterval` ms once the URL has
 *   been shown for `patience` ms (a busy page that is not denied should cost
 *   next to nothing);
 * - stop watching mutations once the URL is decided (denied) and settled,
 *   resume on the next navigation. For SETTLE_MS after a navigation the
 *   verdict stays revisable: the old route's DOM may still be on screen when
 *   the URL changes, and a denial read from it must be withdrawn once the new
 *   route renders.
 *
 * The observer is disconnected as soon as it reports a change and
 * reconnected after the throttled check has run: the check reads the page as
 * it is then, so the mutations in between need no records. A page inserting
 * thousands of nodes per second costs one mutation record and one check per
 * interval, not one record per node.
 */
export interface WatchOptions {
  window: Window;
  check(): Detection | null;
  /** Called with a new verdict: a detection, or null when a denied URL is left. */
  onChange(detection: Detection | null): void;
  /** Called on each same-document navigation, before the check. */
  onNavigate?(): void;
  interval?: number;
  slowInterval?: number;
  patience?: number;
}

export interface Watcher {
  /** Re-check now (e.g. the admin rules changed). */
  recheck(): void;
  stop(): void;
}

/** The same verdict: the same app and resource (the panel need not be drawn again). */
export function sameDetection(a: Detection | null, b: Detection | null): boolean {
  return a?.app === b?.app && a?.resource.id === b?.resource.id && a?.resource.url === b?.resource.url;
}

/** After a navigation the old route's DOM may still be on screen: verdicts stay revisable this long. */
const SETTLE_MS = 3000;

export function watchPage(opts: WatchOptions): Watcher {
  const win = opts.window;
  const doc = win.document;
  const interval = opts.interval ?? 250;
  const slowInterval = opts.slowInterval ?? 2000;
  const patience = opts.patience ?? 15_000;

  let url = win.location.href;
  let urlSince = performance.now();
  let settleUntil = 0;
  let current: Detection | null = null;
  let lastCheck = 0;
  let lastCost = 0;
  /** The one scheduled check; clearing it cancels a check already queued for an idle moment. */
  let pending: object | null = null;
  let force = false;
  let stopped = false;

  const observer = new MutationObserver(() => {
    observe(false);
    schedule();
  });
  let observing = false;
  const observe = (on: boolean) => {
    if (on === observing || (on && stopped)) return;
    observing = on;
    if (on) {
      observer.observe(doc.documentElement, {
        childList: true,
        subtree: true,
        attributes: true,
        attributeFilter: ["hidden", "open", "aria-hidden", "class"],
      });
    } else {
      observer.disconnect();
    }
  };

  const check = (): Detection | null => {
    try {
      return opts.check();
    } catch (err) {
      // A bug in one check must not end the watching.
      console.warn("Gatehouse: detection failed", err);
      return null;
    }
  };

  const run = () => {
    pending = null;
    if (stopped) return;
    lastCheck = performance.now();
    if (win.location.href !== url) {
      url = win.location.href;
      urlSince = lastCheck;
    }
    const found = check();
    lastCost = performance.now() - lastCheck;
    const young = lastCheck < settleUntil;
    if (!sameDetection(found, current)) {
      // Once settled, a denial that disappears without a navigation (the app
      // re-rendered) is kept until the URL changes: flicker in the app must not
      // flicker the panel. Right after a navigation, or when the rules changed,
      // the new verdict stands.
      if (found || young || force || win.location.href !== current?.resource.url) {
        current = found;
        opts.onChange(found);
      }
    }
    force = false;
    observe(current === null || young);
  };

  function schedule(now = false) {
    if (stopped || pending) return;
    const token = {};
    pending = token;
    const t = performance.now();
    // A duty cycle of at most 2 %: on a huge page where a check costs 8 ms, the gap grows to 400 ms.
    const gap = Math.max(t - urlSince > patience ? slowInterval : interval, lastCost * 50);
    const wait = now ? 0 : Math.max(0, lastCheck + gap - t);
    // Checks caused by mutations wait for an idle moment (at most a second): a
    // page busy rendering finishes its work first, and the check then reads
    // the settled page once instead of competing with every burst.
    const go = () => {
      if (pending === token) run();
    };
    setTimeout(() => {
      if (pending !== token) return;
      if (now || typeof win.requestIdleCallback !== "function") go();
      else win.requestIdleCallback(go, { timeout: 1000 });
    }, wait);
  }

  const navigated = () => {
    if (stopped || win.location.href === url) return;
    url = win.location.href;
    urlSince = performance.now();
    settleUntil = urlSince + SETTLE_MS;
    pending = null;
    opts.onNavigate?.();
    // Check at once, then keep watching: the new route usually renders a moment later.
    schedule(true);
    observe(true);
  };

  const nav = (win as Window & { navigation?: EventTarget }).navigation;
  const onNavigate = () => setTimeout(navigated, 0);
  nav?.addEventListener("currententrychange", onNavigate);
  win.addEventListener("popstate", onNavigate);
  win.addEventListener("hashchange", onNavigate);
  // Without the Navigation API a pushState is invisible to an isolated world; the
  // mutation observer and this slow poll catch it.
  const poll = nav ? undefined : setInterval(navigated, 1000);

  // The first check also waits for an idle moment (at most half a second): it
  // compiles the vocabulary, and a page still busy loading should not wait for that.
  if (typeof win.requestIdleCallback === "function") {
    const token = {};
    pending = token;
    setTimeout(() => win.requestIdleCallback(() => pending === token && run(), { timeout: 500 }), 0);
  } else {
    run();
  }

  return {
    recheck() {
      force = true;
      pending = null;
      schedule(true);
    },
    stop() {
      stopped = true;
      pending = null;
      observe(false);
      if (poll !== undefined) clearInterval(poll);
      nav?.removeEventListener("currententrychange", onNavigate);
      win.removeEventListener("popstate", onNavigate);
      win.removeEventListener("hashchange", onNavigate);
    },
  };
}
