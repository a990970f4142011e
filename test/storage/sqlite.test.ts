import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { storageContract } from "./storage-contract.js";

storageContract("sqlite", async () => {
  const dir = await mkdtemp(join(tmpdir(), "gv-storage-sqlite-"));
  return {
    url: join(dir, "grantvault.db"),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
