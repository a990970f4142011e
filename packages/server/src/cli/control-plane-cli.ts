import type { CommandSpec, OptionSpec } from "@grantvault/protocol/cli-args";
import type { CommandContext } from "./app-commands.js";
import { appsDelete, appsDisable, appsEnable, appsShow, appsUpdate } from "./apps-commands.js";
import {
  identityProviderDelete,
  identityProviderSet,
  identityProviderShow,
} from "./identity-provider-commands.js";
import {
  providersCreate,
  providersDelete,
  providersDisable,
  providersEnable,
  providersImport,
  providersList,
  providersShow,
  providersUpdate,
} from "./provider-commands.js";

/*
 * The control plane's commands (issue 15): apps, providers and identity providers, their specs
 * (main.ts adds the settings options) and handlers.
 */

const APP_ID = { type: "string", value: "APP" } as const;
const APP = { name: "APP", hint: "an app id or name; see `grantvault-server apps list`" };
const APP_OPTION = {
  ...APP_ID,
  description: "the app, by name or id (optional when there is only one; see `grantvault-server apps list`)",
};
const PROVIDER = { name: "ID", hint: "a provider id; see `grantvault-server providers list`" };
/** How a provider or identity provider document is given; the secret never on the command line. */
const DOCUMENT_OPTIONS: Record<string, OptionSpec> = {
  file: { type: "string", value: "DOC.json", description: "the document, a JSON file" },
  document: { type: "string", value: "JSON", description: "the document as JSON text" },
  "client-secret-env": {
    type: "string",
    value: "VAR",
    description: "take clientSecret from this environment variable",
  },
  "client-secret-stdin": { type: "boolean", description: "read clientSecret from standard input" },
};

export const CONTROL_PLANE_COMMANDS: CommandSpec[] = [
  {
    name: "apps show",
    summary: "an app: status, allowed origins, keys, providers and grants",
    operands: [APP],
  },
  {
    name: "apps update",
    summary: "change an app's name, allowed origins or user-token setting (audited)",
    operands: [APP],
    options: {
      name: { type: "string", value: "NAME", description: "the new name" },
      "allowed-origins": {
        type: "string",
        value: "LIST",
        description: 'the allowed origins, comma-separated (replaces them; "" for none)',
      },
      "user-grants-need-user-token": {
        type: "boolean",
        label: "--[no-]user-grants-need-user-token",
        description: "whether a user-bound grant needs its user's token (F6)",
      },
    },
  },
  {
    name: "apps disable",
    summary: "refuse the app's API keys (app_disabled) until it is enabled again",
    operands: [APP],
  },
  { name: "apps enable", summary: "accept a disabled app's API keys again", operands: [APP] },
  {
    name: "apps delete",
    summary: "delete an app with its API keys, grants and providers (its audit log stays)",
    operands: [APP],
    options: { yes: { type: "boolean", description: "yes, delete it (there is no undo)" } },
  },
  {
    name: "providers import",
    summary: "bring an app's providers in line with a providers file (idempotent)",
    operands: [{ name: "FILE", hint: 'a providers file: {"providers": [...]}' }],
    options: { app: APP_OPTION },
  },
  { name: "providers list", summary: "the app's providers", options: { app: APP_OPTION } },
  {
    name: "providers show",
    summary: "a provider's document (never its secret) and redirect URI",
    operands: [PROVIDER],
    options: { app: APP_OPTION },
  },
  {
    name: "providers create",
    summary: "add a provider (catalog entry, oidc or oauth2) with its OAuth client to the app",
    options: { app: APP_OPTION, ...DOCUMENT_OPTIONS },
  },
  {
    name: "providers update",
    summary: "change the fields given (null removes one); --replace sends the whole document",
    operands: [PROVIDER],
    options: {
      app: APP_OPTION,
      ...DOCUMENT_OPTIONS,
      replace: {
        type: "boolean",
        description: "the document is the whole provider (without clientSecret, the stored one is kept)",
      },
    },
  },
  {
    name: "providers disable",
    summary: "stop offering a provider; its grants are refused (provider_disabled) meanwhile",
    operands: [PROVIDER],
    options: { app: APP_OPTION },
  },
  {
    name: "providers enable",
    summary: "offer a disabled provider again",
    operands: [PROVIDER],
    options: { app: APP_OPTION },
  },
  {
    name: "providers delete",
    summary: "delete a provider; its grants stay, refused until one with that id exists again",
    operands: [PROVIDER],
    options: { app: APP_OPTION },
  },
  {
    name: "identity-provider show",
    summary: "the app's identity provider (sign-in, user tokens); never its secret",
    options: { app: APP_OPTION },
  },
  {
    name: "identity-provider set",
    summary: "set the app's identity provider (OIDC issuer and client), as a whole",
    options: { app: APP_OPTION, ...DOCUMENT_OPTIONS },
  },
  {
    name: "identity-provider delete",
    summary: "remove the app's identity provider",
    options: { app: APP_OPTION },
  },
];

export const CONTROL_PLANE_HANDLERS: Record<string, (context: CommandContext) => Promise<unknown>> = {
  "apps show": appsShow,
  "apps update": appsUpdate,
  "apps disable": appsDisable,
  "apps enable": appsEnable,
  "apps delete": appsDelete,
  "providers import": providersImport,
  "providers list": providersList,
  "providers show": providersShow,
  "providers create": providersCreate,
  "providers update": providersUpdate,
  "providers disable": providersDisable,
  "providers enable": providersEnable,
  "providers delete": providersDelete,
  "identity-provider show": identityProviderShow,
  "identity-provider set": identityProviderSet,
  "identity-provider delete": identityProviderDelete,
};
