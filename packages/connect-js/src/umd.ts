/** Entry of the script-tag/UMD build: these become the members of the global `GrantvaultConnect`. */
export { readReturn } from "./return-url.js";
export { VERSION as version } from "./version.js";
export { create } from "./widget.js";
