import { readReturn } from "./return-url.js";
import { VERSION } from "./version.js";
import { create } from "./widget.js";

export * from "./return-url.js";
export * from "./types.js";
export * from "./version.js";
export * from "./widget.js";

/** `GrantvaultConnect.create({ baseUrl })`, as with the script-tag build's global. */
export const GrantvaultConnect = { create, readReturn, version: VERSION };
export default GrantvaultConnect;
