/** The token set of a grant as the vault keeps it. Lives in memory only while in use. */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  tokenType?: string;
  /** Epoch ms when the access token expires, when the provider said. */
  expiresAt?: number;
}
