import { parse as parseQueryString } from "node:querystring";
import { CONNECT_DISPLAY_MODES, type ConnectDisplayMode } from "@grantvault/protocol";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../../clock.js";
import {
  type ConnectFlow,
  ConnectionParamsRefused,
  type UnusableSession,
} from "../../connect/connect-flow.js";
import type { ConnectSessionService } from "../../connect/connect-sessions.js";
import { VaultError } from "../../errors.js";
import { ConnectFailure } from "../../oauth/connect-failure.js";
import { htmlPatternOf, originSourceOf, PARAMETER_NAME } from "../../providers/connection-parameters.js";
import type { ResolvedProvider } from "../../providers/resolved-provider.js";
import type { ConnectSessionRecord } from "../../storage/connect-sessions-repository.js";
import type { Store } from "../../storage/store.js";
import type { FlowCookies } from "../flow-cookie.js";
import { replyWithOutcome } from "../flow-outcome-reply.js";
import { type ConnectPageParameter, connectPage, PARAM_FIELD_PREFIX } from "../pages/connect-page.js";
import { resultPage } from "../pages/result-page.js";
import { sendPage } from "../pages/send-page.js";
import { registerSessionStatus } from "./get-connect-session-status.js";

interface TokenParams {
  token: string;
}

const UNUSABLE: Record<UnusableSession, { status: number; heading: string; message: string }> = {
  not_found: {
    status: 404,
    heading: "This link is not valid",
    message: "Check that you opened the whole link, or start again from your app.",
  },
  expired: {
    status: 410,
    heading: "This link has expired",
    message: "Connect links are valid for 10 minutes. Start again from your app.",
  },
  finished: {
    status: 410,
    heading: "This link was already used",
    message: "This connection request is finished. Start again from your app to connect another account.",
  },
  app_disabled: {
    status: 403,
    heading: "This app is disabled",
    message:
      "The vault's operator has disabled the app that sent you here; nothing can be connected for it now.",
  },
};

/**
 * The hosted Connect page (`/connect/<session token>`): the provider picker, and the two form
 * posts it makes — start OAuth with a provider (binding the flow to this browser with a cookie,
 * F2), or cancel.
 */
