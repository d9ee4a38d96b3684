/**
 * The few extension APIs the always-loaded content script needs, taken from
 * the browser's own `chrome` namespace (promise-based in MV3 on Chromium and
 * Firefox) rather than through the webextension polyfill, which would add
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

export const ext: ContentApis = (globalThis as unknown as { chrome: ContentApis }).chrome;
