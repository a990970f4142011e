import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { BUNDLES } from "./bundles.js";
import { type HttpSite, html, serve } from "./http-site.js";

function sendBundle(response: ServerResponse, file: string): void {
  response.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" });
  response.end(readFileSync(file));
}

/**
 * The app page of the widget tests: loads the UMD bundle, creates a widget for `?vault=`, and
 * records every callback in `log`, every `message` event in `raw` (a listener registered before the
 * widget's, so once a message is in `raw` the widget has seen it too) and every `window.open` call in
 * `opens`. `#open` opens the widget with `window.token` (`?token=`); `?auto` opens it while the page
 * loads, outside any user gesture. (Playwright's evaluate() counts as a user gesture, so the
 * auto-open must happen before the test's first evaluate.) `/return` shows what `readReturn()` makes of its URL; `/esm` loads the
 * ESM build.
 */
export async function startAppSite(): Promise<HttpSite> {
  return serve((_request, response, url) => {
    if (url.pathname === "/grantvault-connect.umd.js") return sendBundle(response, BUNDLES.umd);
    if (url.pathname === "/grantvault-connect.mjs") return sendBundle(response, BUNDLES.esm);
    if (url.pathname === "/return") {
      return html(
        response,
        `<script src="/grantvault-connect.umd.js"></script><pre id="return"></pre>
<script>document.getElementById("return").textContent = JSON.stringify(GrantvaultConnect.readReturn());</script>`,
      );
    }
    if (url.pathname === "/esm") {
      return html(
        response,
        `<pre id="esm"></pre><script type="module">
import GrantvaultConnect, { create, readReturn, VERSION } from "/grantvault-connect.mjs";
const widget = GrantvaultConnect.create({ baseUrl: "http://127.0.0.1:1" });
document.getElementById("esm").textContent = JSON.stringify({
  same: create === GrantvaultConnect.create && readReturn === GrantvaultConnect.readReturn,
  version: VERSION,
  methods: Object.keys(widget).sort(),
  ret: readReturn("https://app.example/done?grantvault_session_id=cs_1&grantvault_status=denied"),
});
</script>`,
      );
    }
    if (url.pathname !== "/") return html(response, "not found", 404);
    return html(
      response,
      `<button id="open">Connect an account</button>
<script src="/grantvault-connect.umd.js"></script>
<script>
const q = new URLSearchParams(location.search);
window.log = []; window.raw = []; window.opens = [];
addEventListener("message", (e) => raw.push({ origin: e.origin, data: e.data }));
const realOpen = window.open;
window.open = function (...args) { opens.push(args.map(String)); return realOpen.apply(this, args); };
window.token = q.get("token");
window.widget = GrantvaultConnect.create({ baseUrl: q.get("vault"), debug: q.has("debug") });
window.openWidget = () => {
  const before = opens.length;
  widget.open({
    token: window.token,
    onSuccess: (results) => log.push(["success", results]),
    onError: (error) => log.push(["error", error.code, error.message, error.name, error instanceof Error]),
    onExit: () => log.push(["exit"]),
    onEvent: (name, metadata) => log.push(["event", name, metadata]),
  });
  log.push(["window.open calls during open()", opens.length - before]);
};
document.getElementById("open").addEventListener("click", () => openWidget());
if (q.has("auto")) openWidget();
</script>`,
    );
  });
}
