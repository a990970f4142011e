import { type ConnectDisplayMode, WIDGET_MESSAGE_TYPE } from "@grantvault/protocol";
import { escapeHtml, type RenderedPage, renderPage, scriptJson } from "./html.js";

export interface ConnectPageModel {
  /** `connect`: pick a provider; `auth`: sign in at the app's identity provider. */
  kind: "connect" | "auth";
  appName: string;
  confirmationCode: string;
  /** Where the forms post: `/connect/<token>`. */
  actionBase: string;
  providers: { id: string; displayName: string }[];
  /** Origins the forms may lead to: the providers' authorize endpoints, the app's return URL. */
  formTargets: string[];
  /** How the page was opened; carried through the forms to the end of the flow. */
  display: ConnectDisplayMode | null;
  /** In the widget's popup: where progress is reported (the session's allowed origin). */
  report: { targetOrigin: string; sessionId: string } | null;
}

/** The provider picker of a connect session, or the sign-in page of an `authenticate()` session. */
export function connectPage(model: ConnectPageModel): RenderedPage {
  const signIn = model.kind === "auth";
  const buttons = model.providers
    .map(
      (
        provider,
      ) => `<li><button class="provider" type="submit" name="provider" value="${escapeHtml(signIn ? "" : provider.id)}"
        data-provider="${escapeHtml(signIn ? "identity" : provider.id)}">Continue with ${escapeHtml(provider.displayName)}</button></li>`,
    )
    .join("\n");
  const display = model.display
    ? `<input type="hidden" name="display" value="${escapeHtml(model.display)}">`
    : "";
  const heading = signIn ? `Sign in to ${model.appName}` : `Connect an account to ${model.appName}`;
  const body = `<main>
  <h1>${escapeHtml(heading)}</h1>
  <p>Check that this code matches the one shown where you started, then ${signIn ? "sign in" : "choose a service"}.</p>
  <span class="code" data-confirmation-code aria-label="Confirmation code">${escapeHtml(model.confirmationCode)}</span>
  <form method="post" action="${escapeHtml(model.actionBase)}/start" data-form="start">
    ${display}
    <ul class="providers">
${buttons}
    </ul>
  </form>
  <form method="post" action="${escapeHtml(model.actionBase)}/cancel">
    ${display}
    <button class="secondary" type="submit" data-action="cancel">Cancel</button>
  </form>
  <footer>${
    signIn
      ? `${escapeHtml(model.appName)} learns who you are; your password stays with your identity provider.`
      : `Your tokens are stored encrypted by Grantvault; ${escapeHtml(model.appName)} never sees them.`
  }</footer>
</main>`;
  // Prevent a double submit from starting two OAuth flows.
  let script = `document.querySelectorAll("form").forEach(function (form) {
  form.addEventListener("submit", function () {
    setTimeout(function () { form.querySelectorAll("button").forEach(function (b) { b.disabled = true; }); }, 0);
  });
});`;
  if (model.report) {
    const base = { type: WIDGET_MESSAGE_TYPE, version: 1, session_id: model.report.sessionId };
    script += `
(function () {
  var base = ${scriptJson(base)}, target = ${scriptJson(model.report.targetOrigin)};
  function report(event, provider) {
    if (!window.opener) return;
    var message = Object.assign({}, base, { event: event, provider: provider });
    window.opener.postMessage(message, target);
  }
  document.querySelector('[data-form="start"]').addEventListener("submit", function (event) {
    var provider = event.submitter && event.submitter.value;
    report("PROVIDER_SELECTED", provider);
    report("OAUTH_STARTED", provider);
  });
})();`;
  }
  return renderPage({
    title: heading,
    body,
    script,
    formTargets: model.formTargets,
  });
}
