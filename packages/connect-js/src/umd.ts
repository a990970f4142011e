/** Entry of the script-tag/UMD build: these become the members of the global `GrantvaultConnect`. */
export { create, readReturn, VERSION as version } from "./widget.js";
