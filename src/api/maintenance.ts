// Keeping the appliance for years without a shell (SPEC §5): retention, database statistics, device
// exports, backup and restore.
import { Elysia, t } from "elysia";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { AppContext } from "../app-context.ts";
import { snapshotDatabase } from "../db/backup.ts";
import { prepareRestore, RestoreError, restoreInto } from "../db/restore.ts";
import { receiveUpload } from "../db/upload.ts";
import { devicesCsv, devicesJson, exportFilename, stamp } from "../export/devices.ts";
import { DeviceInventory } from "../inventory/devices.ts";
import { databaseStats } from "../retention/prune.ts";
import { authentication } from "./guard.ts";
import { RawBody } from "./body.ts";
import { DEVICE_EXAMPLE, deviceFilters } from "./devices.ts";
import { DatabaseStats, Device, models, ref, RestoreResult, RetentionCounts } from "./models.ts";
import { HttpError } from "./errors.ts";
import { errors, json } from "./openapi.ts";
import { noQuery, strictQuery } from "./schemas.ts";

const exportQuery = strictQuery(deviceFilters);
const binary = (type: string, description: string) => ({ content: { [type]: { schema: { type: "string", format: "binary" } } }, description });
const DISPOSITION = { "Content-Disposition": { description: "attachment; filename=\"argus-….\"", schema: { type: "string" } } };
const CSV_EXAMPLE =
  "id,ip_address,mac_address,mac_randomized,hostname,vendor,device_type,os_name,status,first_seen,last_seen,times_seen,label,zone,is_trusted,notes,risk_level,risk_score,threat_summary,open_ports\r\n" +
  "7,192.168.1.20,b8:27:eb:12:34:56,false,nas,Raspberry Pi Foundation,nas,Linux,online,2024-01-15T10:30:00Z,2024-01-16T08:00:00Z,42,Backup NAS,Servers,true,,high,70,SMB exposed (high),22 445\r\n";

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
    q: q.q === "" ? undefined : (q.q as string | undefined),
    port: q.port as number | undefined,
    sort: q.sort as any,
  });
  const attachment = (type: string, name: string) => ({ "content-type": type, "content-disposition": `attachment; filename="${name}"` });
  let restoring = false;

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
        summary: "Prune scans, changes, audit entries and notification records older than retention_days now (devices are kept); the counts removed",
        tags: ["maintenance"],
        responses: { 200: json("What was removed", { scans: 12, changes: 340, audit: 25, notifications: 60 }) },
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
      const snap = snapshotDatabase(ctx.db, join(ctx.settings.dataDir, `.backup-${process.pid}-${crypto.randomUUID()}.db`));
      const { stream, size } = fileStream(snap.path);
      ctx.audit.record(actor, "backup_created", { details: { filename: name, bytes: size, schema_version: snap.schemaVersion } });
      return new Response(stream, { headers: attachment("application/vnd.sqlite3", name) });
    }, {
      query: noQuery,
      detail: {
        summary: "Download a consistent snapshot of the database (argus-YYYYMMDD-HHMMSS.db), also while a scan runs",
        tags: ["maintenance"],
        responses: {
          200: { ...binary("application/vnd.sqlite3", "The SQLite file (it holds password and API-key hashes: keep it safe)"), headers: DISPOSITION },
          ...errors({ 409: "A restore is in progress" }),
        },
      },
    })
    .post("/api/restore", async ({ body, request, actor }) => {
      const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
      if ((body === undefined || body === "") && (type === "application/octet-stream" || type === "")) throw new HttpError(400, "The request body is empty: send the backup file as application/octet-stream");
      if (!(body instanceof RawBody)) throw new HttpError(415, "Send the backup file as the request body with Content-Type: application/octet-stream");
      if (restoring) throw new HttpError(409, "A restore is already in progress");
      restoring = true;
      let upload: string | null = null;
      try {
        upload = await receiveUpload(body.stream, ctx.settings.dataDir, ctx.settings.maxRestoreBytes, request.headers.get("content-length"));
        // Everything that can refuse the file runs before anything is paused or changed: a refused
        // restore leaves a running scan alone.
        const version = prepareRestore(ctx.db, upload);
        ctx.scheduler.pause();
        await ctx.retention.pause();
        ctx.scans.cancel();
        await ctx.scans.idle();
        try {
          const result = restoreInto(ctx.db, upload, ctx.settings.dataDir, version);
          // A backup taken during a scan holds that scan as running: it is not running any more.
          ctx.scans.markInterrupted();
          ctx.audit.record(actor, "restore_completed", { details: { devices: result.devices, schema_version: result.schema_version, previous_kept_as: result.kept_as } });
          return { restored: true, devices: result.devices };
        } finally {
          ctx.retention.resume();
          ctx.scheduler.resume();
        }
      } catch (e) {
        if (e instanceof RestoreError) throw new HttpError(e.status, e.message);
        throw e;
      } finally {
        restoring = false;
        if (upload) for (const f of [upload, `${upload}-wal`, `${upload}-shm`, `${upload}-journal`]) rmSync(f, { force: true });
      }
    }, {
      query: noQuery,
      response: { 200: ref(RestoreResult) },
      detail: {
        summary: "Restore a backup (the file as an application/octet-stream body): only an intact Argus database not newer than this version; the current one is kept as argus-before-restore-*.db",
        tags: ["maintenance"],
        requestBody: { required: true, ...binary("application/octet-stream", "An Argus database file (from GET /api/backup or argus backup)") },
        responses: {
          200: json("Restored, migrated if it was older, and in force", { restored: true, devices: 24 }),
          ...errors({
            400: ["An empty body", "The request body is empty: send the backup file as application/octet-stream"],
            409: ["A restore is already in progress", "A restore is already in progress"],
            413: ["The file is larger than the restore limit (ARGUS_MAX_RESTORE_BYTES, 1 GiB by default)", "The file is larger than the restore limit of 1073741824 bytes"],
            415: ["Not sent as application/octet-stream", "Send the backup file as the request body with Content-Type: application/octet-stream"],
            422: ["Not an intact Argus database, or one from a newer Argus; nothing was changed", "The file is an SQLite database but not an Argus backup"],
          }),
        },
      } as any,
    });
}
