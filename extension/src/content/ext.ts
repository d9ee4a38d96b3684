/**
 * The few extension APIs the always-loaded content script needs, taken from
 * the browser's own namespace (`browser` in Firefox, `chrome` in Chromium;
 * both promise-based in MV3) rather than through a polyfill, which would add
 * several kilobytes to every page load.
 */
interface StorageChange {
  oldValue?: unknown;
  newValue?: unknown;
}
interface ContentApis {
  runtime: { getURL(path: string): string };
  storage: {
    local: { get(key: string): Promise<Record<string, unknown>> };
    onChanged: {
      addListener(fn: (changes: Record<string, StorageChange>, area: string) => void): void;
      removeListener(fn: (changes: Record<string, StorageChange>, area: string) => void): void;
    };
  };
}

const g = globalThis as unknown as { browser?: ContentApis; chrome: ContentApis };
export const ext: ContentApis = g.browser ?? g.chrome;
