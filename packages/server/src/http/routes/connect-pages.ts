import { parse as parseQueryString } from "node:querystring";
import { CONNECT_DISPLAY_MODES, type ConnectDisplayMode } from "@grantvault/protocol";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../../clock.js";
import type { ConnectFlow, UnusableSession } from "../../connect/connect-flow.js";
import type { ConnectSessionService } from "../../connect/connect-sessions.js";
import { VaultError } from "../../errors.js";
import { ConnectFailure } from "../../oauth/connect-failure.js";
import type { ConnectSessionRecord } from "../../storage/connect-sessions-repository.js";
import type { Store } from "../../storage/store.js";
import type { FlowCookies } from "../flow-cookie.js";
import { replyWithOutcome } from "../flow-outcome-reply.js";
import { connectPage } from "../pages/connect-page.js";
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
        const app = await deps.store.apps.get(session.appId);
        const providers = await deps.flow.offeredProviders(session);
        const display = displayOf(request.query.display);
        return sendPage(
          reply,
          200,
          connectPage({
            kind: session.kind,
            appName: app?.name ?? "your app",
            confirmationCode: session.confirmationCode,
            actionBase: `/connect/${request.params.token}`,
            providers: providers.map((provider) => ({ id: provider.id, displayName: provider.displayName })),
            formTargets: [
              ...providers.map((provider) =>
                "discoverFrom" in provider.endpoints
                  ? new URL(provider.endpoints.discoverFrom).origin
                  : new URL(provider.endpoints.authorizationUrl).origin,
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
      },
    );

    registerSessionStatus(pages, deps.sessions);

    pages.post<{ Params: TokenParams; Body: Record<string, unknown> }>(
      "/connect/:token/start",
      async (request, reply) => {
        const session = await formSession(request, reply);
        if (!session) return reply;
        const provider = request.body?.provider;
        try {
          if (session.kind === "connect" && typeof provider !== "string")
            throw new ConnectFailure("provider_config", "Choose a service to connect.");
          const started = await deps.flow.begin(
            session,
            typeof provider === "string" ? provider : null,
            displayOf(request.body?.display),
          );
          deps.cookies.set(reply, started.binding, started.expiresAt, deps.clock.now());
          return reply.redirect(started.authorizeUrl, 303);
        } catch (error) {
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

function displayOf(value: unknown): ConnectDisplayMode | null {
  return CONNECT_DISPLAY_MODES.find((mode) => mode === value) ?? null;
}

function unusable(reply: FastifyReply, reason: UnusableSession): FastifyReply {
  const page = UNUSABLE[reason];
  return sendPage(reply, page.status, resultPage("error", page.heading, page.message));
}
