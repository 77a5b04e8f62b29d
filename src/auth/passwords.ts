// Password hashing with argon2id (Bun.password). `verifyPassword` against a throw-away hash when the
// user does not exist keeps a failed login's timing from revealing which usernames exist.
export const MIN_PASSWORD_LENGTH = 12;

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: "argon2id" });
}

let decoyHash: Promise<string> | undefined;

export async function verifyPassword(password: string, hash: string | undefined): Promise<boolean> {
  // No hash (no such user), or a blank one (restored from a web backup, which carries none): nothing
  // matches, with the same work as a real check.
  if (hash === undefined || hash === "") {
    decoyHash ??= hashPassword(crypto.randomUUID());
    await Bun.password.verify(password, await decoyHash);
    return false;
  }
  return Bun.password.verify(password, hash);
}
