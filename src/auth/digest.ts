// SHA-256 for secrets we must recognise but never store: API keys and session tokens.
export function sha256(value: string): Uint8Array {
  return new Bun.CryptoHasher("sha256").update(value).digest() as Uint8Array;
}

export function sha256Hex(value: string): string {
  return new Bun.CryptoHasher("sha256").update(value).digest("hex");
}

/** A URL-safe base64 token from `bytes` random bytes (32 bytes → 43 characters). */
export function randomToken(bytes = 32): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url");
}
