export * from "./api-keys.js";
export * from "./app.js";
export * from "./audit.js";
export * from "./connect-sessions.js";
export * from "./connect-widget.js";
export * from "./errors.js";
export * from "./grants.js";
export * from "./health.js";
