import { create, readReturn, VERSION } from "./widget.js";

export * from "./widget.js";

/** `GrantvaultConnect.create({ baseUrl })`, as with the script-tag build's global. */
export const GrantvaultConnect = { create, readReturn, version: VERSION };
export default GrantvaultConnect;
