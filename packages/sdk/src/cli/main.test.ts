import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "./main.js";

const packageJson = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));

/**
 * `grantvault`'s command-line conventions, in this process: every case here is answered before the
 * CLI would reach a vault (no vault listens at the URL below, so a case that did would fail).
 */
const VAULT_URL = "http://127.0.0.1:9";
let apiKey: string | undefined;

beforeEach(() => {
  apiKey = process.env.GRANTVAULT_API_KEY;
  process.env.GRANTVAULT_API_KEY = "gv_live_notarealkeynotarealkeynotarealkeynotareal";
});
afterEach(() => {
  if (apiKey === undefined) delete process.env.GRANTVAULT_API_KEY;
  else process.env.GRANTVAULT_API_KEY = apiKey;
  vi.restoreAllMocks();
});

/** Runs `grantvault ...argv`, collecting what it writes to stdout and stderr. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  try {
    const code = await main([...argv, "--url", VAULT_URL]);
    return { code, out, err };
  } finally {
    vi.restoreAllMocks();
  }
}

describe("grantvault command-line conventions (issue 14 item 5)", () => {
  it("--version prints the package's version, as JSON with --json", async () => {
    expect(await run("--version")).toStrictEqual({
      code: 0,
      out: `grantvault ${packageJson.version}\n`,
      err: "",
    });
    const json = await run("--version", "--json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toStrictEqual({ version: packageJson.version });
  });

  it("a command's --help (or `help COMMAND`) shows only that command's usage and options", async () => {
    const connect = await run("connect", "--help");
    expect(connect.code).toBe(0);
    expect(connect.out).toMatch(/^Usage: grantvault connect \[options\]\n/);
    expect(connect.out).toContain("--provider ID");
    expect(connect.out).toContain("--no-browser ");
    expect(connect.out).not.toContain("grants list");
    expect(connect.out).not.toContain("--json-body");
    const show = await run("help", "grants", "show");
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/^Usage: grantvault grants show GRANT_ID \[options\]\n/);
    expect(show.out).not.toContain("--provider");
    // The top-level help still lists every command.
    const top = await run("--help");
    expect(top.out).toContain("grants revoke GRANT_ID");
    expect(top.out).toContain("request METHOD URL");
  });

  it("booleans are flags: --all=false is accepted, `--all false` is a stray argument", async () => {
    const stray = await run("grants", "list", "--all", "false");
    expect(stray.code).toBe(2);
    expect(stray.err).toContain('unexpected argument "false": --all is a flag');
    expect(stray.err).toContain("--no-all or --all=false");
    const badValue = await run("connect", "--browser=maybe");
    expect(badValue.code).toBe(2);
    expect(badValue.err).toContain("--browser=maybe: write --browser=true or --browser=false");
    // --no-browser=… makes no sense; --browser=false is how to give the value.
    expect((await run("connect", "--no-browser=true")).err).toContain("--no-browser takes no value");
    const extra = await run("grants", "show", "grant_0123456789abcdef01234567", "more");
    expect(extra.code).toBe(2);
    expect(extra.err).toContain('unexpected argument "more": grants show takes GRANT_ID only');
  });

  it("answers unknown commands and options in its own words, with a suggestion", async () => {
    const command = await run("conect");
    expect(command).toMatchObject({ code: 2, out: "" });
    expect(command.err).toBe(
      'grantvault: unknown command "conect". Did you mean "connect"?\nRun `grantvault --help` for usage.\n',
    );
    const subcommand = await run("grants", "lst");
    expect(subcommand.err).toContain('unknown grants subcommand "lst". Did you mean "grants list"?');
    const option = await run("connect", "--provder", "github");
    expect(option.code).toBe(2);
    expect(option.err).toBe(
      "grantvault: unknown option --provder. Did you mean --provider?\nRun `grantvault connect --help` for usage.\n",
    );
    const elsewhere = await run("grants", "show", "grant_0123456789abcdef01234567", "--all");
    expect(elsewhere.err).toContain("grants show has no option --all");
  });

  it("--json makes usage errors JSON on stderr, exit 2", async () => {
    for (const argv of [
      ["conect", "--json"],
      ["connect", "--provder", "x", "--json"],
      ["audit", "--limit", "0", "--json"],
    ]) {
      const result = await run(...argv);
      expect(result.code).toBe(2);
      expect(result.out).toBe("");
      expect(JSON.parse(result.err)).toStrictEqual({
        error: { code: "usage", message: expect.any(String) },
      });
    }
  });

  it("says a grant id is malformed and what one looks like, without echoing it", async () => {
    const show = await run("grants", "show", "not-a-grant");
    expect(show.code).toBe(2);
    expect(show.err).toContain(
      'GRANT_ID: not a grant id: got 11 character(s) that do not start with "grant_"',
    );
    expect(show.err).toContain('a grant id is "grant_" and 24 lowercase hex digits');
    const key = "gv_live_abcdefabcdefabcdefabcdefabcdefabcdefabcdefa";
    const request = await run("request", "GET", "https://api.github.com/user", "--grant", key, "--json");
    expect(request.code).toBe(2);
    const { error } = JSON.parse(request.err);
    expect(error.message).toContain("--grant: not a grant id: got what looks like an API key");
    expect(request.err).not.toContain(key);
    expect(request.err).not.toContain("grantId is required");
  });
});
