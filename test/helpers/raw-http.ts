// Raw HTTP over a socket: the request line and headers go out byte for byte as the test wrote them,
// so nothing (fetch, a URL parser, a proxy) normalises a hostile spelling before the server sees it.
export type RawReply = { status: number; headers: Record<string, string>; body: string };

export type RawTarget = { port: number; hostname?: string } | { unix: string };

export function rawRequest(target: RawTarget, head: string, body = ""): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const done = () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const split = text.indexOf("\r\n\r\n");
      const lines = (split < 0 ? text : text.slice(0, split)).split("\r\n");
      const status = Number(lines[0]?.split(" ")[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let payload = split < 0 ? "" : text.slice(split + 4);
      if (headers["transfer-encoding"] === "chunked") payload = unchunk(payload);
      resolve({ status, headers, body: payload });
    };
    const where = "unix" in target ? { unix: target.unix } : { hostname: target.hostname ?? "127.0.0.1", port: target.port };
    Bun.connect({
      ...where,
      socket: {
        open(s) {
          s.write(head + body);
        },
        data(_s, d) {
          chunks.push(Buffer.from(d));
        },
        close: done,
        error(_s, e) {
          reject(e);
        },
      },
    } as Parameters<typeof Bun.connect>[0]).catch(reject);
  });
}

/** The body of a chunked HTTP/1.1 reply. */
export function unchunk(s: string): string {
  let out = "";
  let i = 0;
  for (;;) {
    const eol = s.indexOf("\r\n", i);
    if (eol < 0) return out;
    const size = parseInt(s.slice(i, eol), 16);
    if (!size) return out;
    out += s.slice(eol + 2, eol + 2 + size);
    i = eol + 2 + size + 2;
  }
}
