import { describe, expect, it } from "vitest";
import { createLogger, redactPath } from "./logger.js";

function capture() {
  const lines: string[] = [];
  const logger = createLogger("info", { write: (line: string) => void lines.push(line) });
  return { logger, text: () => lines.join("") };
}

describe("logger", () => {
  it("redacts secrets wherever a service puts them", () => {
    const { logger, text } = capture();
    logger.info(
      {
        access_token: "tok-AAA",
        grant: { refreshToken: "tok-BBB", provider: { client_secret: "tok-CCC" } },
        apiKey: "gv_live_DDD",
        authorization: "Bearer tok-EEE",
      },
      "event",
    );
    for (const secret of ["tok-AAA", "tok-BBB", "tok-CCC", "gv_live_DDD", "tok-EEE"]) {
      expect(text()).not.toContain(secret);
    }
    expect(text()).toContain("[redacted]");
  });

  it("redacts secrets in a child logger's bindings and in arrays", () => {
    const { logger, text } = capture();
    logger
      .child({ token: "tok-FFF", reqId: "req-9" })
      .info({ grants: [{ access_token: "tok-GGG" }] }, "event");
    expect(text()).not.toContain("tok-FFF");
    expect(text()).not.toContain("tok-GGG");
    expect(text()).toContain('"reqId":"req-9"');
  });

  it("leaves the object a service logged unchanged", () => {
    const { logger } = capture();
    const logged = { grant: { refreshToken: "tok-HHH" } };
    logger.info(logged, "event");
    expect(logged.grant.refreshToken).toBe("tok-HHH");
  });

  it("logs requests by method and path only: no query string, no headers", () => {
    const { logger, text } = capture();
    logger.info({
      req: {
        id: "req-1",
        method: "GET",
        url: "/v1/oauth/callback/github?code=SECRETCODE&state=SECRETSTATE",
        headers: { authorization: "Bearer gv_live_X" },
      },
    });
    expect(text()).toContain('"path":"/v1/oauth/callback/github"');
    expect(text()).not.toContain("SECRETCODE");
    expect(text()).not.toContain("gv_live_X");
  });

  it("keeps the session token of a Connect URL out of the logged path", () => {
    const { logger, text } = capture();
    for (const url of ["/connect/gvcs_SECRETTOKEN", "/connect/gvcs_SECRETTOKEN/status?wait=25"]) {
      logger.info({ req: { id: "req-2", method: "GET", url } });
    }
    expect(text()).toContain('"path":"/connect/[redacted]"');
    expect(text()).toContain('"path":"/connect/[redacted]/status"');
    expect(text()).not.toContain("SECRETTOKEN");
  });

  it("F18: redacts a Connect token however its path is encoded or cased", () => {
    const { logger, text } = capture();
    const urls = [
      "/connect/%67vcs_SECRETTOKEN1",
      "/connect/%2567vcs_SECRETTOKEN2/status",
      "/CONNECT/GVCS_SECRETTOKEN3",
      "/connect/gv%63s_SECRET%54OKEN4?x=1",
      "//connect/gvcs_SECRETTOKEN5",
      "/v1/other/gvcs_SECRETTOKEN6",
    ];
    for (const url of urls) logger.info({ req: { id: "req-3", method: "GET", url } });
    expect(text()).not.toMatch(/SECRET/i);
    expect(text()).toContain('"path":"/connect/[redacted]/status"');
    expect(redactPath("/connect/%2Fgvcs_A")).toBe("/connect/%2F[redacted]");
    expect(redactPath("/v1/grants/%ZZ")).toBe("/v1/grants/%ZZ");
  });
});
