import { escapeHtml, type RenderedPage, renderPage } from "./html.js";

export type ResultKind = "success" | "denied" | "error";

/** The page the user lands on at the end: what happened and what to do now. */
export function resultPage(kind: ResultKind, heading: string, message: string): RenderedPage {
  const icon =
    kind === "success"
      ? `<div class="status ok" aria-hidden="true">✓</div>`
      : `<div class="status bad" aria-hidden="true">✕</div>`;
  const body = `<main data-result="${kind}" role="${kind === "success" ? "status" : "alert"}">
  ${icon}
  <h1>${escapeHtml(heading)}</h1>
  <p>${escapeHtml(message)}</p>
  ${kind === "success" ? "<p>You can close this tab and return to where you started.</p>" : ""}
</main>`;
  return renderPage({ title: heading, body });
}
