import * as oauth from "oauth4webapi";
import type { ResolvedProvider } from "../providers/resolved-provider.js";

export function clientAuth(provider: ResolvedProvider): oauth.ClientAuth {
  return provider.tokenAuthMethod === "client_secret_post"
    ? oauth.ClientSecretPost(provider.clientSecret)
    : clientSecretBasic(provider.clientSecret);
}

/**
 * HTTP Basic client authentication (RFC 6749 §2.3.1). oauth4webapi's form-encodes every
 * non-alphanumeric character of the id and secret (`-` becomes `%2D`); compliant servers decode
 * it, but Slack and Notion ids contain `.` and `-` and are not known to. encodeURIComponent leaves
 * unreserved characters as they are, which decodes to the same value on a compliant server.
 */
function clientSecretBasic(clientSecret: string): oauth.ClientAuth {
  return (_as, client, _body, headers) => {
    const credentials = `${encodeURIComponent(client.client_id)}:${encodeURIComponent(clientSecret)}`;
    headers.set("authorization", `Basic ${Buffer.from(credentials).toString("base64")}`);
  };
}
