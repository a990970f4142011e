import type { Migration, MigrationProvider } from "kysely";
import { initial } from "./0001-initial.js";
import { connectSessions } from "./0002-connect-sessions.js";
import { grantStatus } from "./0003-grant-status.js";
import { auditEvents } from "./0004-audit-events.js";
import { webAndIdentity } from "./0005-web-and-identity.js";
import { auditChainKey } from "./0006-audit-chain-key.js";
import { apiKeyScopes } from "./0007-api-key-scopes.js";
import { grantAccountSubject } from "./0008-grant-account-subject.js";
import { flowBrowserBinding } from "./0009-flow-browser-binding.js";
import { refreshLeases } from "./0010-refresh-leases.js";
import { auditMac } from "./0011-audit-mac.js";
import { userGrantsNeedUserToken } from "./0012-user-grants-need-user-token.js";
import { grantsByLabel } from "./0013-grants-by-label.js";
import { controlPlane } from "./0014-control-plane.js";
import { keyScopes } from "./0015-key-scopes.js";

/**
 * Every schema migration, in order. Names sort lexically and are recorded in the database;
 * never rename or edit a released one: add the next.
 */
const MIGRATIONS: Record<string, Migration> = {
  "0001-initial": initial,
  "0002-connect-sessions": connectSessions,
  "0003-grant-status": grantStatus,
  "0004-audit-events": auditEvents,
  "0005-web-and-identity": webAndIdentity,
  "0006-audit-chain-key": auditChainKey,
  "0007-api-key-scopes": apiKeyScopes,
  "0008-grant-account-subject": grantAccountSubject,
  "0009-flow-browser-binding": flowBrowserBinding,
  "0010-refresh-leases": refreshLeases,
  "0011-audit-mac": auditMac,
  "0012-user-grants-need-user-token": userGrantsNeedUserToken,
  "0013-grants-by-label": grantsByLabel,
  "0014-control-plane": controlPlane,
  "0015-key-scopes": keyScopes,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return MIGRATIONS;
  },
};
