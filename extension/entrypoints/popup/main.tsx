import { render } from "preact";
import { requestsItem } from "../../src/background/state.ts";
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
      startGrant={(grantId) => sendMessage("startGrant", { grantId })}
      extendGrant={(grantId, by) => sendMessage("extendGrant", by === undefined ? { grantId } : { grantId, by })}
      releaseGrant={(grantId) => sendMessage("releaseGrant", { grantId })}
      onRequestsChanged={(fn) => requestsItem.watch((list) => fn(list ?? []))}
      openOptions={() => void sendMessage("openOptions")}
    />,
    app,
  );
}
