import { z } from "zod";
import { isLoopbackHost } from "../net.js";

/**
 * Per-connection parameters (issue 15 item 2): a provider whose URLs depend on the account (a
 * tenant, a shop, a region) declares parameters, and its URLs carry `{name}` placeholders that a
 * connection's values fill. A value comes from an app or from the user typing it on the Connect
 * page, so it is untrusted: besides the operator's pattern, every value must fit SAFE_VALUE, a
 * fixed charset with no `/ ? # @ : % \` and no `..`, so it can never reach outside its
 * placeholder's position (another host, a path escape, a query or fragment).
 */

/** What `{name}` may be: short, lowercase, the same rule as a JSON field would want. */
export const PARAMETER_NAME = /^[a-z][a-z0-9_]{0,31}$/;
/**
 * The pattern a value must match when the operator gave none: a DNS label. (`\-` rather than a
 * trailing `-`, so it also compiles with the `v` flag browsers use for the HTML pattern.)
 */
export const DEFAULT_PARAMETER_PATTERN = "^[a-z0-9][a-z0-9\\-]{0,62}$";
/** Longest value accepted, whatever the pattern says. */
export const MAX_PARAMETER_VALUE_LENGTH = 100;
/**
 * The fixed charset every value must fit: letters, digits, `-`, `_`, `.`; starts and ends with a
 * letter or digit (so never `.` or `..` alone); `..` nowhere (checked apart).
 */
const SAFE_VALUE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$/;
/** Most parameters a provider may declare. */
export const MAX_PARAMETERS = 10;
/** Stands in for a value when a template URL is checked (a valid DNS label). */
const SAMPLE_VALUE = "sample0";
const PLACEHOLDER = /\{([^{}]*)\}/g;
/**
 * A quantified group whose first element repeats too (`(a+)+`, `([a-z]*)*`, `(\w{2,})+`): the
 * common shape of catastrophic backtracking. Values are typed by anyone with a Connect link, so
 * such a pattern is refused when the operator configures it rather than run against them. (A
 * heuristic: `(-[a-z]+)*`, whose every round starts with a literal, stays allowed.)
 */
const NESTED_QUANTIFIER = /\((?:\[[^\]]*\]|\\.|[^()\\[])(?:[+*]|\{\d+,?\d*\})[^()]*\)(?:[+*]|\{\d+,?\d*\})/;

export const ConnectionParameter = z
  .object({
    name: z
      .string()
      .regex(PARAMETER_NAME, "must be a lowercase letter then lowercase letters, digits or _ (at most 32)"),
    displayName: z.string().min(1).max(60).optional(),
    description: z.string().min(1).max(300).optional(),
    /** A regular expression every value must match (anchored whether or not it says so). */
    pattern: z
      .string()
      .min(1)
      .max(300)
      .refine((pattern) => compiledPattern(pattern) !== null, "is not a valid regular expression")
      .refine(
        (pattern) => !NESTED_QUANTIFIER.test(pattern),
        "has a repeated group that repeats inside ((a+)+): a typed value could make it run for minutes",
      )
      .optional(),
  })
  .strict();
export type ConnectionParameter = z.infer<typeof ConnectionParameter>;

/** Values of one connection: parameter name → value. */
export type ConnectionParams = Record<string, string>;

/** The `{name}` placeholders of a template, in order, repeated ones once. */
export function placeholdersIn(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? ""))];
}

/**
 * Problems of one template URL on its own: placeholders that are not parameter names, a
 * placeholder in the scheme or as the whole domain, and (with every placeholder filled with a
 * sample value) a URL that is not https (http only to loopback).
 */
export function templateUrlProblems(template: string): string[] {
  const problems: string[] = [];
  const names = placeholdersIn(template);
  for (const name of names) {
    if (!PARAMETER_NAME.test(name)) problems.push(`{${name}} is not a parameter name`);
  }
  if (template.includes("{") && template.replace(PLACEHOLDER, "").match(/[{}]/)) {
    problems.push("has an unclosed { or }");
  }
  const schemeEnd = template.indexOf("://");
  if (names.length > 0 && (schemeEnd < 0 || template.slice(0, schemeEnd).includes("{"))) {
    problems.push("a placeholder cannot be in the scheme");
  }
  const sample = template.replace(PLACEHOLDER, SAMPLE_VALUE);
  if (!isAcceptableUrl(sample)) {
    problems.push("must be an https URL (http only for localhost/127.0.0.1)");
    return problems;
  }
  if (names.length > 0 && placeholderOwnsDomain(template)) {
    problems.push(
      "a placeholder in the host must be followed by the provider's domain ({tenant}.example.com)",
    );
  }
  return problems;
}

