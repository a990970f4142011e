import { OPERATOR } from "../apps/admin-actor.js";
import type { ProviderView } from "../control/provider-admin.js";
import { providerBody } from "../http/admin-bodies.js";
import { loadProvidersFile } from "../providers/providers-file.js";
import type { CommandContext } from "./app-commands.js";
import { chosenApp, controlServices, documentInput, explained } from "./control-services.js";
import { emit, isoTime, table, UsageError } from "./output.js";

/*
 * `providers …`: an app's providers (issue 15) through ProviderAdmin, as the admin API does.
 * Every command takes `--app APP` (an id or a name), optional when there is one app only.
 */

/**
 * `providers import FILE [--app APP]`: the providers file's providers into the app, idempotent
 * (run again, everything is unchanged); its `identity` entries stay the server start's.
 */
export async function providersImport(context: CommandContext): Promise<void> {
  const { output, json, positionals } = context;
  const [path] = positionals;
  if (!path) throw new UsageError("providers import needs FILE (a providers file)");
  const app = await chosenApp(context);
  const file = await loadProvidersFile(path);
  const report = await explained(controlServices(context).providers.import(OPERATOR, app.id, file.providers));
  emit(
    output,
    json,
    { app_id: app.id, ...report },
    [
      `Imported ${path} into ${app.name} (${app.id}):`,
      `  created:   ${report.created.join(", ") || "-"}`,
      `  updated:   ${report.updated.join(", ") || "-"}`,
      `  unchanged: ${report.unchanged.join(", ") || "-"}`,
    ].join("\n"),
  );
}

export async function providersList(context: CommandContext): Promise<void> {
  const { output, json } = context;
  const app = await chosenApp(context);
  const providers = await controlServices(context).providers.list(app.id);
  emit(
    output,
    json,
    providers.map(providerBody),
    providers.length === 0
      ? `${app.name} has no providers yet: \`grantvault-server providers create --app ${app.id} --file DOC.json\`, or providers import.`
      : table([
          ["PROVIDER", "KIND", "STATUS", "CLIENT ID", "UPDATED", "REDIRECT URI"],
          ...providers.map((provider) => [
            provider.id,
            kindOf(provider),
            provider.enabled ? "enabled" : "disabled",
            String(provider.document.clientId ?? ""),
            isoTime(provider.updatedAt),
            provider.redirectUri,
          ]),
        ]),
  );
}

/** `providers show ID`: the document (never the secret) and its redirect URI. */
export async function providersShow(context: CommandContext): Promise<void> {
  const app = await chosenApp(context);
  const provider = await controlServices(context).providers.get(app.id, providerOperand(context));
  print(context, provider, "");
}

/**
 * `providers create --file DOC.json | --document '{…}' [--client-secret-env VAR |
 * --client-secret-stdin]`: a new provider of the app.
 */
export async function providersCreate(context: CommandContext): Promise<void> {
  const app = await chosenApp(context);
  const document = await documentInput(context, { required: true });
  const provider = await explained(controlServices(context).providers.create(OPERATOR, app.id, document));
  print(context, provider, `Created ${provider.id} for ${app.name} (${app.id}).`);
}

/**
 * `providers update ID [--file | --document] [--client-secret-env VAR | --client-secret-stdin]
 * [--replace]`: the fields given change (`null` removes one); with --replace the document is the
 * whole provider (the stored secret kept when none is given).
 */
export async function providersUpdate(context: CommandContext): Promise<void> {
  const app = await chosenApp(context);
  const id = providerOperand(context);
  const document = await documentInput(context, { required: true });
  const { providers } = controlServices(context);
  const provider = await explained(
    context.options.replace === true
      ? providers.replace(OPERATOR, app.id, id, document)
      : providers.update(OPERATOR, app.id, id, document),
  );
  print(context, provider, `Updated ${provider.id} of ${app.name} (${app.id}).`);
}

/** `providers disable ID` / `providers enable ID`: a disabled provider is not offered, its grants refused. */
export async function providersDisable(context: CommandContext): Promise<void> {
  await setEnabled(context, false);
}

export async function providersEnable(context: CommandContext): Promise<void> {
  await setEnabled(context, true);
}

async function setEnabled(context: CommandContext, enabled: boolean): Promise<void> {
  const app = await chosenApp(context);
  const provider = await controlServices(context).providers.setEnabled(
    OPERATOR,
    app.id,
    providerOperand(context),
    enabled,
  );
  print(
    context,
    provider,
    enabled
      ? `${provider.id} is enabled for ${app.name}.`
      : `${provider.id} is disabled for ${app.name}: not offered, and its grants are refused until enabled.`,
  );
}

/** `providers delete ID`: its grants stay, refused until a provider with that id exists again. */
export async function providersDelete(context: CommandContext): Promise<void> {
  const { output, json } = context;
  const app = await chosenApp(context);
  const id = providerOperand(context);
  await controlServices(context).providers.delete(OPERATOR, app.id, id);
  emit(
    output,
    json,
    { app_id: app.id, provider_id: id, deleted: true },
    `Deleted ${id} of ${app.name} (${app.id}); its grants are refused until a provider "${id}" exists again.`,
  );
}

function providerOperand({ positionals }: CommandContext): string {
  const [id] = positionals;
  if (!id) throw new UsageError("name the provider ID (see `grantvault-server providers list`)");
  return id;
}

function kindOf(provider: ProviderView): string {
  const { catalog, type } = provider.document;
  return typeof catalog === "string" ? `catalog:${catalog}` : String(type ?? "");
}

function print({ output, json }: CommandContext, provider: ProviderView, headline: string): void {
  emit(
    output,
    json,
    providerBody(provider),
    [
      ...(headline ? [headline] : []),
      `${provider.id} (${kindOf(provider)}), ${provider.enabled ? "enabled" : "disabled"}`,
      `  redirect URI (register it at the provider): ${provider.redirectUri}`,
      `  updated: ${isoTime(provider.updatedAt)}`,
      `  document (the client secret is never shown):`,
      ...JSON.stringify(provider.document, null, 2)
        .split("\n")
        .map((line) => `    ${line}`),
    ].join("\n"),
  );
}
