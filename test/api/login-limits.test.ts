// Failed logins are limited per client address and per account name. The guesser here is one host
// with a hundred addresses (127.0.0.2 … 127.0.0.101, all loopback on Linux) talking to the real
// appliance on 127.0.0.1: the per-address limit alone let such a host make 500 guesses a minute.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { loopbackAddresses, postFrom } from "../helpers/from-address.ts";
import { ADMIN, sealedEnv, setupAdmin, startTestServer, type Reply, type TestServer } from "../helpers/server.ts";

const MAIN = resolve(import.meta.dir, "../../src/main.ts");
const ADDRESSES = loopbackAddresses(100);

/** Each call comes from the next of the hundred addresses, so no address gets near its own limit. */
function rotatingClient(server: TestServer) {
  let next = 0;
  return (username: string, password: string): Promise<Reply> => postFrom(ADDRESSES[next++ % ADDRESSES.length], server.url, "/api/auth/login", { username, password });
}

const retryAfter = (r: Reply) => Number(r.headers.get("retry-after"));

describe("failed logins per account, whatever the address", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    await setupAdmin(server);
  });
  afterAll(() => server.close());

  test("100 addresses, one guess each: 5 failures, then 429 for every further guess, the right password too", async () => {
    const login = rotatingClient(server);
    const replies: Reply[] = [];
    for (let i = 0; i < 99; i++) replies.push(await login("admin", `guess-number-${i}`));
    expect(replies.slice(0, 5).map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(replies.slice(5).filter((r) => r.status !== 429).map((r) => r.status)).toEqual([]);
    for (const r of replies.slice(5)) {
      expect(r.body.detail).toMatch(/^Too many failed logins; try again in \d+ seconds$/);
      expect(retryAfter(r)).toBeGreaterThanOrEqual(1);
      expect(retryAfter(r)).toBeLessThanOrEqual(1);
    }
    // The hundredth address knows the password: it waits like everyone else.
    const right = await login("admin", ADMIN.password);
    expect(right.status).toBe(429);
    expect(retryAfter(right)).toBe(1);
  });

  test("the wait doubles with each further failure; a success ends it", async () => {
    const login = rotatingClient(server);
    // Continuing from the 5 failures above: after the n-th failure the next guess waits 2^(n-5) s.
    for (const wait of [1, 2, 4]) {
      const refused = await login("admin", "too-early-guess");
      expect(refused.status).toBe(429);
      expect(retryAfter(refused)).toBeLessThanOrEqual(wait);
      await Bun.sleep(retryAfter(refused) * 1000 + 50);
      expect((await login("admin", `late-guess-${wait}`)).status).toBe(401);
      const next = await login("admin", "too-early-guess");
      expect(next.status).toBe(429);
      expect(retryAfter(next)).toBeGreaterThan(wait);
      expect(retryAfter(next)).toBeLessThanOrEqual(wait * 2);
    }
    await Bun.sleep(8_050);
    expect((await login("admin", ADMIN.password)).status).toBe(200);
    // Forgotten: five free failures again.
    for (let i = 0; i < 5; i++) expect((await login("admin", `after-success-${i}`)).status).toBe(401);
    expect((await login("admin", "one-too-many")).status).toBe(429);
  }, 60_000);

  test("a name that is no account is delayed exactly like the account (no user enumeration)", async () => {
    const login = rotatingClient(server);
    for (const name of ["nobody-at-all", "ADMIN-not"]) {
      const statuses: number[] = [];
      const waits: number[] = [];
      for (let i = 0; i < 8; i++) {
        const r = await login(name, `guess-${i}`);
        statuses.push(r.status);
        if (r.status === 429) waits.push(retryAfter(r));
      }
      expect({ name, statuses }).toEqual({ name, statuses: [401, 401, 401, 401, 401, 429, 429, 429] });
      expect(waits).toEqual([1, 1, 1]);
    }
  });

  test("the name is compared without case, as the account is found", async () => {
    const fresh = await startTestServer();
    try {
      await setupAdmin(fresh);
      const login = rotatingClient(fresh);
      for (const name of ["admin", "Admin", "ADMIN", "aDmIn", "admiN"]) expect((await login(name, "wrong-password")).status).toBe(401);
      expect((await login("ADMIN", ADMIN.password)).status).toBe(429);
    } finally {
      await fresh.close();
    }
  });
});

describe("argus user reset-password ends the account's delay", () => {
  test("the server notices the new password and lets its owner in at once", async () => {
    const server = await startTestServer();
    try {
      await setupAdmin(server);
      const login = rotatingClient(server);
      for (let i = 0; i < 5; i++) expect((await login("admin", `guess-${i}`)).status).toBe(401);
      for (const wait of [1, 2, 4]) {
        await Bun.sleep(wait * 1000 + 50);
        expect((await login("admin", `guess-after-${wait}`)).status).toBe(401);
      }
      // Eight failures: the next attempt waits 8 s, and the right password is refused meanwhile.
      const locked = await login("admin", ADMIN.password);
      expect(locked.status).toBe(429);
      expect(retryAfter(locked)).toBeGreaterThan(4);
      const lockedAt = Date.now();
      const newPassword = "a brand new passphrase";
      const cli = Bun.spawn([process.execPath, MAIN, "user", "reset-password", "--data-dir", server.dataDir], {
        env: sealedEnv(),
        stdin: new TextEncoder().encode(`${newPassword}\n`),
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(await cli.exited).toBe(0);
      const ok = await login("admin", newPassword);
      // Only meaningful while the old wait would still be in force.
      expect(Date.now() - lockedAt).toBeLessThan(retryAfter(locked) * 1000 - 500);
      expect(ok.status).toBe(200);
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe("the per-address limit behind a proxy", () => {
  test("X-Forwarded-For and friends are not trusted: changing them does not reset the address's limit", async () => {
    const server = await startTestServer();
    try {
      await setupAdmin(server);
      const from = ADDRESSES[0];
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        // Another name each time, so that only the per-address limit can refuse.
        const spoof = `10.0.0.${i + 1}`;
        const r = await postFrom(from, server.url, "/api/auth/login", { username: `someone-${i}`, password: "wrong password" }, {
          "X-Forwarded-For": spoof,
          "X-Real-IP": spoof,
          Forwarded: `for=${spoof}`,
        });
        statuses.push(r.status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
      // Another address is not limited.
      expect((await postFrom(ADDRESSES[1], server.url, "/api/auth/login", { username: "someone-else", password: "wrong password" })).status).toBe(401);
    } finally {
      await server.close();
    }
  });
});