/** https, or http to a loopback host: the URLs the vault may call. */
export function isAcceptableUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const parsed = new URL(value);
  return parsed.protocol === "https:" || (parsed.protocol === "http:" && isLoopbackHost(parsed.hostname));
}

/**
 * True when a placeholder sits in the last two labels of the host (`https://{shop}`,
 * `https://login.{domain}`): a value would choose the whole domain the vault calls.
 */
function placeholderOwnsDomain(template: string): boolean {
  const afterScheme = template.slice(template.indexOf("://") + 3);
  const authority = afterScheme.split(/[/?#]/, 1)[0] ?? "";
  const host = authority.replace(/:[^:]*$/, "");
  const labels = host.split(".");
  return labels.slice(-2).some((label) => label.includes("{")) || (labels.length < 3 && host.includes("{"));
}

/**
 * Cross-checks a document's parameters with its URLs: every placeholder declared, every declared
 * parameter used, no name twice. `urls` maps a field path to its template(s).
 */
export function parameterUsageProblems(
  parameters: readonly { name: string }[],
  urls: Record<string, string | readonly string[] | undefined>,
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const declared = new Set<string>();
  parameters.forEach((parameter, index) => {
    if (declared.has(parameter.name)) {
      problems.push({ path: `parameters.${index}.name`, message: `"${parameter.name}" is declared twice` });
    }
    declared.add(parameter.name);
  });
  const used = new Set<string>();
  for (const [path, value] of Object.entries(urls)) {
    const templates = value === undefined ? [] : typeof value === "string" ? [value] : value;
    templates.forEach((template, index) => {
      const place = typeof value === "string" ? path : `${path}.${index}`;
      for (const name of placeholdersIn(template)) {
        used.add(name);
        if (PARAMETER_NAME.test(name) && !declared.has(name)) {
          problems.push({
            path: place,
            message: `{${name}} is not a declared parameter (add it to "parameters")`,
          });
        }
      }
    });
  }
  parameters.forEach((parameter, index) => {
    if (!used.has(parameter.name) && PARAMETER_NAME.test(parameter.name)) {
      problems.push({
        path: `parameters.${index}.name`,
        message: `"${parameter.name}" is not used in any URL`,
      });
    }
  });
  return problems;
}

/** The operator's pattern, anchored; null when it does not compile. */
function compiledPattern(pattern: string): RegExp | null {
  try {
    return new RegExp(`^(?:${pattern})$`, "u");
  } catch {
    return null;
  }
}

const patternCache = new Map<string, RegExp | null>();

function patternOf(parameter: ConnectionParameter): RegExp | null {
  const source = parameter.pattern ?? DEFAULT_PARAMETER_PATTERN;
  if (!patternCache.has(source)) {
    if (patternCache.size > 1000) patternCache.clear();
    patternCache.set(source, compiledPattern(source));
  }
  return patternCache.get(source) ?? null;
}

/**
 * The parameter's pattern as an HTML `pattern` attribute (browsers compile it with the `v` flag,
 * anchored), or null when it does not compile that way: the field is then checked by the vault
 * only, which it is anyway.
 */
export function htmlPatternOf(parameter: ConnectionParameter): string | null {
  const pattern = parameter.pattern ?? DEFAULT_PARAMETER_PATTERN;
  try {
    new RegExp(`^(?:${pattern})$`, "v");
    return pattern;
  } catch {
    return null;
  }
}

/** Why a value cannot be used for `parameter`, or null when it can. */
export function parameterValueProblem(parameter: ConnectionParameter, value: unknown): string | null {
  if (typeof value !== "string" || value === "") return "is required";
  if (value.length > MAX_PARAMETER_VALUE_LENGTH) {
    return `must be at most ${MAX_PARAMETER_VALUE_LENGTH} characters`;
  }
  if (!SAFE_VALUE.test(value) || value.includes("..")) {
    return "may only contain letters, digits, -, _ and . (starting and ending with a letter or digit)";
  }
  if (!patternOf(parameter)?.test(value)) {
    return `does not match the expected format (${parameter.pattern ?? DEFAULT_PARAMETER_PATTERN})`;
  }
  return null;
}

/**
 * Every problem with a connection's values for these parameters: missing ones, unknown names and
 * values that do not pass parameterValueProblem. Paths are the parameter names.
 */
export function connectionParamsProblems(
  parameters: readonly ConnectionParameter[],
  values: Record<string, unknown>,
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const known = new Set(parameters.map((parameter) => parameter.name));
  for (const name of Object.keys(values)) {
    if (!known.has(name)) {
      problems.push({
        path: name,
        message:
          known.size === 0
            ? "this provider takes no connection parameters"
            : `is not a parameter of this provider (it takes: ${[...known].join(", ")})`,
      });
    }
  }
  for (const parameter of parameters) {
    const problem = parameterValueProblem(parameter, values[parameter.name]);
    if (problem) problems.push({ path: parameter.name, message: problem });
  }
  return problems;
}

/** A value that must not be used: the caller's checks were skipped or wrong. Never shown to users. */
export class UnsafeConnectionParams extends Error {}

/**
 * The template with its placeholders filled. Values are checked again here (the one place a URL
 * is built from them), and the result must keep the template's shape: same scheme and port, no
 * credentials, and as many path segments, a query and a fragment exactly when the template has
 * them. Throws UnsafeConnectionParams otherwise.
 */
export function fillUrl(
  template: string,
  parameters: readonly ConnectionParameter[],
  values: ConnectionParams,
): string {
  const names = placeholdersIn(template);
  if (names.length === 0) return template;
  const filled = template.replace(PLACEHOLDER, (_match, name: string) => {
    const parameter = parameters.find((candidate) => candidate.name === name);
    const value = values[name];
    if (!parameter || value === undefined || parameterValueProblem(parameter, value) !== null) {
      throw new UnsafeConnectionParams(`no usable value for {${name}}`);
    }
    return value;
  });
  const sample = new URL(template.replace(PLACEHOLDER, SAMPLE_VALUE));
  if (!URL.canParse(filled)) throw new UnsafeConnectionParams("the filled URL does not parse");
  const url = new URL(filled);
  const segments = (parsed: URL) => parsed.pathname.split("/").length;
  if (
    url.protocol !== sample.protocol ||
    url.port !== sample.port ||
    url.username !== "" ||
    url.password !== "" ||
    segments(url) !== segments(sample) ||
    (url.search === "") !== (sample.search === "") ||
    (url.hash === "") !== (sample.hash === "") ||
    !isAcceptableUrl(filled)
  ) {
    throw new UnsafeConnectionParams("the filled URL changed shape");
  }
  return filled;
}

/**
 * The CSP form-action source that covers every filling of a template's origin: the origin itself
 * when no placeholder is in it, else a `*.` wildcard over the host's literal suffix.
 */
export function originSourceOf(template: string): string {
  const schemeEnd = template.indexOf("://") + 3;
  const authority = template.slice(schemeEnd).split(/[/?#]/, 1)[0] ?? "";
  if (!authority.includes("{")) return new URL(template.replace(PLACEHOLDER, SAMPLE_VALUE)).origin;
  const scheme = template.slice(0, schemeEnd);
  const suffix = authority.slice(authority.lastIndexOf("}") + 1).replace(/^[^.]*\./, "");
  return `${scheme}*.${suffix}`;
}

/** A template URL's `scheme://authority` as written (its origin, when no placeholder is in it). */
export function templateOrigin(template: string): string {
  if (!template.includes("{")) return new URL(template).origin;
  const schemeEnd = template.indexOf("://") + 3;
  const authority = template.slice(schemeEnd).split(/[/?#]/, 1)[0] ?? "";
  return template.slice(0, schemeEnd) + authority;
}
