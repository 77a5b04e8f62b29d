// /api/scan/* (trigger, status, live events, cancel, one device) and /api/scans (history).
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { TargetError } from "../net/targets.ts";
import { ProfileError } from "../portscan/profiles.ts";
import { ScanBusyError } from "../scans/manager.ts";
import { NoSubnetError, noRouteReason, planScan, unreachableTargets, type ScanPlan, type ScanRequest } from "../scans/plan.ts";
import { hasRoute } from "../net/route-check.ts";
import { compareScans, getScan, listScans, SCAN_STATUSES, scanDevices } from "../scans/history.ts";
import { authentication, requirePrincipal, stillAuthenticated } from "./guard.ts";
import { HttpError } from "./errors.ts";
import { models, ref, Scan, ScanCancelling, ScanComparison, ScanDevice, ScanStarted, ScanState } from "./models.ts";
import { errors, json, jsonPage } from "./openapi.ts";
import { idParams, noQuery, oneOf, page, paging, strictQuery, wholeNumber } from "./schemas.ts";

const profileParam = t.Optional(t.String({ maxLength: 32, description: "quick | normal | intensive | a custom profile", error: "profile: must be a profile name" }));
// Shorter than the server's idle timeout (IDLE_TIMEOUT_S in server.ts), or a quiet stream would be cut.
export const KEEPALIVE_MS = 15_000;
const STATUSES = SCAN_STATUSES;

const SCAN_EXAMPLE = {
  id: 12,
  scan_type: "network",
  profile: "normal",
  subnet: "192.168.1.0/24",
  status: "completed",
  started_at: "2024-01-16T08:00:00Z",
  finished_at: "2024-01-16T08:00:04Z",
  duration_seconds: 3.9,
  hosts_total: 254,
  hosts_found: 21,
  ports_scanned: 21000,
  open_ports: 57,
  devices_added: 1,
  devices_removed: 0,
  changes_count: 2,
  degraded: false,
  segment: null,
  error: null,
};
const STARTED_EXAMPLE = { status: "started", scan_id: 13, profile: "quick", subnet: "192.168.1.0/24" };
const BUSY = { 409: ["A scan is already running", "A scan is already running (scan_id 12)"] as [string, string] };
const SCAN_NOT_FOUND = errors({ 404: ["No such scan", "Scan 12 not found"] });

