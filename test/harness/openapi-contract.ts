import { buildOpenApiDocument, PROXY_HEADERS } from "@grantvault/protocol";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";

// biome-ignore lint/suspicious/noExplicitAny: a JSON document walked by path in assertions.
export type Json = Record<string, any>;

/** The OpenAPI document, and its schemas compiled with ajv (draft 2020-12, refs resolved by ajv). */
export const openApiDocument = buildOpenApiDocument() as Json;

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(openApiDocument, "openapi.json");

const escapePointer = (segment: string) => segment.replaceAll("~", "~0").replaceAll("/", "~1");

/** The validator of one documented answer; throws when the document has no such answer. */
export function validatorFor(path: string, method: string, status: number): ValidateFunction {
  const responses = openApiDocument.paths[path]?.[method]?.responses;
  if (!responses?.[status]) throw new Error(`${method.toUpperCase()} ${path} documents no ${status} answer`);
  const ref: string | undefined = responses[status].$ref;
  const pointer = ref
    ? `${ref.slice(1)}/content/application~1json/schema`
    : `/paths/${escapePointer(path)}/${method}/responses/${status}/content/application~1json/schema`;
  const validate = ajv.getSchema(`openapi.json#${pointer}`);
  if (!validate) throw new Error(`no schema at ${pointer}`);
  return validate;
}

/** The documented path template a concrete path matches (`/v1/grants/grant_…` → `/v1/grants/{id}`). */
export function templateOf(method: string, path: string): string | undefined {
  return Object.keys(openApiDocument.paths).find((template) => {
    if (!openApiDocument.paths[template][method]) return false;
    const pattern = template.replace(/\{\w+\}/g, "[^/]+");
    return new RegExp(`^${pattern}$`).test(path);
  });
}

/** Problems with one answer of the vault: undocumented, or a body the document does not allow. */
export function contractProblems(method: string, url: string, status: number, body: unknown): string[] {
  const lower = method.toLowerCase();
  const path = new URL(url, "http://vault.invalid").pathname;
  const template = templateOf(lower, path);
  // No route: the vault answers route_not_found, which every operation documents; check it as one.
  const where = template ?? "/v1/app";
  if (!template && !(status === 404 && (body as Json)?.error?.code === "route_not_found")) {
    return [`${method} ${path}: not in the document`];
  }
  let validate: ValidateFunction;
  try {
    validate = validatorFor(where, template ? lower : "get", status);
  } catch (error) {
    return [`${method} ${path}: ${(error as Error).message}`];
  }
  return validate(body) ? [] : [`${method} ${path} ${status}: ${ajv.errorsText(validate.errors)}`];
}

/**
 * A `fetch` for the SDK that checks every JSON answer of the vault against the document (the
 * provider's own answers, in proxy or retrieve mode, are the provider's business and are passed through).
 */
export function contractCheckingFetch(
  vaultUrl: string,
  seen: { checked: string[]; problems: string[] },
): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const proxied = response.headers.has(PROXY_HEADERS.proxied);
    // Retrieve mode: the SDK calls the provider itself with this fetch too.
    const fromVault = new Request(input, init).url.startsWith(new URL(vaultUrl).origin);
    if (!fromVault || proxied || !response.headers.get("content-type")?.startsWith("application/json"))
      return response;
    const request = new Request(input, init);
    const body = await response.clone().json();
    const problems = contractProblems(request.method, request.url, response.status, body);
    seen.checked.push(
      `${request.method} ${templateOf(request.method.toLowerCase(), new URL(request.url).pathname)} ${response.status}`,
    );
    seen.problems.push(...problems);
    return response;
  };
}
