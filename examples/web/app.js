// The example page: one button that connects an account with the Connect.js widget.
/* global GrantvaultConnect */
const connect = GrantvaultConnect.create({
  baseUrl: document.body.dataset.vaultUrl,
  debug: new URLSearchParams(location.search).has("debug"),
});
const button = document.getElementById("connect");
const result = document.getElementById("result");
const errorLine = document.getElementById("error");
const events = document.getElementById("events");
let token = null;

function note(text) {
  const item = document.createElement("li");
  item.textContent = text;
  events.append(item);
}

function showGrant(grant) {
  errorLine.hidden = true;
  result.hidden = false;
  result.querySelector("[data-grant-id]").textContent = grant.grant_id;
  result.querySelector("[data-provider]").textContent = grant.provider_id;
  result.querySelector("[data-account]").textContent = grant.account_identifier;
  result.querySelector("[data-scopes]").textContent = grant.scopes.join(" ");
}

function showError(code, message) {
  errorLine.hidden = false;
  errorLine.dataset.errorCode = code;
  errorLine.textContent = `${message} (${code})`;
}

// The session is minted before the click: open() has to run synchronously inside the click handler,
// or the browser's popup blocker steps in. A session token is used once, so each flow gets a new one.
async function prepare() {
  button.disabled = true;
  token = null;
  try {
    const response = await fetch("/api/connect-session", { method: "POST" });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      showError(
        body.error ?? "backend_error",
        `Could not start a connect session: ${body.message ?? response.status}`,
      );
      return;
    }
    token = body.session_token;
    button.disabled = false;
  } catch (error) {
    showError("backend_error", `Could not start a connect session: ${error.message}`);
  }
}

button.addEventListener("click", () => {
  if (!token) return;
  connect.open({
    token,
    onSuccess(results) {
      note("success");
      showGrant(results[0]);
      prepare();
    },
    onError(error) {
      note(`error ${error.code}`);
      showError(error.code, error.message);
      prepare();
    },
    onExit() {
      note("exit");
      prepare();
    },
    onEvent(name, metadata) {
      note(metadata.provider ? `${name} ${metadata.provider}` : name);
    },
  });
});

// Back from a redirect-mode session (small screens): the vault added the session id and status.
// The status in the URL is only a hint (anyone can type it): what happened is what the backend
// reads from the vault. A success shows its grant; anything else shows a code other than "success".
async function showReturn(back) {
  try {
    const response = await fetch(`/api/connect-result?session_id=${encodeURIComponent(back.sessionId)}`);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      showError(
        body.error ?? "backend_error",
        `Could not read the result: ${body.message ?? response.status}`,
      );
    } else if (body.results?.length) {
      showGrant(body.results[0]);
    } else if (body.error) {
      showError(body.error.code, body.error.message);
    } else {
      showError("not_finished", `The connection did not finish (the session is ${body.status}).`);
    }
  } catch (error) {
    showError("backend_error", `Could not read the result: ${error.message}`);
  }
}

const back = GrantvaultConnect.readReturn();
if (back) {
  history.replaceState(null, "", location.pathname);
  note(`returned ${back.status}`);
  showReturn(back);
}
prepare();
