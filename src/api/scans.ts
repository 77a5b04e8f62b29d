// /api/scan/* (trigger, status, live events, cancel, one device) and /api/scans (history).
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { TargetError, validateCidr, validateCidrs } from "../net/targets.ts";
import { ProfileError, resolveProfile, type ScanProfile } from "../scan/profiles.ts";
import { ScanBusyError, type ScanKind } from "../scans/manager.ts";
import { compareScans, getScan, listScans, scanDevices } from "../scans/history.ts";
import { authentication, requirePrincipal, stillAuthenticated } from "./authentication.ts";
import { HttpError } from "./errors.ts";
import { idParams, noQuery, oneOf, page, paging, strictQuery, wholeNumber } from "./schemas.ts";

const profileParam = t.Optional(t.String({ maxLength: 32, description: "quick | normal | intensive | a custom profile", error: "profile: must be a profile name" }));
const KEEPALIVE_MS = 15_000;
const STATUSES = ["pending", "running", "completed", "failed", "cancelled", "interrupted"] as const;

export function scanRoutes(ctx: AppContext) {
  const profile = (name: string): ScanProfile => {
    try {
      return resolveProfile(name, { port_range: ctx.config().port_range, custom: ctx.config().profiles });
    } catch (e) {
      if (e instanceof ProfileError) throw new HttpError(422, `Invalid query parameter '${e.field}': ${e.reason}`);
      throw e;
    }
  };
  const targets = (subnet: string | undefined): string[] => {
    const cfg = ctx.config();
    if (subnet === undefined) {
      if (cfg.subnets.length === 0) throw new HttpError(409, "No subnet confirmed yet");
      return cfg.subnets;
    }
    try {
      return validateCidrs(subnet, { allowAllRanges: cfg.allow_public_ranges }, "subnet").map((c) => c.text);
    } catch (e) {
      if (e instanceof TargetError) throw new HttpError(422, `Invalid query parameter '${e.field}': ${e.reason}`);
      throw e;
    }
  };
  const start = (kind: ScanKind, p: ScanProfile, list: string[], actor: Parameters<AppContext["audit"]["record"]>[0]) => {
    try {
      const started = ctx.scans.start(kind, p, list);
      ctx.audit.record(actor, "scan_started", { resource: `scan:${started.scan_id}`, details: { profile: started.profile, subnet: started.subnet, scan_type: kind } });
      return { status: "started", scan_id: started.scan_id, profile: started.profile, subnet: started.subnet };
    } catch (e) {
      if (e instanceof ScanBusyError) throw new HttpError(409, `A scan is already running (scan_id ${e.runningScanId})`);
      throw e;
    }
  };
  const scanOr404 = (id: number) => {
    const scan = getScan(ctx.db, id);
    if (!scan) throw new HttpError(404, `Scan ${id} not found`);
    return scan;
  };

  return new Elysia({ name: "argus.scans" })
    .use(authentication(ctx))
    .post(
      "/api/scan/trigger",
      ({ query, actor, set }) => {
        const p = profile(query.profile ?? "quick");
        const result = start("network", p, targets(query.subnet), actor);
        set.status = 202;
        return result;
      },
      {
        query: strictQuery({ profile: profileParam, subnet: t.Optional(t.String({ maxLength: 600, description: "CIDR(s), comma separated; default: the confirmed subnets" })) }),
        detail: { summary: "Start a network scan (409 while one runs, or when no subnet is confirmed and none is given)", tags: ["scans"] },
      },
    )
    .post(
      "/api/scan/device/:ip",
      ({ params, query, actor, set }) => {
        let ip: string;
        try {
          const c = validateCidr(params.ip, { allowAllRanges: ctx.config().allow_public_ranges }, "ip");
          if (c.prefix !== 32) throw new TargetError("ip", "must be a single IPv4 address, not a subnet");
          ip = c.text;
        } catch (e) {
          if (e instanceof TargetError) throw new HttpError(422, `Invalid path parameter '${e.field}': ${e.reason}`);
          throw e;
        }
        const result = start("device", profile(query.profile ?? "normal"), [ip], actor);
        set.status = 202;
        return result;
      },
      {
        params: t.Object({ ip: t.String({ maxLength: 18 }) }),
        query: strictQuery({ profile: profileParam }),
        detail: { summary: "Scan one host now; other devices are not marked offline", tags: ["scans"] },
      },
    )
    .get("/api/scan/status", () => ctx.scans.status(), { query: noQuery, detail: { summary: "Whether a scan runs, and its progress", tags: ["scans"] } })
    .get(
      "/api/scan/events",
      ({ request, principal }) => {
        const who = requirePrincipal(principal);
        const encoder = new TextEncoder();
        let unsubscribe = () => {};
        let keepalive: ReturnType<typeof setInterval> | undefined;
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            const send = (event: string, data: unknown) => controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
            const end = () => {
              unsubscribe();
              clearInterval(keepalive);
              try {
                controller.close();
              } catch {}
            };
            send("status", ctx.scans.status());
            // Nothing more goes to a credential that was revoked or logged out meanwhile.
            const deliver = (f: () => void) => (stillAuthenticated(ctx, who) ? f() : end());
            unsubscribe = ctx.scans.subscribe((e) => (e.type === "closing" ? end() : deliver(() => send(e.type, e))));
            // Comments keep proxies and idle timeouts from closing a quiet stream.
            keepalive = setInterval(() => deliver(() => controller.enqueue(encoder.encode(": keepalive\n\n"))), KEEPALIVE_MS);
            request.signal.addEventListener("abort", end);
          },
          cancel() {
            unsubscribe();
            clearInterval(keepalive);
          },
        });
        return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" } });
      },
      { query: noQuery, detail: { summary: "Live scan progress as Server-Sent Events (status, progress, finished; changes from the passive watch)", tags: ["scans"] } },
    )
    .post(
      "/api/scan/cancel",
      () => {
        const id = ctx.scans.cancel();
        if (id === null) throw new HttpError(409, "No scan is running");
        return { status: "cancelling", scan_id: id };
      },
      { query: noQuery, detail: { summary: "Stop the running scan, keeping what it found", tags: ["scans"] } },
    )
    .get(
      "/api/scans",
      ({ query, set }) => {
        const { items, total } = listScans(ctx.db, { status: query.status, limit: query.limit ?? 50, offset: query.offset ?? 0 });
        return page(set, items, total);
      },
      { query: strictQuery({ status: t.Optional(oneOf(STATUSES, `status: must be one of ${STATUSES.join(", ")}`)), ...paging }), detail: { summary: "Scan history, newest first", tags: ["scans"] } },
    )
    .get("/api/scans/:id", ({ params }) => scanOr404(params.id), { params: idParams, query: noQuery, detail: { summary: "One scan", tags: ["scans"] } })
    .get(
      "/api/scans/:id/devices",
      ({ params, query, set }) => {
        scanOr404(params.id);
        const { items, total } = scanDevices(ctx.db, params.id, { limit: query.limit ?? 50, offset: query.offset ?? 0 });
        return page(set, items, total);
      },
      { params: idParams, query: strictQuery(paging), detail: { summary: "The devices a scan saw", tags: ["scans"] } },
    )
    .get(
      "/api/scans/:id/compare/:other_id",
      ({ params }) => compareScans(ctx.db, scanOr404(params.id), scanOr404(params.other_id)),
      {
        params: t.Object({ id: idParams.properties.id, other_id: wholeNumber("other_id", "path", 1, Number.MAX_SAFE_INTEGER) }),
        query: noQuery,
        detail: { summary: "Compare two scans: devices added/removed and the changes in between", tags: ["scans"] },
      },
    );
}
