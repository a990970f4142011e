import type { WidgetMessage } from "@grantvault/protocol";
import { escapeHtml, type RenderedPage, renderPage, scriptJson } from "./html.js";

export type ResultKind = "success" | "denied" | "error";

/** A message for the Connect.js widget that opened this page as a popup. */
export interface PopupReport {
  /** The session's allowed origin: the message goes nowhere else. */
  targetOrigin: string;
  message: WidgetMessage;
}

/**
 * The page the user lands on at the end: what happened and what to do now. In a popup opened by
 * the widget, it also reports the result to the opener and closes itself. `options.errorCode` (a
 * code of the error registry) is carried as `data-error-code`, for scripts and tests.
 */
export function resultPage(
  kind: ResultKind,
  heading: string,
  message: string,
  options: { report?: PopupReport | undefined; errorCode?: string | undefined } = {},
): RenderedPage {
  const { report, errorCode } = options;
  const icon =
    kind === "success"
      ? `<div class="status ok" aria-hidden="true">✓</div>`
      : `<div class="status bad" aria-hidden="true">✕</div>`;
  const codeAttribute = errorCode ? ` data-error-code="${escapeHtml(errorCode)}"` : "";
  const body = `<main data-result="${kind}"${codeAttribute} role="${kind === "success" ? "status" : "alert"}">
  ${icon}
  <h1>${escapeHtml(heading)}</h1>
  <p>${escapeHtml(message)}</p>
  ${kind === "success" ? "<p>You can close this tab and return to where you started.</p>" : ""}
</main>`;
  const script = report
    ? `if (window.opener) {
  window.opener.postMessage(${scriptJson(report.message)}, ${scriptJson(report.targetOrigin)});
  setTimeout(function () { window.close(); }, 300);
}`
    : undefined;
  return renderPage({ title: heading, body, ...(script ? { script } : {}) });
}
