// The HTTP client every API source uses (src/sources/http.ts), against real servers on 127.0.0.1:
// its size limit by declared length, redirects it refuses to follow (and so never carries the
// credentials elsewhere), the cookies of a login session, status codes as failures, and URLs shown
// without their secrets.
import { afterAll, describe, expect, test } from "bun:test";
import { HttpSession, safeUrl } from "../../src/sources/http.ts";
import { SourceError } from "../../src/sources/types.ts";

const servers: ReturnType<typeof Bun.serve>[] = [];
afterAll(() => {
  for (const s of servers) s.stop(true);
});

type Seen = { path: string; headers: Headers };
function serve(handler: (req: Request, url: URL) => Response | Promise<Response>): { url: string; seen: Seen[] } {
  const seen: Seen[] = [];
  const s = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      seen.push({ path: url.pathname, headers: req.headers });
      return handler(req, url);
    },
  });
  servers.push(s);
  return { url: `http://127.0.0.1:${s.port}/`, seen };
}

async function failure(p: Promise<unknown>): Promise<SourceError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SourceError) return e;
    throw e;
  }
  throw new Error("expected a SourceError");
}

const session = (url: string, opts: Partial<ConstructorParameters<typeof HttpSession>[1]> = {}) => new HttpSession(url, { signal: AbortSignal.timeout(10_000), ...opts });

describe("HttpSession", () => {
  test("an answer whose declared length is past the limit is too_large", async () => {
    const api = serve(() => new Response(JSON.stringify({ pad: "x".repeat(4096) }), { headers: { "content-type": "application/json" } }));
    const e = await failure(session(api.url, { maxBytes: 1024 }).json("GET", "big"));
    expect(e.reason).toBe("too_large");
    // Under the limit, the same answer reads.
    expect(await session(api.url, { maxBytes: 8192 }).json("GET", "big")).toHaveProperty("pad");
  });

  test("a redirect is not followed, so the credentials never reach where it points", async () => {
    const elsewhere = serve(() => Response.json({ stolen: true }));
    const api = serve(() => new Response(null, { status: 302, headers: { location: `${elsewhere.url}collect` } }));
    const e = await failure(session(api.url, { basicAuth: { username: "u", password: "sekret-pw" } }).json("GET", "api"));
    expect(e.reason).toBe("unreachable");
    expect(e.detail).toContain("302 redirect");
    expect(elsewhere.seen).toHaveLength(0);
    expect(api.seen[0].headers.get("authorization")).toBe(`Basic ${btoa("u:sekret-pw")}`);
  });

  test("cookies a login sets are sent back, and a cookie the server clears is dropped", async () => {
    const api = serve((_req, url) => {
      if (url.pathname === "/login") return Response.json({}, { headers: [["set-cookie", "session=abc123; Path=/; HttpOnly"], ["set-cookie", "theme=dark; Path=/"]] });
      if (url.pathname === "/logout") return Response.json({}, { headers: { "set-cookie": "session=; Max-Age=0; Path=/" } });
      return Response.json({});
    });
    const http = session(api.url);
    await http.json("POST", "login");
    await http.json("GET", "data");
    expect(api.seen[1].headers.get("cookie")).toBe("session=abc123; theme=dark");
    await http.json("POST", "logout");
    await http.json("GET", "data");
    expect(api.seen[3].headers.get("cookie")).toBe("theme=dark");
  });

  test("statuses: 401 and 403 are auth, 404 not_found, 503 unreachable with the status", async () => {
    const api = serve((_req, url) => new Response("{}", { status: Number(url.pathname.slice(1)) }));
    const http = session(api.url);
    expect((await failure(http.json("GET", "401"))).reason).toBe("auth");
    expect((await failure(http.json("GET", "403"))).reason).toBe("auth");
    expect((await failure(http.json("GET", "404"))).reason).toBe("not_found");
    const e = await failure(http.json("GET", "503"));
    expect(e.reason).toBe("unreachable");
    expect(e.detail).toContain("HTTP 503");
  });

  test("an empty 200 is malformed, and so is a body that is not JSON, without quoting it", async () => {
    const api = serve((_req, url) => new Response(url.pathname === "/empty" ? "" : "secret-token=abc; not json", { headers: { "content-type": "application/json" } }));
    expect((await failure(session(api.url).json("GET", "empty"))).reason).toBe("malformed");
    const e = await failure(session(api.url).json("GET", "text"));
    expect(e.reason).toBe("malformed");
    expect(e.detail).not.toContain("secret-token");
  });

  test("a base URL with a path keeps it: requests go below it", async () => {
    const api = serve(() => Response.json({ ok: true }));
    await session(`${api.url}pihole`).json("GET", "/api/auth");
    expect(api.seen[0].path).toBe("/pihole/api/auth");
  });

  test("URLs are shown without user, password, query or fragment", () => {
    expect(safeUrl("https://admin:hunter2@router.lan:8443/api/s/default?token=abc#x")).toBe("https://router.lan:8443/api/s/default");
    expect(safeUrl("not a url")).toBe("(invalid URL)");
  });

  test("a base URL that is not http(s) is a config failure", () => {
    expect(() => session("file:///etc/passwd")).toThrow(SourceError);
    expect(() => session("javascript:alert(1)")).toThrow(/http/);
  });
});
