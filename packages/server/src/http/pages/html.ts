import { randomBytes } from "node:crypto";

/** Text made safe for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** A value as a JavaScript literal that is safe inside an inline <script> (no `</script>` breakout). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll("<", "\\u003c")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

/** A rendered page and the Content-Security-Policy that lets exactly its inline style and script run. */
export interface RenderedPage {
  html: string;
  csp: string;
}

const STYLE = `
:root { color-scheme: light dark; --bg: #f4f5f7; --card: #fff; --text: #1d2330; --muted: #5b6475;
  --accent: #2454d6; --accent-text: #fff; --border: #d9dde5; --ok: #18794e; --bad: #b42318; }
@media (prefers-color-scheme: dark) { :root { --bg: #11151c; --card: #1b212b; --text: #e8ebf1; --muted: #9aa4b5;
  --accent: #6d92ff; --accent-text: #0b1020; --border: #2c3442; --ok: #4cc38a; --bad: #ff7b72; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; padding: 24px 16px;
  background: var(--bg); color: var(--text); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { width: 100%; max-width: 440px; background: var(--card); border: 1px solid var(--border);
  border-radius: 14px; padding: 28px 24px; box-shadow: 0 8px 24px rgb(0 0 0 / 0.06); }
h1 { font-size: 1.35rem; margin: 0 0 8px; }
p { margin: 0 0 16px; color: var(--muted); }
.code { display: block; font: 600 1.5rem/1.2 ui-monospace, SFMono-Regular, Menlo, monospace; letter-spacing: 0.12em;
  text-align: center; padding: 12px; margin: 0 0 20px; border: 1px dashed var(--border); border-radius: 10px; color: var(--text); }
.providers { display: grid; gap: 10px; margin: 0 0 16px; padding: 0; list-style: none; }
button { font: inherit; width: 100%; min-height: 48px; border-radius: 10px; cursor: pointer; padding: 10px 16px; }
button.provider { background: var(--accent); color: var(--accent-text); border: 0; font-weight: 600; }
button.secondary { background: transparent; color: var(--muted); border: 1px solid var(--border); }
button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
button:disabled { opacity: 0.6; cursor: progress; }
form.params { display: grid; gap: 8px; margin: 0 0 16px; padding: 12px; border: 1px solid var(--border); border-radius: 10px; }
form.params label { font-weight: 600; }
form.params input { font: inherit; width: 100%; min-height: 40px; padding: 6px 10px; border-radius: 8px;
  border: 1px solid var(--border); background: var(--bg); color: var(--text); }
form.params .hint { margin: 0; font-size: 0.85rem; }
form.params .error { margin: 0; color: var(--bad); font-size: 0.9rem; }
.status { font-size: 2.2rem; line-height: 1; margin: 0 0 12px; }
.ok { color: var(--ok); } .bad { color: var(--bad); }
footer { margin-top: 20px; font-size: 0.8rem; color: var(--muted); text-align: center; }
`;

/**
 * A complete page: inline CSS and (optional) JS allowed by a per-response nonce, nothing else.
 * `formTargets` are the origins forms may submit to and be redirected to (CSP form-action).
 */
export function renderPage(options: {
  title: string;
  body: string;
  script?: string;
  formTargets?: string[];
}): RenderedPage {
  const nonce = randomBytes(16).toString("base64");
  const script = options.script ? `<script nonce="${nonce}">${options.script}</script>` : "";
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="robots" content="noindex">
<title>${escapeHtml(options.title)}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
${options.body}
${script}
</body>
</html>
`;
  const formAction = ["'self'", ...(options.formTargets ?? [])].join(" ");
  const csp = [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `form-action ${formAction}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
  return { html, csp };
}
