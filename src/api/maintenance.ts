// Keeping the appliance for years without a shell (SPEC §5): retention, database statistics, device
// exports, backup and restore.
import { Elysia, t } from "elysia";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { AppContext } from "../app-context.ts";
import type { Actor } from "../audit/audit-log.ts";
import { confirmPassword } from "../auth/confirm-password.ts";
import { snapshotDatabase } from "../db/backup.ts";
import { LIVE_TABLES, requireSpace, restoreBackup, RestoreError } from "../db/restore.ts";
import { receiveUpload } from "../db/upload.ts";
import { devicesCsv, devicesJson, exportFilename, stamp } from "../export/devices.ts";
import { DeviceInventory } from "../inventory/devices.ts";
import { databaseStats } from "../retention/prune.ts";
import { authentication, requirePrincipal, type Principal } from "./guard.ts";
import { RawBody } from "./body.ts";
import { DEVICE_EXAMPLE, deviceFilters } from "./devices.ts";
import { DatabaseStats, Device, models, ref, RestoreResult, RetentionCounts } from "./models.ts";
import { HttpError, tooManyFailedLogins } from "./errors.ts";
import { errors, json } from "./openapi.ts";
import { noQuery, strictQuery } from "./schemas.ts";

const exportQuery = strictQuery(deviceFilters);
const binary = (type: string, description: string) => ({ content: { [type]: { schema: { type: "string", format: "binary" } } }, description });
const DISPOSITION = { "Content-Disposition": { description: "attachment; filename=\"argus-….\"", schema: { type: "string" } } };
const CSV_EXAMPLE =
  "id,ip_address,mac_address,mac_randomized,hostname,vendor,device_type,os_name,status,first_seen,last_seen,times_seen,label,zone,is_trusted,notes,risk_level,risk_score,threat_summary,open_ports,addresses\r\n" +
  "7,192.168.1.20,b8:27:eb:12:34:56,false,nas,Raspberry Pi Foundation,nas,Linux,online,2024-01-15T10:30:00Z,2024-01-16T08:00:00Z,42,Backup NAS,Servers,true,,high,70,SMB exposed (high),22 445,192.168.1.20 fd12:3456:789a::ba27:ebff:fe12:3456 fe80::ba27:ebff:fe12:3456\r\n";

/** Streams a temporary file and removes it once sent (or when the client goes away). */
function fileStream(path: string): { stream: ReadableStream<Uint8Array>; size: number } {
  const file = Bun.file(path);
  const reader = file.stream().getReader();
  const done = () => rmSync(path, { force: true });
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done: end, value } = await reader.read();
      if (end) {
        done();
        controller.close();
      } else controller.enqueue(value);
    },
    async cancel() {
      await reader.cancel();
      done();
    },
  });
  return { stream, size: file.size };
}

/** The header in which a session confirms its user's password for a restore. */
export const PASSWORD_HEADER = "X-Argus-Password";

/** Temporary files of a backup or restore cut short by a crash. */
function removeLeftovers(dataDir: string): void {
  for (const f of readdirSync(dataDir)) if (/^\.(backup|restore)-.*\.db(-wal|-shm|-journal)?$/.test(f)) rmSync(join(dataDir, f), { force: true });
}

