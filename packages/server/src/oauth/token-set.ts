/** The token set of a grant as the vault keeps it. Lives in memory only while in use. */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  tokenType?: string;
  /** Epoch ms when the access token expires, when the provider said. */
  expiresAt?: number;
  /**
   * How long the access token lived when issued (`expires_in`, in ms). The refresh margin is a
   * share of it, so a short-lived token is not refreshed on every use. Absent on token sets
   * stored before it was recorded, and when the provider gave no expiry.
   */
  lifetimeMs?: number;
}
