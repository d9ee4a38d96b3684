import { render } from "preact";
import { sendMessage } from "../../src/messaging.ts";
import { Options } from "../../src/ui/Options.tsx";
import "../../src/ui/pages.css";

const app = document.getElementById("app");
if (app) {
  render(
    <Options
      getSession={() => sendMessage("getSession")}
      startSignIn={(relayUrl, email) => sendMessage("startSignIn", { relayUrl, email })}
      signOut={() => sendMessage("signOut")}
    />,
    app,
  );
}
