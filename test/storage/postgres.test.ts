import { createTestDatabase } from "../harness/postgres.js";
import { auditChainContract } from "./audit-chain-contract.js";
import { storageContract } from "./storage-contract.js";

const openPostgres = async () => {
  const database = await createTestDatabase();
  return { url: database.url, cleanup: () => database.drop() };
};

storageContract("postgres", openPostgres);
auditChainContract("postgres", openPostgres);
