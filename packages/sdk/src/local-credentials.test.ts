import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { VaultValueError } from "./errors.js";
import { resolveVaultAccess } from "./local-credentials.js";

const KEY = "gv_live_localkeylocalkeylocalkeylocalkeylocalkey1";

/** A project folder whose `.grantvault/credentials.json` holds `content`, and a folder deep inside it. */
function project(content: unknown, mode = 0o600): { root: string; deep: string; file: string } {
  const root = mkdtempSync(join(tmpdir(), "gv-local-"));
  mkdirSync(join(root, ".grantvault"), { mode: 0o700 });
  const file = join(root, ".grantvault", "credentials.json");
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  chmodSync(file, mode);
  const deep = join(root, "examples", "web");
  mkdirSync(deep, { recursive: true });
  return { root, deep, file };
}

const CREDENTIALS = {
  version: 1,
  url: "http://127.0.0.1:7400",
  api_key: KEY,
  app_id: "app_0123456789abcdef01234567",
  app_name: "default",
};

describe("the local credentials file (issue 14 item 1)", () => {
  it("is found from a folder below the vault's, and gives its key and URL", () => {
    const { deep, file } = project(CREDENTIALS);
    expect(resolveVaultAccess({}, {}, deep)).toEqual({
      apiKey: KEY,
      baseUrl: "http://127.0.0.1:7400",
      localFile: file,
    });
  });

  it("yields to a key given in code or in GRANTVAULT_API_KEY", () => {
    const { deep } = project(CREDENTIALS);
    expect(resolveVaultAccess({ apiKey: "given" }, {}, deep).apiKey).toBe("given");
    expect(resolveVaultAccess({}, { GRANTVAULT_API_KEY: "from-env" }, deep).apiKey).toBe("from-env");
  });

  it("is used with the same vault's URL, and its key is never sent to another vault", () => {
    const { deep } = project(CREDENTIALS);
    expect(resolveVaultAccess({ baseUrl: "http://127.0.0.1:7400/" }, {}, deep).apiKey).toBe(KEY);
    for (const other of ["https://evil.example", "http://127.0.0.1:7401", "http://localhost:7400"]) {
      expect(() => resolveVaultAccess({ baseUrl: other }, {}, deep)).toThrow(
        /only sent to http:\/\/127.0.0.1:7400/,
      );
      expect(() => resolveVaultAccess({}, { GRANTVAULT_URL: other }, deep)).toThrow(VaultValueError);
    }
  });

  it("is refused when other users can read it, and when it is not a credentials file", () => {
    expect(() => resolveVaultAccess({}, {}, project(CREDENTIALS, 0o644).deep)).toThrow(/chmod 600/);
    expect(() => resolveVaultAccess({}, {}, project("{not json").deep)).toThrow(
      /not a Grantvault credentials file/,
    );
    const ftp = { ...CREDENTIALS, url: "ftp://127.0.0.1" };
    expect(() => resolveVaultAccess({}, {}, project(ftp).deep)).toThrow(/not a Grantvault credentials file/);
  });

  it("is refused when another user owns it (a .grantvault/ planted above the working directory)", () => {
    const { deep } = project(CREDENTIALS);
    // As if the file's owner were someone else: this process runs as another uid.
    const getuid = vi.spyOn(process, "getuid").mockReturnValue((process.getuid?.() ?? 0) + 1);
    try {
      expect(() => resolveVaultAccess({}, {}, deep)).toThrow(/belongs to another user/);
    } finally {
      getuid.mockRestore();
    }
  });

  it("says how to get a key when there is none", () => {
    const empty = mkdtempSync(join(tmpdir(), "gv-nolocal-"));
    expect(() => resolveVaultAccess({}, {}, empty)).toThrow(/keys create --app default/);
  });
});
