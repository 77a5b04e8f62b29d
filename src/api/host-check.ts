// The Host check against DNS rebinding (SPEC §7 "Hosts"): a request is served only under one of the
// appliance's own names (src/net/own-names.ts) or a name the owner allowed; any other Host is a 421
// before routing, for every path (pages, API, /health alike). Requests that came in over the unix
// socket (ARGUS_SOCKET) are exempt: only a local process can reach that socket (its file mode says
// which), no browser page can, and a reverse proxy on it forwards whatever Host its clients used.
// A request without a valid Host never gets here: the guard answers it 400 first.
import { Elysia } from "elysia";
import type { AppContext } from "../app-context.ts";
import { OwnNames } from "../net/own-names.ts";
import { HttpError } from "./errors.ts";

export const UNKNOWN_HOST = "Unknown host name; add it to allowed_hosts";

const local = new WeakSet<Request>();

/** Marks a request that arrived over the unix socket (the server's second door). */
export function viaLocalSocket(request: Request): Request {
  local.add(request);
  return request;
}

export function hostCheck(ctx: AppContext) {
  const names = new OwnNames({ listenHost: ctx.settings.host, allowed: () => ctx.config().allowed_hosts });
  return new Elysia({ name: "argus.host-check" }).onRequest(({ request }) => {
    if (local.has(request)) return;
    const host = request.headers.get("host");
    if (host !== null && !names.has(host)) throw new HttpError(421, UNKNOWN_HOST);
  });
}
