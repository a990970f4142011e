import { describe, expect, it } from "vitest";
import { identityAppProblems } from "./identity-registry.js";

const entry = (app: string) => ({
  app,
  issuer: "https://sso.example.com",
  clientId: "client",
  clientSecret: "secret",
});

describe("identityAppProblems", () => {
  it("F19: refuses an app name in identity[].app, suggesting the id", () => {
    const apps = [
      { id: "app_1", name: "billing" },
      { id: "app_2", name: "shared" },
      { id: "app_3", name: "shared" },
    ];
    expect(
      identityAppProblems(
        [entry("app_1"), entry("billing"), entry("shared"), entry("nobody"), entry("app_later")],
        apps,
      ),
    ).toStrictEqual([
      'identity[1].app: "billing" is an app name; use the app id: "app_1"',
      'identity[2].app: "shared" is the name of 2 apps (app_2, app_3); use the id of the one meant',
      'identity[3].app: must be an app id (app_…), and no app has the id or name "nobody"; `grantvault-server apps list` shows the ids',
    ]);
  });
});
