import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appsContract } from "./apps-contract.js";
import { auditChainContract } from "./audit-chain-contract.js";
import { controlPlaneContract } from "./control-plane-contract.js";
import { expiryContract } from "./expiry-contract.js";
import { grantsContract } from "./grants-contract.js";
import { keyFileContract } from "./key-file-contract.js";
import { keyRotationContract } from "./key-rotation-contract.js";
import { keyScopesContract } from "./key-scopes-contract.js";
import { refreshSafetyContract } from "./refresh-safety-contract.js";
import { sealedAtRestContract } from "./sealed-at-rest-contract.js";

const openSqlite = async () => {
  const dir = await mkdtemp(join(tmpdir(), "gv-storage-sqlite-"));
  return {
    url: join(dir, "grantvault.db"),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
};

appsContract("sqlite", openSqlite);
grantsContract("sqlite", openSqlite);
sealedAtRestContract("sqlite", openSqlite);
keyRotationContract("sqlite", openSqlite);
keyFileContract("sqlite", openSqlite);
keyScopesContract("sqlite", openSqlite);
auditChainContract("sqlite", openSqlite);
expiryContract("sqlite", openSqlite);
refreshSafetyContract("sqlite", openSqlite);
controlPlaneContract("sqlite", openSqlite);
