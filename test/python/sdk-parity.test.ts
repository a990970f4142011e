import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../packages/protocol/src/errors.js";
import { errorFromResponse } from "../../packages/sdk/src/errors.js";
import * as sdk from "../../packages/sdk/src/index.js";

/**
 * The Python SDK has a counterpart for everything public in the TypeScript SDK. Both sides are
 * enumerated, not listed here, so a method, error class or function added to TypeScript only
 * makes this fail until Python has it too.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** JavaScript idioms with no Python counterpart by design (Python has repr()). */
const JS_ONLY_MEMBERS = new Set(["constructor", "toJSON"]);

/** `listAuditEvents` → `list_audit_events`, `getAPIKey` → `get_api_key`. */
function snakeCase(name: string): string {
  return name
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

interface TsSurface {
  /** Vault.prototype members: methods, and getters (properties in Python). */
  methods: string[];
  getters: string[];
  /** Exported Error subclasses, each with the name of its parent class. */
  errors: Record<string, string>;
  /** Exported plain functions (not classes). */
  functions: string[];
  /** VaultAdmin's namespaces (`admin.apps`, …) and each one's methods. */
  admin: Record<string, string[]>;
}

type PyMembers = Record<string, "method" | "coroutine" | "property" | "other">;

interface PySurface {
  classes: Record<string, PyMembers>;
  /** VaultAdmin's public attributes, each with its members (an instance's, as in TypeScript). */
  admin: Record<string, PyMembers>;
  errors: Record<string, { bases: string[]; hasCodeAndDetails: boolean }>;
  functions: string[];
}

function isClass(value: unknown): boolean {
  return typeof value === "function" && /^class[\s{]/.test(Function.prototype.toString.call(value));
}

function tsSurface(): TsSurface {
  const methods: string[] = [];
  const getters: string[] = [];
  for (const name of Object.getOwnPropertyNames(sdk.Vault.prototype)) {
    if (JS_ONLY_MEMBERS.has(name)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(sdk.Vault.prototype, name);
    if (descriptor?.get) getters.push(name);
    else if (typeof descriptor?.value === "function") methods.push(name);
  }
  const errors: Record<string, string> = {};
  const functions: string[] = [];
  for (const [name, value] of Object.entries(sdk)) {
    if (typeof value !== "function") continue;
    if ((value as { prototype?: unknown }).prototype instanceof Error) {
      errors[name] = (Object.getPrototypeOf(value) as { name: string }).name;
    } else if (!isClass(value)) {
      functions.push(name);
    }
  }
  return { methods, getters, errors, functions, admin: adminSurface() };
}

/** The admin client's namespaces, read from an instance (they are set by its constructor). */
function adminSurface(): Record<string, string[]> {
  const admin = new sdk.VaultAdmin({ apiKey: "gv_live_parity", baseUrl: "http://127.0.0.1:1" });
  const namespaces: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(admin)) {
    if (typeof value !== "object" || value === null) continue;
    namespaces[name] = Object.getOwnPropertyNames(Object.getPrototypeOf(value)).filter(
      (member) => !JS_ONLY_MEMBERS.has(member),
    );
  }
  return namespaces;
}

const INTROSPECT = `
import inspect, json, grantvault
def members(cls):
    out = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(cls, name)
        if isinstance(attr, property):
            out[name] = "property"
        elif inspect.iscoroutinefunction(attr):
            out[name] = "coroutine"
        elif callable(attr):
            out[name] = "method"
        else:
            out[name] = "other"
    return out
errors = {}
for name, obj in vars(grantvault).items():
    if isinstance(obj, type) and issubclass(obj, BaseException):
        error = obj("some_code", "a message")
        errors[name] = {
            "bases": [base.__name__ for base in obj.__bases__],
            "hasCodeAndDetails": error.code == "some_code" and isinstance(error.details, dict),
        }
admin = grantvault.VaultAdmin(api_key="gv_live_parity", base_url="http://127.0.0.1:1")
print(json.dumps({
    "classes": {
        "Vault": members(grantvault.Vault),
        "AsyncVault": members(grantvault.AsyncVault),
        "VaultAdmin": members(grantvault.VaultAdmin),
    },
    "admin": {
        name: members(type(value)) for name, value in vars(admin).items()
        if not name.startswith("_")
    },
    "errors": errors,
    "functions": [n for n, o in vars(grantvault).items() if inspect.isfunction(o)],
}))
`;

function pySurface(): PySurface {
  const output = execFileSync("python3", ["-c", INTROSPECT], {
    cwd: ROOT,
    env: { ...process.env, PYTHONPATH: join(ROOT, "python", "src"), PYTHONDONTWRITEBYTECODE: "1" },
    encoding: "utf8",
  });
  return JSON.parse(output) as PySurface;
}

/** Everything public in TypeScript that Python lacks, as readable lines (empty when at parity). */
function missingInPython(ts: TsSurface, py: PySurface): string[] {
  const missing: string[] = [];
  const expectMember = (cls: string, name: string, kind: string) => {
    const found = py.classes[cls]?.[name];
    if (found !== kind) missing.push(`${cls}.${name} (${kind}${found ? `, found ${found}` : ""})`);
  };
  for (const method of ts.methods) {
    expectMember("Vault", snakeCase(method), "method");
    expectMember("AsyncVault", snakeCase(method), "coroutine");
  }
  for (const getter of ts.getters) {
    expectMember("Vault", snakeCase(getter), "property");
    expectMember("AsyncVault", snakeCase(getter), "property");
  }
  for (const [name, parent] of Object.entries(ts.errors)) {
    const error = py.errors[name];
    const pythonParent = parent === "Error" ? "Exception" : parent;
    if (!error) missing.push(`error class ${name}`);
    else if (!error.bases.includes(pythonParent)) missing.push(`${name} extending ${pythonParent}`);
    else if (!error.hasCodeAndDetails) missing.push(`${name}.code and .details`);
  }
  for (const name of ts.functions) {
    if (!py.functions.includes(snakeCase(name))) missing.push(`function ${snakeCase(name)}`);
  }
  for (const [namespace, methods] of Object.entries(ts.admin)) {
    const pyNamespace = snakeCase(namespace);
    for (const method of methods) {
      const found = py.admin[pyNamespace]?.[snakeCase(method)];
      if (found !== "method") {
        missing.push(
          `VaultAdmin.${pyNamespace}.${snakeCase(method)} (method${found ? `, found ${found}` : ""})`,
        );
      }
    }
  }
  return missing;
}

describe("Python SDK parity with the TypeScript SDK", () => {
  const ts = tsSurface();
  const py = pySurface();

  it("enumerates the TypeScript SDK (a sanity check of the enumeration itself)", () => {
    expect(ts.methods).toEqual(expect.arrayContaining(["connect", "request", "proxyRequest", "listGrants"]));
    expect(ts.errors).toMatchObject({ VaultError: "Error", ConnectDeniedError: "ConnectFlowError" });
    expect(ts.functions).toContain("isVaultError");
    expect(Object.keys(py.classes.Vault ?? {})).toContain("connect");
  });

  it("has every Vault method on Vault (blocking) and AsyncVault (coroutines), snake_case", () => {
    expect(missingInPython({ ...ts, errors: {}, functions: [], admin: {} }, py)).toEqual([]);
  });

  it("has every error class by name, with the same parent, .code and .details", () => {
    expect(missingInPython({ ...ts, methods: [], getters: [], functions: [], admin: {} }, py)).toEqual([]);
  });

  it("has every exported function, snake_case", () => {
    expect(missingInPython({ ...ts, methods: [], getters: [], errors: {}, admin: {} }, py)).toEqual([]);
  });

  it("has the admin client's namespaces and their calls on VaultAdmin, snake_case", () => {
    expect(Object.keys(ts.admin)).toEqual(["apps", "providers", "identityProvider", "apiKeys"]);
    expect(ts.admin.providers).toEqual(
      expect.arrayContaining(["list", "get", "create", "replace", "update", "disable", "enable", "delete"]),
    );
    expect(py.classes.VaultAdmin?.base_url).toBe("property");
    expect(
      missingInPython({ methods: [], getters: [], errors: {}, functions: [], admin: ts.admin }, py),
    ).toEqual([]);
  });

  it("fails when the TypeScript SDK gains something Python lacks", () => {
    const grown: TsSurface = {
      methods: [...ts.methods, "parityProbeMethod"],
      getters: ts.getters,
      errors: { ...ts.errors, ParityProbeError: "VaultError" },
      functions: [...ts.functions, "parityProbeFunction"],
      admin: { ...ts.admin, apps: [...(ts.admin.apps ?? []), "parityProbeCall"] },
    };
    const baseline = new Set(missingInPython(ts, py));
    expect(missingInPython(grown, py).filter((line) => !baseline.has(line))).toEqual([
      "Vault.parity_probe_method (method)",
      "AsyncVault.parity_probe_method (coroutine)",
      "error class ParityProbeError",
      "function parity_probe_function",
      "VaultAdmin.apps.parity_probe_call (method)",
    ]);
    expect(snakeCase("getAPIKey")).toBe("get_api_key");
  });

  it("turns every error code of the registry into the same error class in both SDKs", () => {
    const codes = Object.keys(ERROR_CODES);
    const ts = Object.fromEntries(
      codes.map((code) => [code, errorFromResponse(400, { error: { code, message: "m" } }).constructor.name]),
    );
    const script = [
      "import json, sys",
      "from grantvault.errors import error_from_response",
      "codes = json.loads(sys.argv[1])",
      'print(json.dumps({c: type(error_from_response(400, {"error": {"code": c, "message": "m"}})).__name__ for c in codes}))',
    ].join("\n");
    const python = JSON.parse(
      execFileSync("python3", ["-c", script, JSON.stringify(codes)], {
        encoding: "utf8",
        env: { ...process.env, PYTHONPATH: join(ROOT, "python", "src"), PYTHONDONTWRITEBYTECODE: "1" },
      }),
    ) as Record<string, string>;
    expect(python).toEqual(ts);
    // The control plane's refusals have their own classes, not the generic one.
    expect(ts).toMatchObject({
      insufficient_scope: "InsufficientScopeError",
      app_disabled: "AuthenticationError",
      provider_disabled: "PolicyViolationError",
      origin_not_allowed: "PolicyViolationError",
    });
  });
});
