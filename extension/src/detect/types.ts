import type { Detection } from "@gatehouse/shared";

/** One app's detection rule: the hosts it runs on and a pure check of the page. */
export interface AppRule {
  app: string;
  hosts: string[];
  detect(doc: Document, url: URL): Detection | null;
}
