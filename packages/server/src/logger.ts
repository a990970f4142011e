import pino, { type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.js";

/**
 * Keys whose values are blanked wherever they appear in a log object, up to three levels deep
 * (`token`, `grant.token`, `grant.provider.token`). Request logs carry no headers or bodies at all
 * (see the serializers); this is the second line of defence for objects a service logs on purpose.
 */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  "authorization",
  "cookie",
  "apiKey",
  "api_key",
  "secret",
  "clientSecret",
  "client_secret",
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "idToken",
  "id_token",
  "password",
  "masterKey",
]);
const REDACTED = "[redacted]";
const REDACT_DEPTH = 3;

/**
 * A copy of `value` with every SECRET_KEYS value blanked, through plain objects and arrays up to
 * REDACT_DEPTH levels. Nested keys are done here, for each line written, rather than with pino's
 * wildcard `redact` paths (`*.token`): those also run on the bindings of every child logger — one
 * per HTTP request — and cost a fifth of the vault's allocations per credential call, with
 * logging off. pino's `redact` keeps the top-level keys, which covers child loggers' bindings.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth >= REDACT_DEPTH || typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const prototype = Object.getPrototypeOf(value);
  // Errors and other class instances go through their serializers (pino.stdSerializers.err).
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = SECRET_KEYS.has(key) ? REDACTED : redactSecrets(item, depth + 1);
  }
  return copy;
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: [...SECRET_KEYS], censor: REDACTED },
      formatters: { log: (object) => redactSecrets(object) as Record<string, unknown> },
      serializers: {
        // Method and path only: query strings can hold OAuth codes and state.
        req: (req: { method?: string; url?: string; id?: string }) => ({
          id: req.id,
          method: req.method,
          path: redactPath(req.url?.split("?")[0]),
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}

/**
 * Connect URLs carry the session token (a bearer secret) in the path. The router decodes
 * percent-escapes, so `/connect/%67vcs_…` is a working link too (F18): escapes of unreserved
 * characters are decoded (repeatedly, for double encoding) before a token is looked for, and a
 * token is redacted wherever it appears, in any case.
 */
export function redactPath(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  let decoded = path;
  for (let round = 0; round < 3; round++) {
    const next = decoded.replace(/%([0-9A-Fa-f]{2})/g, (encoded, hex: string) => {
      const char = String.fromCharCode(Number.parseInt(hex, 16));
      return /[A-Za-z0-9_.~%-]/.test(char) ? char : encoded;
    });
    if (next === decoded) break;
    decoded = next;
  }
  return decoded.replace(/gvcs_[^/]*/gi, "[redacted]");
}

export type { Logger };