export function maintenanceRoutes(ctx: AppContext) {
  const inventory = new DeviceInventory(ctx.db);
  removeLeftovers(ctx.settings.dataDir);
  const exportFilter = (q: Record<string, string | number | undefined>) => ({
    status: q.status as any,
    risk_level: q.risk_level as any,
    is_trusted: q.is_trusted === undefined ? undefined : q.is_trusted === "true",
    zone: q.zone as string | undefined,
    segment: q.segment as string | undefined,
    q: q.q === "" ? undefined : (q.q as string | undefined),
    port: q.port as number | undefined,
    sort: q.sort as any,
  });
  const attachment = (type: string, name: string) => ({ "content-type": type, "content-disposition": `attachment; filename="${name}"` });
  let restoring = false;

  /**
   * A restore replaces the whole inventory: only a logged-in user who types their password again may
   * do it, never an API key. 403, not 401, for a missing or wrong password: the session itself stands.
   */
  const confirmRestorer = async (principal: Principal | null, request: Request, actor: Actor) => {
    const p = requirePrincipal(principal);
    if (p.kind !== "session") throw new HttpError(403, "A restore needs a logged-in session and its password; API keys cannot restore");
    const password = request.headers.get(PASSWORD_HEADER);
    if (password === null || password === "") throw new HttpError(403, `Confirm your password in the ${PASSWORD_HEADER} header to restore`);
    const confirmed = await confirmPassword(ctx.users, { limiter: ctx.loginLimiter, accountDelay: ctx.accountDelay }, p.user, password, actor.ip ?? "unknown");
    if (confirmed.ok) return;
    if (confirmed.retryAfter > 0) throw tooManyFailedLogins(confirmed.retryAfter);
    ctx.audit.record(actor, "login_failed", { success: false, resource: "restore", details: { reason: "wrong password confirming a restore" } });
    throw new HttpError(403, "Wrong password: the restore was not started");
  };

  return new Elysia({ name: "argus.maintenance" })
    .use(authentication(ctx))
    .use(models())
    .post("/api/retention/cleanup", async ({ actor }) => {
      const counts = await ctx.retention.run();
      ctx.audit.record(actor, "retention_cleanup", { details: { ...counts, retention_days: ctx.config().retention_days } });
      return counts;
    }, {
      query: noQuery,
      response: { 200: ref(RetentionCounts) },
      detail: {
        summary: "Prune scans, changes, audit entries, notification records and presence sessions older than retention_days now (devices are kept); the counts removed",
        tags: ["maintenance"],
        responses: { 200: json("What was removed", { scans: 12, changes: 340, audit: 25, notifications: 60, presence: 31 }) },
      },
    })
    .get("/api/stats/db", () => databaseStats(ctx.db), {
      query: noQuery,
      response: { 200: ref(DatabaseStats) },
      detail: {
        summary: "Database file size and row counts",
        tags: ["maintenance"],
        responses: {
          200: json("The file and its tables", {
            file_bytes: 1843200,
            wal_bytes: 32992,
            page_size: 4096,
            page_count: 450,
            free_pages: 3,
            rows: {
              api_keys: 2,
              audit_logs: 118,
              changes: 412,
              device_addresses: 27,
              devices: 24,
              notifications: 60,
              ports: 57,
              scan_devices: 1930,
              scans: 96,
              schedule_runs: 2,
              sessions: 1,
              threats: 9,
              users: 1,
            },
          }),
        },
      },
    })
    .get("/api/export/devices.csv", ({ query }) => new Response(devicesCsv(inventory, exportFilter(query)), { headers: attachment("text/csv; charset=utf-8; header=present", exportFilename("csv")) }), {
      query: exportQuery,
      detail: {
        summary: "Devices as CSV (the filters and order of /api/devices), streamed",
        tags: ["export"],
        responses: {
          200: {
            description: "RFC 4180 CSV with a header row, one device per row; cells a spreadsheet would run as a formula start with an apostrophe",
            headers: DISPOSITION,
            content: { "text/csv": { schema: { type: "string" }, example: CSV_EXAMPLE } },
          },
        },
      },
    })
    .get("/api/export/devices.json", ({ query }) => new Response(devicesJson(inventory, exportFilter(query)), { headers: attachment("application/json", exportFilename("json")) }), {
      query: exportQuery,
      response: { 200: t.Array(ref(Device)) },
      detail: {
        summary: "Devices as a JSON array (the filters and order of /api/devices), streamed",
        tags: ["export"],
        responses: { 200: { ...json("Every matching device (no paging)", [DEVICE_EXAMPLE]), headers: DISPOSITION } },
      },
    })
    .get("/api/backup", ({ actor }) => {
      if (restoring) throw new HttpError(409, "A restore is in progress");
      const name = `argus-${stamp()}.db`;
      // Without password hashes and key digests: whoever holds a key must not download what logs in as the admin.
      const snap = snapshotDatabase(ctx.db, join(ctx.settings.dataDir, `.backup-${process.pid}-${crypto.randomUUID()}.db`), { withoutCredentials: true });
      const { stream, size } = fileStream(snap.path);
      ctx.audit.record(actor, "backup_created", { details: { filename: name, bytes: size, schema_version: snap.schemaVersion } });
      return new Response(stream, { headers: attachment("application/vnd.sqlite3", name) });
    }, {
      query: noQuery,
      detail: {
        summary: "Download a consistent snapshot of the database (argus-YYYYMMDD-HHMMSS.db), also while a scan runs",
        tags: ["maintenance"],
        responses: {
          200: { ...binary("application/vnd.sqlite3", "The SQLite file, without password hashes, API keys and sessions (`argus backup` on the appliance makes a complete one); it still describes your network: keep it private"), headers: DISPOSITION },
          ...errors({ 409: "A restore is in progress" }),
        },
      },
    })
    .post("/api/restore", async ({ body, request, actor, principal }) => {
      await confirmRestorer(principal, request, actor);
      const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
      if ((body === undefined || body === "") && (type === "application/octet-stream" || type === "")) throw new HttpError(400, "The request body is empty: send the backup file as application/octet-stream");
      if (!(body instanceof RawBody)) throw new HttpError(415, "Send the backup file as the request body with Content-Type: application/octet-stream");
      if (restoring) throw new HttpError(409, "A restore is already in progress");
      restoring = true;
      let upload: string | null = null;
      let paused = false;
      try {
        const declared = Number(request.headers.get("content-length"));
        if (declared > 0 && declared <= ctx.settings.maxRestoreBytes) requireSpace(ctx.settings.dataDir, declared);
        upload = await receiveUpload(body.stream, ctx.settings.dataDir, ctx.settings.maxRestoreBytes, request.headers.get("content-length"));
        const result = await restoreBackup(ctx.db, upload, ctx.settings.dataDir, {
          keepLive: LIVE_TABLES,
          checkTimeoutMs: ctx.settings.restoreCheckSeconds * 1000,
          // Everything that can refuse the file ran before this: a refused restore leaves a running scan alone.
          beforeSwap: async () => {
            paused = true;
            ctx.scheduler.pause();
            await ctx.retention.pause();
            ctx.scans.cancel();
            await ctx.scans.idle();
          },
        });
        // A backup taken during a scan holds that scan as running: it is not running any more.
        ctx.scans.markInterrupted();
        ctx.notifier.inventoryReplaced();
        ctx.passive?.inventoryReplaced();
        ctx.audit.record(actor, "restore_completed", { details: { devices: result.devices, schema_version: result.schema_version, previous_kept_as: result.kept_as } });
        return { restored: true, devices: result.devices };
      } catch (e) {
        if (e instanceof RestoreError) throw new HttpError(e.status, e.message);
        throw e;
      } finally {
        if (paused) {
          ctx.retention.resume();
          ctx.scheduler.resume();
        }
        restoring = false;
        if (upload) for (const f of [upload, `${upload}-wal`, `${upload}-shm`, `${upload}-journal`]) rmSync(f, { force: true });
      }
    }, {
      query: noQuery,
      response: { 200: ref(RestoreResult) },
      detail: {
        summary:
          "Restore a backup (the file as an application/octet-stream body) from a logged-in session that confirms its password in X-Argus-Password: only an intact Argus database of exactly our schema, not newer than this version. Devices, scans, changes and history are replaced; users, sessions, API keys and the audit log stay as they are. The current database is kept as argus-before-restore-*.db (the last 3)",
        tags: ["maintenance"],
        parameters: [{ name: PASSWORD_HEADER, in: "header", required: true, description: "The logged-in user's password, confirming the restore", schema: { type: "string" } }],
        requestBody: { required: true, ...binary("application/octet-stream", "An Argus database file (from GET /api/backup or argus backup)") },
        responses: {
          200: json("Restored, migrated if it was older, and in force", { restored: true, devices: 24 }),
          ...errors({
            400: ["An empty body", "The request body is empty: send the backup file as application/octet-stream"],
            403: ["Called with an API key, without the password header, or with a wrong password (counted as a failed login)", "Wrong password: the restore was not started"],
            409: ["A restore is already in progress", "A restore is already in progress"],
            413: ["The file is larger than the restore limit (ARGUS_MAX_RESTORE_BYTES, 1 GiB by default)", "The file is larger than the restore limit of 1073741824 bytes"],
            415: ["Not sent as application/octet-stream", "Send the backup file as the request body with Content-Type: application/octet-stream"],
            422: ["Not an intact Argus database of exactly our schema, with values of the declared types, or one from a newer Argus, or one that took too long to check; nothing was changed", "The file is an SQLite database but not an Argus backup"],
            429: ["Too many failed logins (wrong passwords count); `Retry-After` says when to try again", "Too many failed logins; try again in 42 seconds"],
            507: ["Less free space in the data directory than twice the file's size", "Not enough free space in the data directory: a restore of 5242880 bytes needs 10485760 bytes free"],
          }),
        },
      } as any,
    });
}
