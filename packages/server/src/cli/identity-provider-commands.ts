import { OPERATOR } from "../apps/admin-actor.js";
import type { IdentityProviderView } from "../control/identity-provider-admin.js";
import { identityProviderBody } from "../http/admin-bodies.js";
import type { CommandContext } from "./app-commands.js";
import { chosenApp, controlServices, documentInput, explained } from "./control-services.js";
import { emit, isoTime } from "./output.js";

/*
 * `identity-provider show|set|delete [--app APP]`: the app's identity provider (sign-in and user
 * tokens, issue 15) through IdentityProviderAdmin, as the admin API does.
 */

export async function identityProviderShow(context: CommandContext): Promise<void> {
  const app = await chosenApp(context);
  print(context, await controlServices(context).identity.get(app.id), "");
}

/**
 * `identity-provider set --file DOC.json | --document '{…}' [--client-secret-env VAR |
 * --client-secret-stdin]`: the whole document (issuer, clientId, …); without a client secret the
 * stored one is kept.
 */
export async function identityProviderSet(context: CommandContext): Promise<void> {
  const app = await chosenApp(context);
  const document = await documentInput(context, { required: true });
  const view = await explained(controlServices(context).identity.put(OPERATOR, app.id, document));
  print(context, view, `Set the identity provider of ${app.name} (${app.id}).`);
}

export async function identityProviderDelete(context: CommandContext): Promise<void> {
  const { output, json } = context;
  const app = await chosenApp(context);
  await controlServices(context).identity.delete(OPERATOR, app.id);
  emit(
    output,
    json,
    { app_id: app.id, deleted: true },
    `Removed the identity provider of ${app.name} (${app.id}): sign-in and user tokens stop working for it.`,
  );
}

function print({ output, json }: CommandContext, view: IdentityProviderView, headline: string): void {
  emit(
    output,
    json,
    identityProviderBody(view),
    [
      ...(headline ? [headline] : []),
      `identity provider of ${view.appId}, ${view.enabled ? "enabled" : "disabled"}`,
      `  redirect URI (register it at the identity provider): ${view.redirectUri}`,
      `  updated: ${isoTime(view.updatedAt)}`,
      "  document (the client secret is never shown):",
      ...JSON.stringify(view.document, null, 2)
        .split("\n")
        .map((line) => `    ${line}`),
    ].join("\n"),
  );
}
