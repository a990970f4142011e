import { escapeHtml, type RenderedPage, renderPage } from "./html.js";

export interface ConnectPageModel {
  appName: string;
  confirmationCode: string;
  /** Where the forms post: `/connect/<token>`. */
  actionBase: string;
  providers: { id: string; displayName: string }[];
  /** Origins of the providers' authorize endpoints (the start form redirects there). */
  providerOrigins: string[];
}

/** The provider picker of a connect session. */
export function connectPage(model: ConnectPageModel): RenderedPage {
  const buttons = model.providers
    .map(
      (
        provider,
      ) => `<li><button class="provider" type="submit" name="provider" value="${escapeHtml(provider.id)}"
        data-provider="${escapeHtml(provider.id)}">Continue with ${escapeHtml(provider.displayName)}</button></li>`,
    )
    .join("\n");
  const body = `<main>
  <h1>Connect an account to ${escapeHtml(model.appName)}</h1>
  <p>Check that this code matches the one shown where you started, then choose a service.</p>
  <span class="code" data-confirmation-code aria-label="Confirmation code">${escapeHtml(model.confirmationCode)}</span>
  <form method="post" action="${escapeHtml(model.actionBase)}/start">
    <ul class="providers">
${buttons}
    </ul>
  </form>
  <form method="post" action="${escapeHtml(model.actionBase)}/cancel">
    <button class="secondary" type="submit" data-action="cancel">Cancel</button>
  </form>
  <footer>Your tokens are stored encrypted by Grantvault; ${escapeHtml(model.appName)} never sees them.</footer>
</main>`;
  // Prevent a double submit from starting two OAuth flows.
  const script = `document.querySelectorAll("form").forEach(function (form) {
  form.addEventListener("submit", function () {
    setTimeout(function () { form.querySelectorAll("button").forEach(function (b) { b.disabled = true; }); }, 0);
  });
});`;
  return renderPage({
    title: `Connect to ${model.appName}`,
    body,
    script,
    formTargets: model.providerOrigins,
  });
}
