import { describe, expect, it } from "vitest";
import { type Engine, grantRecord, type OpenedDatabase, T0, useContractStore } from "./storage-fixtures.js";

/**
 * What refresh safety (F3, F7) needs of storage, on one engine: a refresh lease claimed by exactly
 * one of many claimants in one statement, credentials replaced only by compare-and-set while the
 * grant is active, revocation taking what it deletes, and status moves that never leave `revoked`.
 */
export function refreshSafetyContract(engine: Engine, open: () => Promise<OpenedDatabase>): void {
  describe(`refresh safety storage on ${engine}`, () => {
    const env = useContractStore(open);
    const newGrant = async () => {
      const grant = grantRecord(await env.newApp());
      await env.store.grants.insert(grant);
      return grant.id;
    };

    it("F7: a refresh lease goes to exactly one of many concurrent claimants", async () => {
      const grantId = await newGrant();
      const leases = env.store.refreshLeases;
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, index) => leases.claim(grantId, `holder-${index}`, T0, T0 + 45_000)),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      // Held: nobody else gets it, until it expires or its holder gives it up.
      expect(await leases.claim(grantId, "late", T0 + 44_999, T0 + 90_000)).toBe(false);
      const winner = `holder-${claims.indexOf(true)}`;
      await leases.release(grantId, "not-the-holder");
      expect(await leases.claim(grantId, "late", T0 + 1, T0 + 90_000)).toBe(false);
      await leases.release(grantId, winner);
      expect(await leases.claim(grantId, "next", T0 + 2, T0 + 45_000)).toBe(true);
      // A lease whose holder died is taken over once it expired; the old holder's release is a no-op.
      expect(await leases.claim(grantId, "taker", T0 + 45_000, T0 + 90_000)).toBe(true);
      await leases.release(grantId, "next");
      expect(await leases.claim(grantId, "third", T0 + 45_001, T0 + 90_000)).toBe(false);
      // Leases are per grant.
      expect(await leases.claim(await newGrant(), "other", T0, T0 + 45_000)).toBe(true);
    });

    it("F3: credentials are replaced only over the value read, and only while the grant is active", async () => {
      const grantId = await newGrant();
      const { credentials, grants } = env.store;
      await credentials.put(grantId, "sealed-1", T0);
      expect(await credentials.replaceIf(grantId, "sealed-0", "sealed-x", T0)).toBe(false);
      expect(await credentials.replaceIf(grantId, "sealed-1", "sealed-2", T0)).toBe(true);
      expect(await credentials.get(grantId)).toBe("sealed-2");
      // A second refresh that started from the same read loses.
      expect(await credentials.replaceIf(grantId, "sealed-1", "sealed-3", T0)).toBe(false);

      // Revoked: the row is taken (what was deleted comes back) and nothing is stored again.
      expect(await grants.setStatus(grantId, "revoked", "test", T0)).toBe(true);
      expect(await credentials.replaceIf(grantId, "sealed-2", "sealed-4", T0)).toBe(false);
      expect(await credentials.take(grantId)).toBe("sealed-2");
      expect(await credentials.take(grantId)).toBeNull();
      expect(await credentials.get(grantId)).toBeNull();

      // Not active, with the row still there: no replacement either.
      const other = await newGrant();
      await credentials.put(other, "sealed-1", T0);
      await grants.setStatus(other, "reauth_required", "refused", T0);
      expect(await credentials.replaceIf(other, "sealed-1", "sealed-2", T0)).toBe(false);
      expect(await credentials.get(other)).toBe("sealed-1");
    });

    it("F3: `revoked` is final, and only an active grant is marked for re-authorization", async () => {
      const { grants } = env.store;
      const grantId = await newGrant();
      expect(await grants.statusOf(grantId)).toBe("active");
      expect(await grants.setStatus(grantId, "reauth_required", "refused", T0)).toBe(true);
      expect(await grants.setStatus(grantId, "reauth_required", "again", T0)).toBe(false);
      expect(await grants.setStatus(grantId, "revoked", "by the app", T0)).toBe(true);
      for (const status of ["active", "reauth_required", "revoked"] as const) {
        expect(await grants.setStatus(grantId, status, "late", T0 + 1)).toBe(false);
      }
      expect(await grants.statusOf(grantId)).toBe("revoked");
      expect(await grants.statusOf("grant_000000000000000000000000")).toBeNull();
    });
  });
}
