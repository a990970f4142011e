import { createTestDatabase } from "../harness/postgres.js";
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

const openPostgres = async () => {
  const database = await createTestDatabase();
  return { url: database.url, cleanup: () => database.drop() };
};

appsContract("postgres", openPostgres);
grantsContract("postgres", openPostgres);
sealedAtRestContract("postgres", openPostgres);
keyRotationContract("postgres", openPostgres);
keyFileContract("postgres", openPostgres);
keyScopesContract("postgres", openPostgres);
auditChainContract("postgres", openPostgres);
expiryContract("postgres", openPostgres);
refreshSafetyContract("postgres", openPostgres);
controlPlaneContract("postgres", openPostgres);
