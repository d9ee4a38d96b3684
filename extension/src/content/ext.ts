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
/** A message in the shape of the extension's typed protocol (src/messaging.ts, @webext-core/messaging). */
export interface ProtocolMessage {
  id: number;
  type: string;
  data: unknown;
  timestamp: number;
}
interface ContentApis {
  runtime: {
    getURL(path: string): string;
    sendMessage(message: ProtocolMessage): Promise<unknown>;
    onMessage: {
      addListener(fn: (message: unknown, sender: unknown, respond: (answer: unknown) => void) => undefined | boolean): void;
      removeListener(fn: (message: unknown, sender: unknown, respond: (answer: unknown) => void) => undefined | boolean): void;
    };
  };
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
