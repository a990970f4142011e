/**
 * Every column that holds a sealed secret. Key rotation walks exactly this list, so a new sealed
 * column must be added here (the rotation tests fail otherwise, as they scan every table).
 */
export const SEALED_FIELDS = [
  { table: "credentials", idColumn: "grant_id", column: "secret" },
  { table: "connect_sessions", idColumn: "id", column: "user_token" },
  { table: "providers", idColumn: "id", column: "client_secret" },
  { table: "identity_providers", idColumn: "app_id", column: "client_secret" },
] as const;

export type SealedField = (typeof SEALED_FIELDS)[number];

/** The additional authenticated data of a sealed value: where it lives, so it cannot be moved. */
export function bindingOf(field: SealedField, rowId: string): string {
  return `${field.table}/${rowId}/${field.column}`;
}

/** The sealed ID token of a completed sign-in session. */
export const USER_TOKEN_FIELD = SEALED_FIELDS[1];

/** An app's provider's OAuth client secret. */
export const PROVIDER_SECRET_FIELD = SEALED_FIELDS[2];

/** An app's identity provider's client secret. */
export const IDENTITY_SECRET_FIELD = SEALED_FIELDS[3];
