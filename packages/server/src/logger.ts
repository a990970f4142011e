import pino, { type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.js";

/**
 * Paths pino blanks out wherever they appear in a log object. Request logs carry no headers or
 * bodies at all (see the serializers); this list is the second line of defence for objects a
 * service logs on purpose.
 */
export const REDACTED_PATHS = [
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
].flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [...REDACTED_PATHS, "req.headers.authorization", "req.headers.cookie"],
        censor: "[redacted]",
      },
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

/** Connect URLs carry the session token (a bearer secret) in the path. */
function redactPath(path: string | undefined): string | undefined {
  return path?.replace(/\/connect\/gvcs_[^/]+/, "/connect/[redacted]");
}

export type { Logger };
