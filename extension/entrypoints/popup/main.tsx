import { render } from "preact";
import { sendMessage } from "../../src/messaging.ts";
import { Popup } from "../../src/ui/Popup.tsx";
import "../../src/ui/pages.css";

const app = document.getElementById("app");
if (app) {
  render(
    <Popup
      getSession={() => sendMessage("getSession")}
      listRequests={() => sendMessage("listRequests")}
      answerQuestion={(requestId, answer) => sendMessage("answerQuestion", { requestId, answer })}
      cancelRequest={(requestId) => sendMessage("cancelRequest", { requestId })}
      openOptions={() => void sendMessage("openOptions")}
    />,
    app,
  );
}
