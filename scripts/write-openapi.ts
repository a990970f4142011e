/**
 * `npm run openapi`: writes the API contract to docs/openapi.json (committed, so a change to the
 * API shows up in review; test/server/openapi.test.ts fails when the file is stale).
 */
import { writeFileSync } from "node:fs";
import { buildOpenApiDocument } from "../packages/protocol/src/openapi.js";

writeFileSync(
  new URL("../docs/openapi.json", import.meta.url),
  `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`,
);
