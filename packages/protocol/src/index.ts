export * from "./api-keys.js";
export * from "./app.js";
export * from "./errors.js";
export * from "./health.js";
