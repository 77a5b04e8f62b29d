// Version strings as servers print them ("8.9p1", "2.4.49", "2019.78", "1.3.5a", "1.3.6rc2", "5.7.42-log"):
//
//   compareVersions(a: string, b: string): -1 | 0 | 1
//   inRange(version: string, range: VersionRange): boolean
//
// A version is split into runs of digits (compared as numbers) and runs of letters. Letters after a
// number are a later release ("1.3.5a" > "1.3.5", OpenSSH "9.7p1" > "9.7"), except the pre-release markers
// alpha, beta, rc, pre, dev and snapshot, which sort before the release ("1.3.6rc2" < "1.3.6"). Anything after a space, '-', '+' or '~' (build/distro suffixes such as "-log",
// "-MariaDB", "+deb11u1") is ignored: the upstream version decides.

export type VersionRange = { equals?: string; from?: string; to?: string; before?: string };

type Token = number | string;
const PRERELEASE = new Set(["alpha", "beta", "rc", "pre", "dev", "snapshot"]);

function tokens(v: string): Token[] {
  const core = v.trim().split(/[\s\-+~]/, 1)[0].toLowerCase();
  const out: Token[] = [];
  for (const m of core.matchAll(/\d+|[a-z]+/g)) out.push(/^\d/.test(m[0]) ? Number(m[0]) : m[0]);
  return out;
}

// The rank of "nothing more" against a token: a pre-release marker sorts before the end, anything else after.
function endVersus(t: Token): -1 | 1 {
  return typeof t === "string" && PRERELEASE.has(t) ? 1 : -1;
}

export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  const x = tokens(a);
  const y = tokens(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (i >= x.length) return endVersus(y[i]);
    if (i >= y.length) return endVersus(x[i]) === 1 ? -1 : 1;
    const p = x[i];
    const q = y[i];
    if (p === q) continue;
    if (typeof p === "number" && typeof q === "number") return p < q ? -1 : 1;
    if (typeof p === "string" && typeof q === "string") {
      const pp = PRERELEASE.has(p);
      const qp = PRERELEASE.has(q);
      if (pp !== qp) return pp ? -1 : 1;
      return p < q ? -1 : 1;
    }
    // number vs letters at the same place ("1.3.5" vs "1.3.rc1"): a number is a release, letters a marker.
    return typeof p === "number" ? 1 : -1;
  }
  return 0;
}

export function inRange(version: string, r: VersionRange): boolean {
  if (tokens(version).length === 0) return false;
  if (r.equals !== undefined) return compareVersions(version, r.equals) === 0;
  if (r.from !== undefined && compareVersions(version, r.from) < 0) return false;
  if (r.to !== undefined && compareVersions(version, r.to) > 0) return false;
  if (r.before !== undefined && compareVersions(version, r.before) >= 0) return false;
  return r.from !== undefined || r.to !== undefined || r.before !== undefined;
}
