import { expect, it } from "vitest";
import { startTestVault } from "../harness/vault-app.js";

it("closing the server answers held long-polls at once instead of waiting them out", async () => {
  const vault = await startTestVault({
    providers: [
      {
        id: "corp",
        type: "oidc",
        issuer: "https://sso.example.com",
        clientId: "id",
        clientSecret: "secret",
      },
    ],
  });
  const { apiKey } = await vault.apiKeys.createApp("shutdown");
  const headers = { authorization: `Bearer ${apiKey.plaintext}` };
  const created = await vault.app.inject({
    method: "POST",
    url: "/v1/connect/sessions",
    headers,
    payload: {},
  });
  const { session_id } = created.json();

  const started = Date.now();
  const held = vault.app.inject({
    method: "GET",
    url: `/v1/connect/sessions/${session_id}?wait=25`,
    headers,
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  await vault.app.close();
  const response = await held;
  expect(response.statusCode).toBe(200);
  expect(response.json().status).toBe("pending");
  expect(Date.now() - started).toBeLessThan(5_000);
  await vault.close();
});