export async function registerConnectPages(
  app: FastifyInstance,
  deps: {
    flow: ConnectFlow;
    sessions: ConnectSessionService;
    store: Store;
    publicUrl: string;
    cookies: FlowCookies;
    clock: Clock;
  },
): Promise<void> {
  await app.register(async (pages) => {
    // HTML forms post urlencoded bodies; only these routes accept them.
    pages.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string", bodyLimit: 4096 },
      (_request, body, done) => done(null, parseQueryString(body as string)),
    );

    pages.get<{ Params: TokenParams; Querystring: Record<string, unknown> }>(
      "/connect/:token",
      async (request, reply) => {
        const session = await deps.flow.usableSession(request.params.token);
        if (typeof session === "string") return unusable(reply, session);
        return renderConnectPage(reply, 200, request.params.token, session, displayOf(request.query.display));
      },
    );

    registerSessionStatus(pages, deps.sessions);

    pages.post<{ Params: TokenParams; Body: Record<string, unknown> }>(
      "/connect/:token/start",
      async (request, reply) => {
        const session = await formSession(request, reply);
        if (!session) return reply;
        const provider = request.body?.provider;
        const display = displayOf(request.body?.display);
        const typed = typedParams(request.body);
        try {
          if (session.kind === "connect" && typeof provider !== "string")
            throw new ConnectFailure("provider_config", "Choose a service to connect.");
          const started = await deps.flow.begin(
            session,
            typeof provider === "string" ? provider : null,
            display,
            typed,
          );
          deps.cookies.set(reply, started.binding, started.expiresAt, deps.clock.now());
          return reply.redirect(started.authorizeUrl, 303);
        } catch (error) {
          const given =
            error instanceof ConnectionParamsRefused
              ? (session.connectionParams?.[error.providerId] ?? {})
              : {};
          if (error instanceof ConnectionParamsRefused && error.problems.some(({ path }) => path in given)) {
            // A value the app gave no longer fits (the operator changed the provider): not the
            // user's to fix.
            request.log.warn({ providerId: error.providerId }, "session connection parameters no longer fit");
            return sendPage(
              reply,
              400,
              resultPage(
                "error",
                "Could not start the connection",
                "This service's settings changed since this link was made. Start again from your app.",
              ),
            );
          }
          if (error instanceof ConnectionParamsRefused) {
            // Asked again, each problem next to its field; what was typed stays in the fields.
            return renderConnectPage(reply, 400, request.params.token, session, display, {
              providerId: error.providerId,
              problems: error.problems,
              typed,
            });
          }
          request.log.warn({ err: error }, "could not start OAuth");
          if (error instanceof VaultError) {
            // identity_unavailable: the app's identity provider is down (503, never a 500).
            return sendPage(
              reply,
              error.status,
              resultPage("error", "Sign-in is unavailable", error.message, { errorCode: error.code }),
            );
          }
          const message =
            error instanceof ConnectFailure ? error.message : "The connection could not be started.";
          return sendPage(reply, 400, resultPage("error", "Could not start the connection", message));
        }
      },
    );

    pages.post<{ Params: TokenParams; Body: Record<string, unknown> }>(
      "/connect/:token/cancel",
      async (request, reply) => {
        const session = await formSession(request, reply);
        if (!session) return reply;
        return replyWithOutcome(reply, await deps.flow.cancel(session, displayOf(request.body?.display)));
      },
    );
  });

  /**
   * The provider picker (or sign-in page). `refused`: the page comes back from a start whose
   * typed connection parameters were refused.
   */
  async function renderConnectPage(
    reply: FastifyReply,
    status: number,
    token: string,
    session: ConnectSessionRecord,
    display: ConnectDisplayMode | null,
    refused?: {
      providerId: string;
      problems: { path: string; message: string }[];
      typed: Record<string, string>;
    },
  ): Promise<FastifyReply> {
    const app = await deps.store.apps.get(session.appId);
    const providers = await deps.flow.offeredProviders(session);
    return sendPage(
      reply,
      status,
      connectPage({
        kind: session.kind,
        appName: app?.name ?? "your app",
        confirmationCode: session.confirmationCode,
        actionBase: `/connect/${token}`,
        providers: providers.map((provider) => ({
          id: provider.id,
          displayName: provider.displayName,
          parameters: askedParameters(
            session,
            provider,
            refused?.providerId === provider.id ? refused : undefined,
          ),
        })),
        formTargets: [
          // A form-action source covers every tenant's authorize origin (a `*.` wildcard when
          // the host holds a placeholder); the vault checks the values, CSP only the origin.
          ...providers.map((provider) =>
            originSourceOf(
              "discoverFrom" in provider.endpoints
                ? provider.endpoints.discoverFrom
                : provider.endpoints.authorizationUrl,
            ),
          ),
          // Outside a popup, Cancel answers with a redirect back to the app's return URL.
          ...(display !== "popup" && session.returnUrl ? [new URL(session.returnUrl).origin] : []),
        ],
        display,
        // Progress reports to the widget, only from its popup and only to the session's origin.
        report:
          display === "popup" && session.allowedOrigin && session.kind === "connect"
            ? { targetOrigin: session.allowedOrigin, sessionId: session.id }
            : null,
      }),
    );
  }

  /** The session a form post acts on; answers the request itself (and returns null) when it cannot. */
  async function formSession(
    request: FastifyRequest<{ Params: TokenParams }>,
    reply: FastifyReply,
  ): Promise<ConnectSessionRecord | null> {
    // A browser always sends Origin on a form post; another site's page must not drive this one.
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== new URL(deps.publicUrl).origin) {
      sendPage(
        reply,
        403,
        resultPage("error", "Request refused", "This form was sent from another website."),
      );
      return null;
    }
    const session = await deps.flow.usableSession(request.params.token);
    if (typeof session === "string") {
      unusable(reply, session);
      return null;
    }
    return session;
  }
}

/** The parameters the user must type for a provider: those the session did not give. */
function askedParameters(
  session: ConnectSessionRecord,
  provider: ResolvedProvider,
  refused: { problems: { path: string; message: string }[]; typed: Record<string, string> } | undefined,
): ConnectPageParameter[] {
  const given = session.connectionParams?.[provider.id] ?? {};
  return provider.parameters
    .filter((parameter) => !(parameter.name in given))
    .map((parameter) => ({
      name: parameter.name,
      label: parameter.displayName ?? parameter.name,
      hint: parameter.description ?? null,
      htmlPattern: htmlPatternOf(parameter),
      value: refused?.typed[parameter.name] ?? "",
      error: refused?.problems.find((problem) => problem.path === parameter.name)?.message ?? null,
    }));
}

/** The `param.<name>` fields of a start post (strings only; anything else is dropped). */
function typedParams(body: Record<string, unknown> | undefined): Record<string, string> {
  const typed: Record<string, string> = {};
  for (const [field, value] of Object.entries(body ?? {})) {
    if (!field.startsWith(PARAM_FIELD_PREFIX) || typeof value !== "string") continue;
    const name = field.slice(PARAM_FIELD_PREFIX.length);
    // Only names a provider could declare: nothing else reaches the flow or the page.
    if (PARAMETER_NAME.test(name)) typed[name] = value.trim().slice(0, 200);
  }
  return typed;
}

function displayOf(value: unknown): ConnectDisplayMode | null {
  return CONNECT_DISPLAY_MODES.find((mode) => mode === value) ?? null;
}

function unusable(reply: FastifyReply, reason: UnusableSession): FastifyReply {
  const page = UNUSABLE[reason];
  return sendPage(reply, page.status, resultPage("error", page.heading, page.message));
}
