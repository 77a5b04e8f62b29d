// The per-account delay's curve and its memory bound, on the class itself (the HTTP behaviour is in
// test/api/login-limits.test.ts): a spray of names must neither grow it without bound nor push out the
// account an attacker is guessing.
import { describe, expect, test } from "bun:test";
import { AccountLoginDelay, delaySeconds, FORGET_AFTER_MS, MAX_DELAY_S } from "../../src/auth/account-delay.ts";

const T0 = 1_800_000_000_000;

describe("the curve", () => {
  test("five free failures, then 2^(n-5) s, capped at 15 minutes", () => {
    expect([0, 4, 5, 6, 7, 8, 14, 15, 16, 1000].map(delaySeconds)).toEqual([0, 0, 1, 2, 4, 8, 512, 900, 900, 900]);
    expect(MAX_DELAY_S).toBe(900);
  });

  test("the wait runs from the last failure; a success forgets; a changed credential forgets", () => {
    const d = new AccountLoginDelay();
    for (let i = 0; i < 6; i++) d.attempt("admin", "s1", T0);
    expect(d.retryAfter("admin", "s1", T0 + 500)).toBe(2);
    expect(d.retryAfter("admin", "s1", T0 + 2000)).toBe(0);
    expect(d.retryAfter("admin", "s2", T0 + 500)).toBe(0); // the password was reset
    for (let i = 0; i < 6; i++) d.attempt("admin", "s2", T0);
    d.succeeded("ADMIN");
    expect(d.retryAfter("admin", "s2", T0 + 1)).toBe(0);
  });

  test("a name quiet for a day starts afresh", () => {
    const d = new AccountLoginDelay();
    for (let i = 0; i < 20; i++) d.attempt("admin", null, T0);
    expect(d.retryAfter("admin", null, T0 + 1000)).toBe(MAX_DELAY_S - 1);
    expect(d.retryAfter("admin", null, T0 + FORGET_AFTER_MS)).toBe(0);
  });
});

describe("bounded memory", () => {
  test("a spray of 50,000 names keeps the table at its cap and never frees the guessed account", () => {
    const d = new AccountLoginDelay(10_000);
    for (let i = 0; i < 10; i++) d.attempt("admin", "stamp", T0);
    const before = d.retryAfter("admin", "stamp", T0 + 1);
    expect(before).toBe(32);
    for (let i = 0; i < 50_000; i++) {
      const name = `spray-${i}`;
      if (d.retryAfter(name, null, T0 + 1) === 0) d.attempt(name, null, T0 + 1);
    }
    expect(d.size).toBeLessThanOrEqual(10_001);
    expect(d.retryAfter("admin", "stamp", T0 + 2)).toBe(before);
    // Names that found no room share one entry, which fails closed: after five of them, all wait.
    expect(d.retryAfter("never-seen-before", null, T0 + 2)).toBeGreaterThan(0);
  });

  test("once the remembered names are a day old, the room is free again", () => {
    const d = new AccountLoginDelay(100);
    for (let i = 0; i < 200; i++) d.attempt(`n-${i}`, null, T0);
    const later = T0 + FORGET_AFTER_MS;
    expect(d.retryAfter("fresh-name", null, later)).toBe(0);
    d.attempt("fresh-name", null, later);
    expect(d.size).toBeLessThanOrEqual(101);
  });
});
