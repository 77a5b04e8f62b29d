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

  test("100 addresses at once, one guess each: 5 are checked, the other 95 get 429", async () => {
    const replies = await Promise.all(ADDRESSES.map((from, i) => postFrom(from, server.url, "/api/auth/login", { username: "admin", password: `guess-number-${i}` })));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBe(5);
    expect(statuses.filter((s) => s === 429).length).toBe(95);
    for (const r of replies.filter((r) => r.status === 429)) {
      expect(r.body.detail).toMatch(/^Too many failed logins; try again in (1 second|\d+ seconds)$/);
      expect(retryAfter(r)).toBe(1);
    }
  });

  test("the wait doubles with each further failure; a success ends it", async () => {
    const login = rotatingClient(server);
    // Continuing from the 5 failures above: after the n-th failure the next guess waits 2^(n-5) s.
    await Bun.sleep(1_050);
    for (const wait of [2, 4, 8]) {
      expect((await login("admin", `late-guess-${wait}`)).status).toBe(401);
      const next = await login("admin", "too-early-guess");
      expect(next.status).toBe(429);
      expect(retryAfter(next)).toBeGreaterThan(wait / 2);
      expect(retryAfter(next)).toBeLessThanOrEqual(wait);
      // Refused attempts do not lengthen the wait.
      expect(retryAfter(await login("admin", "too-early-again"))).toBeLessThanOrEqual(retryAfter(next));
      if (wait < 8) await Bun.sleep(retryAfter(next) * 1000 + 50);
    }
    // Eight failures: the next attempt waits 8 s, and the right password is refused meanwhile.
    const right = await login("admin", ADMIN.password);
    expect(right.status).toBe(429);
    await Bun.sleep(retryAfter(right) * 1000 + 50);
    expect((await login("admin", ADMIN.password)).status).toBe(200);
    // Forgotten: five free failures again.
    for (let i = 0; i < 5; i++) expect((await login("admin", `after-success-${i}`)).status).toBe(401);
    expect((await login("admin", "one-too-many")).status).toBe(429);
  }, 60_000);

  /** Guesses sent at once, each from its own address (a burst finishes well inside the first 1 s wait). */
  const burst = (server: TestServer, guesses: [string, string][], firstAddress: number) =>
    Promise.all(guesses.map(([username, password], i) => postFrom(ADDRESSES[firstAddress + i], server.url, "/api/auth/login", { username, password })));
  const tally = (replies: Reply[]) => ({
    401: replies.filter((r) => r.status === 401).length,
    429: replies.filter((r) => r.status === 429).length,
    waits: [...new Set(replies.filter((r) => r.status === 429).map(retryAfter))],
  });

  test("a name that is no account is delayed exactly like the account (no user enumeration)", async () => {
    for (const [n, name] of ["nobody-at-all", "ADMIN-not"].entries()) {
      const replies = await burst(server, Array.from({ length: 8 }, (_, i) => [name, `guess-${i}`] as [string, string]), 50 + 10 * n);
      expect({ name, ...tally(replies) }).toEqual({ name, 401: 5, 429: 3, waits: [1] });
    }
  });

  test("the name is compared without case, as the account is found", async () => {
    const fresh = await startTestServer();
    try {
      await setupAdmin(fresh);
      const names = ["admin", "Admin", "ADMIN", "aDmIn", "admiN", "ADMIN", "AdMiN"];
      const replies = await burst(fresh, names.map((n) => [n, "wrong-password"] as [string, string]), 0);
      expect(tally(replies)).toEqual({ 401: 5, 429: 2, waits: [1] });
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

describe("confirming the password for a restore is held to the account's delay", () => {
  // A session left open (a borrowed browser, a stolen cookie) could otherwise guess the account's
  // password through POST /api/restore's X-Argus-Password from a hundred addresses: the per-address
  // limit alone let 500 guesses a minute through there, the per-account delay never saw them.
  test("100 addresses at once, one wrong password each: 5 are checked, the other 95 get 429, and the login waits too", async () => {
    const server = await startTestServer();
    try {
      const session = await setupAdmin(server);
      const cookie = [...session.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      const replies = await Promise.all(
        // Sent as the route takes an upload (a JSON body is a 415 before any password is looked at).
        ADDRESSES.map((from, i) => postFrom(from, server.url, "/api/restore", {}, { Cookie: cookie, "X-Argus-Password": `guess-number-${i}`, "Content-Type": "application/octet-stream" })),
      );
      const wrong = replies.filter((r) => r.status === 403);
      const waiting = replies.filter((r) => r.status === 429);
      expect({ 403: wrong.length, 429: waiting.length }).toEqual({ 403: 5, 429: 95 });
      for (const r of wrong) expect(r.body.detail).toBe("Wrong password: the restore was not started");
      for (const r of waiting) expect(r.body.detail).toMatch(/^Too many failed logins; try again in (1 second|\d+ seconds)$/);
      // The same account's login, from an address that never tried, waits as well.
      const login = await postFrom("127.0.0.200", server.url, "/api/auth/login", { username: "admin", password: "one more guess" });
      expect(login.status).toBe(429);
    } finally {
      await server.close();
    }
  }, 60_000);
});
