/** The version of Connect.js (the global's `version` in the script-tag build). */
export const VERSION = "0.1.0";
