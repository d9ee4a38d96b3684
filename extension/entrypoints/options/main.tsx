import { render } from "preact";
import { browser } from "wxt/browser";
import { type PageExplanation, sendMessage } from "../../src/messaging.ts";
import { Options } from "../../src/ui/Options.tsx";
import "../../src/ui/pages.css";

/** Every tab with a content script answers with its page's explanation; others (browser pages, tabs opened before install) stay silent. */
async function explainTabs(): Promise<PageExplanation[]> {
  const tabs = await browser.tabs.query({});
  const answers = await Promise.all(
    tabs.map((t) =>
      t.id === undefined
        ? null
        : Promise.race([
            sendMessage("explainPage", undefined, { tabId: t.id, frameId: 0 }).catch(() => null),
            new Promise<null>((r) => setTimeout(() => r(null), 1500)),
          ]),
    ),
  );
  return answers.filter((a): a is PageExplanation => a !== null);
}

const app = document.getElementById("app");
if (app) {
  render(
    <Options
      getSession={() => sendMessage("getSession")}
      startSignIn={(relayUrl, email) => sendMessage("startSignIn", { relayUrl, email })}
      signOut={() => sendMessage("signOut")}
      explainTabs={explainTabs}
    />,
    app,
  );
}