export function scanRoutes(ctx: AppContext) {
  /** planScan's errors as HTTP: bad input is a 422 naming the parameter, no confirmed subnet a 409. */
  const plan = (request: ScanRequest, where: "query" | "path"): ScanPlan => {
    try {
      const planned = planScan(request, ctx.resolved());
      // A target no address of which this machine can reach: said now, not as an empty network later.
      const unreachable = unreachableTargets(planned.targets.cidrs, hasRoute);
      if (unreachable.length === 0) return planned;
      const reason = noRouteReason(unreachable);
      if (request.kind === "device") throw new HttpError(422, `Invalid path parameter 'ip': ${reason}`);
      if (request.subnet !== undefined) throw new HttpError(422, `Invalid query parameter 'subnet': ${reason}`);
      throw new HttpError(409, `The confirmed subnets cannot be scanned: ${reason}`);
    } catch (e) {
      if (e instanceof NoSubnetError) throw new HttpError(409, e.message);
      // A profile is always a query parameter; a target is where the route takes it from.
      if (e instanceof ProfileError) throw new HttpError(422, `Invalid query parameter '${e.field}': ${e.reason}`);
      if (e instanceof TargetError) throw new HttpError(422, `Invalid ${where} parameter '${e.field}': ${e.reason}`);
      throw e;
    }
  };
  const start = (p: ScanPlan, actor: Parameters<AppContext["audit"]["record"]>[0]) => {
    try {
      const started = ctx.scans.start(p);
      ctx.audit.record(actor, "scan_started", { resource: `scan:${started.scan_id}`, details: { profile: started.profile, subnet: started.subnet, scan_type: p.kind } });
      return { status: "started" as const, scan_id: started.scan_id, profile: started.profile, subnet: started.subnet };
    } catch (e) {
      if (e instanceof ScanBusyError) throw new HttpError(409, e.runningScanId === null ? "A scan is already running" : `A scan is already running (scan_id ${e.runningScanId})`);
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
    .use(models())
    .post(
      "/api/scan/trigger",
      ({ query, actor, set }) => {
        const result = start(plan({ kind: "network", subnet: query.subnet, profile: query.profile }, "query"), actor);
        set.status = 202;
        return result;
      },
      {
        query: strictQuery({ profile: profileParam, subnet: t.Optional(t.String({ maxLength: 600, description: "CIDR(s), comma separated; default: the confirmed subnets" })) }),
        response: { 202: ref(ScanStarted) },
        detail: {
          summary: "Start a network scan (409 while one runs, or when no subnet is confirmed and none is given)",
          tags: ["scans"],
          responses: {
            202: json("Started; follow it with /api/scan/status or /api/scan/events", STARTED_EXAMPLE),
            ...errors({ 409: ["A scan is already running, no subnet is confirmed and none was given, or this machine has no route to a confirmed subnet", "No subnet confirmed yet"] }),
          },
        },
      },
    )
    .post(
      "/api/scan/device/:ip",
      ({ params, query, actor, set }) => {
        const result = start(plan({ kind: "device", ip: params.ip, profile: query.profile }, "path"), actor);
        set.status = 202;
        return result;
      },
      {
        params: t.Object({ ip: t.String({ maxLength: 18 }) }),
        query: strictQuery({ profile: profileParam }),
        response: { 202: ref(ScanStarted) },
        detail: {
          summary: "Scan one host now; other devices are not marked offline",
          tags: ["scans"],
          responses: { 202: json("Started", { ...STARTED_EXAMPLE, profile: "normal", subnet: "192.168.1.20/32" }), ...errors(BUSY) },
        },
      },
    )
    .get("/api/scan/status", () => ctx.scans.status(), {
      query: noQuery,
      response: { 200: ref(ScanState) },
      detail: {
        summary: "Whether a scan runs, and its progress",
        tags: ["scans"],
        responses: {
          200: json("`{\"scanning\": false}` when idle", {
            scanning: true,
            scan_id: 13,
            scan_type: "network",
            profile: "normal",
            subnet: "192.168.1.0/24",
            started_at: "2024-01-16T08:00:00Z",
            progress: { phase: "ports", hosts_total: 254, hosts_found: 21, hosts_processed: 8, ports_scanned: 8000, elapsed_seconds: 1.6, eta_seconds: 2.4 },
          }),
        },
      },
    })
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
            unsubscribe = ctx.feed.subscribe((e) => {
              if (e.type === "scan") {
                if (e.scan.type === "closing") end();
                else deliver(() => send(e.scan.type, e.scan));
              } else if (e.type === "changes" && e.scan_id === null) {
                // What the passive watch recorded; a scan's changes are counted in its `finished`.
                deliver(() => send("changes", { type: "changes", scan_id: null, changes: e.changes }));
              }
            });
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
      {
        query: noQuery,
        detail: {
          summary: "Live scan progress as Server-Sent Events (status, progress, finished; changes from the passive watch)",
          tags: ["scans"],
          responses: {
            200: {
              description:
                "An event stream: `status` (a ScanState) first, then `progress` (`{type, scan_id, progress}`) `finished` (`{type, scan_id, status, changes}`) and `changes` (`{type, scan_id: null, changes}`: what the passive watch recorded); comments keep it alive. It ends when the credential is revoked.",
              content: { "text/event-stream": { schema: { type: "string" }, example: 'event: status\ndata: {"scanning":false}\n\n' } },
            },
          },
        },
      },
    )
    .post(
      "/api/scan/cancel",
      ({ actor }) => {
        const id = ctx.scans.cancel();
        if (id === null) {
          const other = ctx.scans.runningElsewhere();
          if (other) throw new HttpError(409, `Scan ${other.id} runs in another Argus process (argus scan, pid ${other.pid}); stop that process to cancel it`);
          throw new HttpError(409, "No scan is running");
        }
        ctx.audit.record(actor, "scan_cancelled", { resource: `scan:${id}`, details: { scan_id: id } });
        return { status: "cancelling" as const, scan_id: id };
      },
      {
        query: noQuery,
        response: { 200: ref(ScanCancelling) },
        detail: {
          summary: "Stop the running scan, keeping what it found",
          tags: ["scans"],
          responses: { 200: json("Cancelling; the scan ends as `cancelled`", { status: "cancelling", scan_id: 13 }), ...errors({ 409: "No scan is running" }) },
        },
      },
    )
    .get(
      "/api/scans",
      ({ query, set }) => {
        const { items, total } = listScans(ctx.db, { status: query.status, segment: query.segment, limit: query.limit ?? 50, offset: query.offset ?? 0 });
        return page(set, items, total);
      },
      {
        query: strictQuery({
          status: t.Optional(oneOf(STATUSES, `status: must be one of ${STATUSES.join(", ")}`)),
          segment: t.Optional(t.String({ minLength: 1, maxLength: 64, description: "Only scans of this segment (a hub: its sensors' scans)", error: "segment: must be a segment name of 1–64 characters" })),
          ...paging,
        }),
        response: { 200: t.Array(ref(Scan)) },
        detail: { summary: "Scan history, newest first; total in X-Total-Count", tags: ["scans"], responses: { 200: jsonPage("A page of scans", [SCAN_EXAMPLE]) } },
      },
    )
    .get("/api/scans/:id", ({ params }) => scanOr404(params.id), {
      params: idParams,
      query: noQuery,
      response: { 200: ref(Scan) },
      detail: { summary: "One scan", tags: ["scans"], responses: { 200: json("The scan", SCAN_EXAMPLE), ...SCAN_NOT_FOUND } },
    })
    .get(
      "/api/scans/:id/devices",
      ({ params, query, set }) => {
        scanOr404(params.id);
        const { items, total } = scanDevices(ctx.db, params.id, { limit: query.limit ?? 50, offset: query.offset ?? 0 });
        return page(set, items, total);
      },
      {
        params: idParams,
        query: strictQuery(paging),
        response: { 200: t.Array(ref(ScanDevice)) },
        detail: {
          summary: "The devices a scan saw; total in X-Total-Count",
          tags: ["scans"],
          responses: {
            200: jsonPage("A page of the scan's devices", [
              { device_id: 7, ip_address: "192.168.1.20", mac_address: "b8:27:eb:12:34:56", hostname: "nas", vendor: "Raspberry Pi Foundation", device_type: "nas", method: "arp", rtt_ms: 0.4, open_ports: [22, 445] },
            ]),
            ...SCAN_NOT_FOUND,
          },
        },
      },
    )
    .get(
      "/api/scans/:id/compare/:other_id",
      ({ params }) => compareScans(ctx.db, scanOr404(params.id), scanOr404(params.other_id)),
      {
        params: t.Object({ id: idParams.properties.id, other_id: wholeNumber("other_id", "path", 1, Number.MAX_SAFE_INTEGER, "The scan to compare with") }),
        query: noQuery,
        response: { 200: ref(ScanComparison) },
        detail: {
          summary: "Compare two scans: devices added/removed and the changes in between",
          tags: ["scans"],
          responses: {
            200: json("The comparison", {
              current_scan: SCAN_EXAMPLE,
              previous_scan: { ...SCAN_EXAMPLE, id: 11, started_at: "2024-01-16T07:45:00Z", finished_at: "2024-01-16T07:45:04Z" },
              changes: [],
              summary: { devices_added: 1, devices_removed: 0, total_changes: 0 },
              devices_added: [{ device_id: 7, ip_address: "192.168.1.42", mac_address: "a4:83:e7:12:34:56", hostname: "kitchen-tablet", label: null }],
              devices_removed: [],
            }),
            ...SCAN_NOT_FOUND,
          },
        },
      },
    );
}
