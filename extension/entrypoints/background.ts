import { defineBackground } from "wxt/utils/define-background";
import { setupMessages, setupSync } from "../src/background/setup.ts";

export default defineBackground({
  type: "module",
  main() {
    setupMessages();
    setupSync();
  },
});
