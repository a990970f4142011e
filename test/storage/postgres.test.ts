import { createTestDatabase } from "../harness/postgres.js";
import { storageContract } from "./storage-contract.js";

storageContract("postgres", async () => {
  const database = await createTestDatabase();
  return { url: database.url, cleanup: () => database.drop() };
});
