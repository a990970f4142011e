import type { FastifyError, FastifyInstance } from "fastify";
import { VaultError } from "../errors.js";

/** Fastify's own failures (body parsing, limits) mapped to our registry, so clients see stable codes. */
const FASTIFY_CODES: Record<string, VaultError["code"]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid_json",
  FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_json",
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "invalid_request",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
};

/** Every error leaves as `{ error: { code, message } }`; anything unexpected is logged and becomes a 500. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | VaultError, request, reply) => {
    let vaultError: VaultError;
    if (error instanceof VaultError) {
      vaultError = error;
    } else if (error.code && FASTIFY_CODES[error.code]) {
      vaultError = new VaultError(FASTIFY_CODES[error.code] as VaultError["code"], { cause: error });
    } else if ((error.statusCode ?? 500) < 500 && error.validation) {
      vaultError = new VaultError("invalid_request", { cause: error });
    } else if ((error.statusCode ?? 500) < 500) {
      vaultError = new VaultError("invalid_request", { message: error.message, cause: error });
    } else {
      vaultError = new VaultError("internal_error", { cause: error });
    }
    if (vaultError.status >= 500) request.log.error({ err: error }, "request failed");
    else request.log.info({ errorCode: vaultError.code }, "request refused");
    return reply.status(vaultError.status).send(vaultError.toBody());
  });

  app.setNotFoundHandler((_request, reply) => {
    const error = new VaultError("route_not_found");
    return reply.status(error.status).send(error.toBody());
  });
}
