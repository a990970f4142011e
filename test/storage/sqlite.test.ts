import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditChainContract } from "./audit-chain-contract.js";
import { storageContract } from "./storage-contract.js";

const openSqlite = async () => {
  const dir = await mkdtemp(join(tmpdir(), "gv-storage-sqlite-"));
  return {
    url: join(dir, "grantvault.db"),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
};

storageContract("sqlite", openSqlite);
auditChainContract("sqlite", openSqlite);
