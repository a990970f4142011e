import { describe, expect, it } from "vitest";
import {
  type CliSpec,
  CommandLineError,
  closest,
  editDistance,
  parseCommandLine,
  wantsJson,
} from "./cli-args.js";
import { idProblem } from "./ids.js";

const SPEC: CliSpec = {
  program: "tool",
  defaultCommand: "serve",
  common: {
    json: { type: "boolean", description: "JSON" },
    help: { type: "boolean", short: "h", description: "help" },
  },
  commands: [
    {
      name: "serve",
      summary: "serve",
      options: {
        demo: { type: "boolean", description: "demo" },
        port: { type: "string", description: "port" },
      },
    },
    {
      name: "send",
      summary: "send",
      operands: [{ name: "URL" }],
      options: {
        header: { type: "string", short: "H", multiple: true, description: "header" },
        include: { type: "boolean", short: "i", description: "include" },
      },
    },
  ],
};

function failure(argv: string[]): string {
  try {
    parseCommandLine(SPEC, argv);
  } catch (error) {
    if (error instanceof CommandLineError) return error.message;
    throw error;
  }
  throw new Error(`${argv.join(" ")} parsed`);
}

describe("parseCommandLine", () => {
  it("reads booleans as flags, string options in both spellings, repeats and `--`", () => {
    expect(parseCommandLine(SPEC, ["--demo", "--port=0"])).toMatchObject({
      kind: "run",
      command: { name: "serve" },
      values: { demo: true, port: "0" },
    });
    expect(parseCommandLine(SPEC, ["--no-demo"])).toMatchObject({ values: { demo: false } });
    expect(parseCommandLine(SPEC, ["--demo=false", "--demo=1"])).toMatchObject({ values: { demo: true } });
    expect(
      parseCommandLine(SPEC, ["send", "-H", "a: 1", "--header=b: 2", "-i", "--", "--not-an-option"]),
    ).toMatchObject({ operands: ["--not-an-option"], values: { header: ["a: 1", "b: 2"], include: true } });
  });

  it("refuses what it cannot read, saying why", () => {
    expect(failure(["--port"])).toBe("--port needs a value (--port VALUE)");
    expect(failure(["--port", "--demo"])).toBe("--port needs a value (--port VALUE)");
    expect(failure(["--demo=yes"])).toBe("--demo=yes: write --demo=true or --demo=false");
    expect(failure(["--no-port"])).toBe("unknown option --no-port: --port takes a value; it is not a flag");
    expect(failure(["send"])).toBe("send needs URL");
    expect(failure(["sned", "x"])).toBe('unknown command "sned". Did you mean "send"?');
    expect(failure(["frobnicate"])).toBe('unknown command "frobnicate"');
    expect(failure(["send", "x", "-ix"])).toBe("unknown option -ix");
  });

  it("lets --help win over a bad option, but not over an unknown command", () => {
    expect(parseCommandLine(SPEC, ["send", "--bogus", "--help"])).toMatchObject({
      kind: "help",
      topic: { name: "send" },
    });
    expect(() => parseCommandLine(SPEC, ["sned", "--help"])).toThrow(CommandLineError);
  });

  it("finds --json in a command line too broken to parse", () => {
    expect(wantsJson(["nope", "--json", "--port"])).toBe(true);
    expect(wantsJson(["--json", "--no-json"])).toBe(false);
    expect(wantsJson(["--", "--json"])).toBe(false);
  });
});

describe("closest", () => {
  it("suggests within two edits, a swap counting as one, or by prefix", () => {
    expect(editDistance("provdier", "provider")).toBe(1);
    expect(closest("conect", ["connect", "grants"])).toBe("connect");
    expect(closest("prov", ["provider", "port"])).toBe("provider");
    expect(closest("ls", ["list", "show"])).toBeUndefined();
    expect(closest("frobnicate", ["connect", "grants"])).toBeUndefined();
  });
});

describe("idProblem", () => {
  it("describes a malformed id by its shape, never echoing a secret", () => {
    expect(idProblem("grant", "grant_0123456789abcdef01234567")).toBeNull();
    expect(idProblem("grant", "grant_123")).toContain('got "grant_" and 3 character(s)');
    expect(idProblem("grant", "app_0123456789abcdef01234567")).toContain("got an app id");
    const pasted = idProblem("grant", "gv_live_secretsecretsecret");
    expect(pasted).toContain("looks like an API key");
    expect(pasted).not.toContain("secretsecret");
  });
});
