import { type ConnectDisplayMode, WIDGET_MESSAGE_TYPE } from "@grantvault/protocol";
import { escapeHtml, type RenderedPage, renderPage, scriptJson } from "./html.js";

export interface ConnectPageModel {
  /** `connect`: pick a provider; `auth`: sign in at the app's identity provider. */
  kind: "connect" | "auth";
  appName: string;
  confirmationCode: string;
  /** Where the forms post: `/connect/<token>`. */
  actionBase: string;
  providers: ConnectPageProvider[];
  /** Origins the forms may lead to: the providers' authorize endpoints, the app's return URL. */
  formTargets: string[];
  /** How the page was opened; carried through the forms to the end of the flow. */
  display: ConnectDisplayMode | null;
  /** In the widget's popup: where progress is reported (the session's allowed origin). */
  report: { targetOrigin: string; sessionId: string } | null;
}

/** A provider on the page, with the parameters the user must type (those the session did not give). */
export interface ConnectPageProvider {
  id: string;
  displayName: string;
  parameters?: ConnectPageParameter[];
}

export interface ConnectPageParameter {
  name: string;
  /** The label (the parameter's displayName, else its name). */
  label: string;
  /** The parameter's description, shown under the field. */
  hint: string | null;
  /** An HTML `pattern` attribute (a convenience: the vault checks the value itself), or null. */
  htmlPattern: string | null;
  /** What the user typed last time (the page came back with an error). */
  value: string;
  error: string | null;
}

/** The form field that carries a parameter's value to `/start`. */
export const PARAM_FIELD_PREFIX = "param.";

/** The provider picker of a connect session, or the sign-in page of an `authenticate()` session. */
export function connectPage(model: ConnectPageModel): RenderedPage {
  const signIn = model.kind === "auth";
  const display = model.display
    ? `<input type="hidden" name="display" value="${escapeHtml(model.display)}">`
    : "";
  const button = (provider: ConnectPageProvider) =>
    `<button class="provider" type="submit" name="provider" value="${escapeHtml(signIn ? "" : provider.id)}"
        data-provider="${escapeHtml(signIn ? "identity" : provider.id)}">Continue with ${escapeHtml(provider.displayName)}</button>`;
  // A provider whose URLs need values the session did not give gets a form of its own.
  const parameterForms = model.providers
    .filter((provider) => !signIn && (provider.parameters?.length ?? 0) > 0)
    .map((provider) => {
      const fields = (provider.parameters ?? [])
        .map((parameter) => {
          const id = `param-${provider.id}-${parameter.name}`;
          return `<label for="${escapeHtml(id)}">${escapeHtml(parameter.label)}</label>
      <input id="${escapeHtml(id)}" name="${escapeHtml(PARAM_FIELD_PREFIX + parameter.name)}" required
        autocomplete="off" spellcheck="false" maxlength="100" value="${escapeHtml(parameter.value)}"${
          parameter.htmlPattern ? ` pattern="${escapeHtml(parameter.htmlPattern)}"` : ""
        }${parameter.error ? ' aria-invalid="true"' : ""} data-param="${escapeHtml(parameter.name)}">${
          parameter.hint
            ? `
      <p class="hint">${escapeHtml(parameter.hint)}</p>`
            : ""
        }${
          parameter.error
            ? `
      <p class="error" role="alert">${escapeHtml(parameter.error)}</p>`
            : ""
        }`;
        })
        .join("\n      ");
      return `<form class="params" method="post" action="${escapeHtml(model.actionBase)}/start" data-form="start" data-params-for="${escapeHtml(provider.id)}">
      ${display}
      ${fields}
      ${button(provider)}
    </form>`;
    })
    .join("\n  ");
  const buttons = model.providers
    .filter((provider) => signIn || (provider.parameters?.length ?? 0) === 0)
    .map((provider) => `<li>${button(provider)}</li>`)
    .join("\n");
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
  ${parameterForms}
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
  document.querySelectorAll('[data-form="start"]').forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var provider = event.submitter && event.submitter.value;
      report("PROVIDER_SELECTED", provider);
      report("OAUTH_STARTED", provider);
    });
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
