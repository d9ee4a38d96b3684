import { createStore, del, get, set } from "idb-keyval";

/**
 * The device token lives only in the background's own IndexedDB (extension
 * origin): content scripts, which share `storage.local` with the page's
 * process, never see it, and it survives browser restarts.
 */
const store = createStore("gatehouse", "secrets");
const KEY = "deviceToken";

export const tokenStore = {
  get: () => get<string>(KEY, store),
  set: (token: string) => set(KEY, token, store),
  clear: () => del(KEY, store),
};
