import { readFileSync } from "node:fs";
import { parseHTML } from "linkedom";
import { describe, expect, it } from "vitest";
import { detect } from "../src/detect/index.ts";

const page = (html: string) => parseHTML(html).document as unknown as Document;
const fixture = readFileSync(new URL("../../test/e2e/fixtures/google-docs-you-need-access.html", import.meta.url), "utf8");

const GITHUB_404 = (login: string) => `<!doctype html><html><head><title>Page not found · GitHub</title>
<meta name="user-login" content="${login}"></head><body><img alt="404 “This is not the web page you are looking for”" src="x.png"></body></html>`;

describe("detect()", () => {
  it.each([
    [
      "https://docs.google.com/document/d/1Qm7vXcR2pLkT9sWbN4eYhJ8uFzA3dG6oKiE0tP5rBqM/edit",
      "1Qm7vXcR2pLkT9sWbN4eYhJ8uFzA3dG6oKiE0tP5rBqM",
    ],
    ["https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUv/edit#gid=0", "1AbCdEfGhIjKlMnOpQrStUv"],
    ["https://docs.google.com/presentation/u/1/d/1PresentationId_-xyz/view", "1PresentationId_-xyz"],
    ["https://drive.google.com/drive/folders/0BFolderIdAbCdEf", "0BFolderIdAbCdEf"],
    ["https://drive.google.com/open?id=1OpenIdAbCdEfGh", "1OpenIdAbCdEfGh"],
  ])("finds Google's 'You need access' at %s", (url, id) => {
    const d = detect(page(fixture), new URL(url));
    expect(d).toMatchObject({ app: "google-docs", resource: { id, url } });
    expect(d?.message).toBe("You need access. Ask for access, or switch to an account with access.");
    expect(d?.confidence).toBeGreaterThan(0.9);
  });

  it("ignores an ordinary Google Doc", () => {
    const doc = page(
      "<html><head><title>Budget - Google Docs</title></head><body><h1>Budget 2027</h1><p>Access denied errors are listed below.</p></body></html>",
    );
    expect(detect(doc, new URL("https://docs.google.com/document/d/1abc1234567/edit"))).toBeNull();
  });

  it("treats GitHub's 404 as denied only on a repository URL while signed in", () => {
    expect(detect(page(GITHUB_404("dana")), new URL("https://github.com/acme-corp/billing-service/pull/12"))).toMatchObject({
      app: "github",
      resource: { id: "acme-corp/billing-service" },
    });
    expect(detect(page(GITHUB_404("")), new URL("https://github.com/acme-corp/billing-service"))).toBeNull();
    expect(detect(page(GITHUB_404("dana")), new URL("https://github.com/settings/billing"))).toBeNull();
    expect(detect(page(GITHUB_404("dana")), new URL("https://github.com/acme-corp"))).toBeNull();
  });

  it("ignores hosts it has no rule for", () => {
    expect(detect(page(fixture), new URL("https://example.com/document/d/1abc/edit"))).toBeNull();
  });
});
