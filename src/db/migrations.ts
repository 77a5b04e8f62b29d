// Schema migrations, applied in order at start-up. `PRAGMA user_version` records how many have
// run, so each entry runs exactly once per database. Append only: never edit a released step,
// add a new one (a database from an older version must migrate without loss).
import type { Database } from "bun:sqlite";
import { serviceFingerprint, type FingerprintPort } from "../identify/fingerprint.ts";
import { rebuildTable } from "./rebuild-table.ts";

/** `backfill` fills, in the same transaction, what SQL alone cannot compute from existing rows. */
export type Migration = {
  version: number;
  description: string;
  sql: string;
  backfill?: (db: Database) => void;
  /** Rebuilds a table that others reference: foreign key enforcement is off while it runs (see rebuild-table.ts). */
  rebuildsTables?: true;
};

export const migrations: Migration[] = [
  {
    version: 1,
    description: "users, sessions and API keys",
    sql: `
      CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
      );
      CREATE TABLE sessions (
        token_hash  TEXT PRIMARY KEY,          -- SHA-256 of the cookie token, never the token itself
        user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at  TEXT NOT NULL,
        expires_at  INTEGER NOT NULL,          -- epoch ms, compared on every request
        remember    INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      CREATE INDEX sessions_expires ON sessions(expires_at);
      CREATE TABLE api_keys (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL,
        key_prefix   TEXT NOT NULL,
        key_digest   BLOB NOT NULL,            -- SHA-256 of the full key; the key is never stored
        created_at   TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at   TEXT
      );
      CREATE UNIQUE INDEX api_keys_digest ON api_keys(key_digest);
    `,
  },
  {
    version: 2,
    description: "audit log",
    sql: `
      CREATE TABLE audit_logs (
        id          INTEGER PRIMARY KEY,
        timestamp   TEXT NOT NULL,
        username    TEXT,
        action      TEXT NOT NULL,
        resource    TEXT,
        ip_address  TEXT,
        user_agent  TEXT,
        success     INTEGER NOT NULL,
        details     TEXT                        -- JSON object, never a secret
      );
      CREATE INDEX audit_logs_action ON audit_logs(action, id);
    `,
  },
  {
    version: 3,
    description: "scans, devices, addresses, ports, threats, changes",
    sql: `
      CREATE TABLE scans (
        id               INTEGER PRIMARY KEY,
        scan_type        TEXT NOT NULL CHECK (scan_type IN ('network', 'device')),
        profile          TEXT NOT NULL,
        subnet           TEXT NOT NULL,           -- the CIDRs (or the one address) scanned, comma separated
        status           TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled', 'interrupted')),
        started_at       TEXT NOT NULL,
        finished_at      TEXT,
        duration_seconds REAL,
        hosts_total      INTEGER NOT NULL DEFAULT 0,
        hosts_found      INTEGER NOT NULL DEFAULT 0,
        ports_scanned    INTEGER NOT NULL DEFAULT 0,
        open_ports       INTEGER NOT NULL DEFAULT 0,
        devices_added    INTEGER NOT NULL DEFAULT 0,
        devices_removed  INTEGER NOT NULL DEFAULT 0,
        changes_count    INTEGER NOT NULL DEFAULT 0,
        degraded         INTEGER NOT NULL DEFAULT 0,
        error            TEXT
      );
      CREATE INDEX scans_status ON scans(status);
      CREATE INDEX scans_started ON scans(started_at);

      CREATE TABLE devices (
        id              INTEGER PRIMARY KEY,
        mac_address     TEXT UNIQUE,              -- null only when no MAC is knowable (beyond a router)
        ip_address      TEXT NOT NULL,
        mac_randomized  INTEGER NOT NULL DEFAULT 0,
        hostname        TEXT,
        hostname_source TEXT,
        vendor          TEXT,
        device_type     TEXT NOT NULL DEFAULT 'unknown',
        os_name         TEXT,
        status          TEXT NOT NULL DEFAULT 'online' CHECK (status IN ('online', 'offline')),
        first_seen      TEXT NOT NULL,
        last_seen       TEXT NOT NULL,
        times_seen      INTEGER NOT NULL DEFAULT 1,
        missed_scans    INTEGER NOT NULL DEFAULT 0,  -- consecutive network scans that covered it and did not see it
        label           TEXT,
        zone            TEXT,
        is_trusted      INTEGER NOT NULL DEFAULT 0,
        notes           TEXT,
        risk_level      TEXT NOT NULL DEFAULT 'none',
        risk_score      INTEGER NOT NULL DEFAULT 0,
        threat_summary  TEXT,
        open_ports      INTEGER NOT NULL DEFAULT 0,  -- denormalised count for listings and stats
        ports_known     INTEGER NOT NULL DEFAULT 0,  -- 1 once a port scan has covered the device
        last_scan_id    INTEGER REFERENCES scans(id) ON DELETE SET NULL
      );
      CREATE INDEX devices_ip ON devices(ip_address);
      CREATE INDEX devices_status ON devices(status, id);
      CREATE INDEX devices_risk ON devices(risk_level, id);
      CREATE INDEX devices_zone ON devices(zone, id);
      CREATE INDEX devices_last_seen ON devices(last_seen);
      CREATE INDEX devices_first_seen ON devices(first_seen);

      CREATE TABLE device_addresses (
        device_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        ip_address TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen  TEXT NOT NULL,
        PRIMARY KEY (device_id, ip_address)
      ) WITHOUT ROWID;
      CREATE INDEX device_addresses_ip ON device_addresses(ip_address);

      CREATE TABLE ports (
        device_id   INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        port        INTEGER NOT NULL,
        protocol    TEXT NOT NULL DEFAULT 'tcp',
        service     TEXT,
        product     TEXT,
        version     TEXT,
        tls         INTEGER NOT NULL DEFAULT 0,
        banner      TEXT,
        extra       TEXT NOT NULL DEFAULT '{}',
        first_seen  TEXT NOT NULL,
        last_seen   TEXT NOT NULL,
        PRIMARY KEY (device_id, port, protocol)
      ) WITHOUT ROWID;
      CREATE INDEX ports_port ON ports(port, device_id);

      CREATE TABLE threats (
        id             INTEGER PRIMARY KEY,
        device_id      INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        port           INTEGER NOT NULL,
        protocol       TEXT NOT NULL DEFAULT 'tcp',
        level          TEXT NOT NULL,
        service_id     TEXT,
        description    TEXT NOT NULL,
        recommendation TEXT NOT NULL,
        cve_ids        TEXT NOT NULL DEFAULT '[]'
      );
      CREATE INDEX threats_device ON threats(device_id);

      CREATE TABLE scan_devices (
        scan_id     INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
        device_id   INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        ip_address  TEXT NOT NULL,
        mac_address TEXT,
        method      TEXT,
        rtt_ms      REAL,
        open_ports  TEXT NOT NULL DEFAULT '[]',   -- the ports this scan saw open (JSON), for per-scan views
        PRIMARY KEY (scan_id, device_id)
      ) WITHOUT ROWID;
      CREATE INDEX scan_devices_device ON scan_devices(device_id);

      CREATE TABLE changes (
        id           INTEGER PRIMARY KEY,
        scan_id      INTEGER REFERENCES scans(id) ON DELETE CASCADE,
        device_id    INTEGER REFERENCES devices(id) ON DELETE SET NULL,
        device_ip    TEXT,
        device_mac   TEXT,
        change_type  TEXT NOT NULL,
        severity     TEXT NOT NULL,
        old_value    TEXT,
        new_value    TEXT,
        description  TEXT NOT NULL,
        detected_at  TEXT NOT NULL,
        acknowledged INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX changes_scan ON changes(scan_id, id);
      CREATE INDEX changes_device ON changes(device_id, id);
      CREATE INDEX changes_type ON changes(change_type, id);
      CREATE INDEX changes_severity ON changes(severity, id);
      CREATE INDEX changes_detected ON changes(detected_at);
      CREATE INDEX changes_unacknowledged ON changes(acknowledged, id);
    `,
  },
  {
    version: 4,
    description: "device listing order: numeric IPv4 sort key and risk score index",
    // Dotted IPv4 text sorts wrongly ("10.0.0.10" < "10.0.0.2") and computing the number per query
    // costs ~20 ms on 10,000 devices, so the number is a virtual generated column with an index.
    // The expression is spelled out (not generated) because a released migration must never change.
    sql: `
      ALTER TABLE devices ADD COLUMN ip_sort INTEGER GENERATED ALWAYS AS (
        ((CAST(substr(ip_address, 1, instr(ip_address, '.') - 1) AS INTEGER) * 256
          + CAST(substr(substr(ip_address, instr(ip_address, '.') + 1), 1,
                        instr(substr(ip_address, instr(ip_address, '.') + 1), '.') - 1) AS INTEGER)) * 256
          + CAST(substr(substr(substr(ip_address, instr(ip_address, '.') + 1), instr(substr(ip_address, instr(ip_address, '.') + 1), '.') + 1), 1,
                        instr(substr(substr(ip_address, instr(ip_address, '.') + 1), instr(substr(ip_address, instr(ip_address, '.') + 1), '.') + 1), '.') - 1) AS INTEGER)) * 256
          + CAST(substr(substr(substr(ip_address, instr(ip_address, '.') + 1), instr(substr(ip_address, instr(ip_address, '.') + 1), '.') + 1),
                        instr(substr(substr(ip_address, instr(ip_address, '.') + 1), instr(substr(ip_address, instr(ip_address, '.') + 1), '.') + 1), '.') + 1) AS INTEGER)
      ) VIRTUAL;
      CREATE INDEX devices_ip_sort ON devices(ip_sort, id);
      CREATE INDEX devices_risk_score ON devices(risk_score, id);
    `,
  },
  {
    version: 5,
    description: "device listing indexes: filters in IP order, names with unnamed devices last",
    // A filter (status, risk level, zone) with the default IP order otherwise sorts thousands of
    // rows by the computed ip_sort (~15 ms on 10,000 devices); these make it an index walk.
    // Name orders put unnamed devices last in both directions, which needs one index per direction.
    sql: `
      CREATE INDEX devices_status_ip ON devices(status, ip_sort, id);
      CREATE INDEX devices_risk_ip ON devices(risk_level, ip_sort, id);
      CREATE INDEX devices_zone_ip ON devices(zone, ip_sort, id);
      CREATE INDEX devices_hostname_asc ON devices(hostname IS NULL, hostname COLLATE NOCASE, id);
      CREATE INDEX devices_hostname_desc ON devices(hostname IS NOT NULL, hostname COLLATE NOCASE, id);
      CREATE INDEX devices_vendor_asc ON devices(vendor IS NULL, vendor COLLATE NOCASE, id);
      CREATE INDEX devices_vendor_desc ON devices(vendor IS NOT NULL, vendor COLLATE NOCASE, id);
    `,
  },
  {
    version: 6,
    description: "change listing indexes for combined type / severity / acknowledged filters",
    // Counting "unacknowledged warnings" through a one-column index looks up every unacknowledged
    // row (~100 ms on a million changes); these answer such counts from the index alone.
    sql: `
      CREATE INDEX changes_type_filters ON changes(change_type, severity, acknowledged);
      CREATE INDEX changes_severity_filters ON changes(severity, acknowledged);
    `,
  },
  {
    version: 7,
    description: "per-scan count of at-risk devices, so trend history does not move with today's findings",
    sql: `ALTER TABLE scans ADD COLUMN at_risk INTEGER;`,
  },
  {
    version: 8,
    description: "scan ownership by process (one scan at a time across server and CLI) and each device's last scanned port set",
    sql: `
      ALTER TABLE scans ADD COLUMN pid INTEGER;
      ALTER TABLE devices ADD COLUMN ports_spec TEXT;   -- the port spec of the last scan that probed its ports
    `,
  },
  {
    version: 9,
    description: "drop devices.open_ports: listings and stats derive open ports from the ports table",
    sql: `ALTER TABLE devices DROP COLUMN open_ports;`,
  },
  {
    version: 10,
    description: "scheduler state, indexes for pruning history by age, and the file's application id",
    // application_id marks the file as an Argus database (checked before a restore); files from before
    // this version carry 0 and are recognised by their tables instead.
    sql: `
      CREATE TABLE schedule_runs (
        profile         TEXT NOT NULL,
        cron            TEXT NOT NULL,
        last_run_at     TEXT,
        last_scan_id    INTEGER,
        last_skipped_at TEXT,
        PRIMARY KEY (profile, cron)
      ) WITHOUT ROWID;
      CREATE INDEX audit_logs_timestamp ON audit_logs(timestamp);
      -- Deleting a scan sets devices.last_scan_id to null: without this index every deleted scan
      -- reads the whole devices table (seconds per batch of pruned scans on 10,000 devices).
      CREATE INDEX devices_last_scan ON devices(last_scan_id);
      PRAGMA application_id = 1095911253;
    `,
  },
  {
    version: 11,
    description: "notification delivery queue, filled in the transaction that commits the changes it announces",
    // One row per message and channel: a change, a scan's digest or a test message. The payload is
    // what will be sent, snapshotted at commit time (the device may be forgotten before delivery).
    // next_attempt_ms is epoch ms: the worker's "due" query compares it on every tick.
    sql: `
      CREATE TABLE notifications (
        id              INTEGER PRIMARY KEY,
        channel         TEXT NOT NULL,
        kind            TEXT NOT NULL CHECK (kind IN ('change', 'digest', 'test')),
        change_id       INTEGER REFERENCES changes(id) ON DELETE SET NULL,
        scan_id         INTEGER REFERENCES scans(id) ON DELETE SET NULL,
        severity        TEXT NOT NULL,
        payload         TEXT NOT NULL,
        status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        error           TEXT,
        created_at      TEXT NOT NULL,
        next_attempt_ms INTEGER NOT NULL,
        sent_at         TEXT
      );
      -- The worker walks a channel's pending rows in id order and stops after a few due ones.
      CREATE INDEX notifications_due ON notifications(status, channel, id);
      CREATE INDEX notifications_channel ON notifications(channel, id);
      CREATE INDEX notifications_change ON notifications(change_id);
    `,
  },
  {
    version: 12,
    description: "passive watch: evidence of each name and type, DHCP and mDNS fingerprints",
    sql: `
      ALTER TABLE devices ADD COLUMN device_type_source TEXT;  -- dhcp-fingerprint, mdns, mdns-model, scan
      ALTER TABLE devices ADD COLUMN os_source TEXT;
      ALTER TABLE devices ADD COLUMN model TEXT;               -- from mDNS _device-info
      ALTER TABLE devices ADD COLUMN dhcp_fingerprint TEXT;    -- DHCP options 55 and 60: "1,3,6,15|MSFT 5.0"
      ALTER TABLE devices ADD COLUMN mdns_services TEXT;       -- JSON list of announced service types
    `,
  },
  {
    version: 13,
    description: "API key scopes: a read key may only use safe methods; keys made before scopes existed are full",
    sql: `
      ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'full' CHECK (scope IN ('full', 'read'));
    `,
  },
  {
    version: 14,
    description: "trust that a frame cannot steal: pending trust, the mDNS name as separate evidence, MAC links that can be undone",
    sql: `
      -- 1 while a trusted device re-identified under a new MAC by one piece of evidence waits for the
      -- owner (is_trusted is 0 meanwhile): trust is "trusted" (is_trusted), "pending" or "untrusted".
      ALTER TABLE devices ADD COLUMN trust_pending INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE devices ADD COLUMN mdns_name TEXT;           -- the name the device announces over mDNS
      -- A device re-identified under a new MAC: what it was before, so that the link can be undone
      -- when the old MAC speaks again.
      CREATE TABLE mac_links (
        id          INTEGER PRIMARY KEY,
        device_id   INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        old_mac     TEXT NOT NULL,
        new_mac     TEXT NOT NULL,
        was_trusted INTEGER NOT NULL,                          -- the old MAC's trust: 1 trusted, 2 pending, 0 neither
        evidence    TEXT NOT NULL,                             -- comma-separated: dhcp-name, mdns-name, services
        linked_at   TEXT NOT NULL,
        undone_at   TEXT
      );
      CREATE INDEX mac_links_old ON mac_links(old_mac) WHERE undone_at IS NULL;
      CREATE INDEX mac_links_device ON mac_links(device_id);
    `,
  },
  {
    version: 15,
    description: "sighting floods: rotation candidates by index (hostname key, DHCP and service fingerprints), newcomers held back",
    // A frame from an unknown randomised MAC looks for the known device it may be (identity.ts
    // findRotated); reading every device row for it let a flood of such frames freeze the server.
    // hostname_key is the first label of the name, trimmed and lower-cased (ASCII), like
    // identify/fingerprint.ts hostnameKey before its generic-name checks, which the caller applies.
    // service_fingerprint is that file's serviceFingerprint of the device's ports, kept by the scans.
    sql: `
      ALTER TABLE devices ADD COLUMN hostname_key TEXT GENERATED ALWAYS AS (
        lower(CASE WHEN instr(trim(hostname, char(32, 9, 10, 11, 12, 13)), '.') > 0
          THEN substr(trim(hostname, char(32, 9, 10, 11, 12, 13)), 1, instr(trim(hostname, char(32, 9, 10, 11, 12, 13)), '.') - 1)
          ELSE trim(hostname, char(32, 9, 10, 11, 12, 13)) END)
      ) VIRTUAL;
      ALTER TABLE devices ADD COLUMN service_fingerprint TEXT;
      -- Epoch ms before which a passive newcomer is announced to nobody (no message of its own, no Home
      -- Assistant entity): briefly for every newcomer, for good for a sighting flood's devices until a
      -- DHCP handshake or a scan shows them real (passive/watch.ts).
      ALTER TABLE devices ADD COLUMN announce_after_ms INTEGER;
      CREATE INDEX devices_rotation_hostname ON devices(hostname_key, last_seen) WHERE hostname_key IS NOT NULL;
      CREATE INDEX devices_rotation_dhcp ON devices(dhcp_fingerprint, mac_randomized, last_seen) WHERE dhcp_fingerprint IS NOT NULL;
      CREATE INDEX devices_rotation_services ON devices(service_fingerprint, last_seen) WHERE service_fingerprint IS NOT NULL;
    `,
    backfill: (db) => {
      const ports = db.query("SELECT port, protocol, service, product, version FROM ports WHERE device_id = ?");
      const store = db.query("UPDATE devices SET service_fingerprint = ? WHERE id = ?");
      for (const { id } of db.query("SELECT id FROM devices WHERE ports_known = 1").all() as { id: number }[]) {
        store.run(serviceFingerprint(ports.all(id) as FingerprintPort[]), id);
      }
    },
  },
  {
    version: 16,
    description: "presence history: one row per online interval of a device, not per sighting",
    // A session is open (ended_at null) while the device is online; closing it sets ended_at to the
    // last time the device was seen. A device seen again within the grace after that reopens the same
    // row (inventory/presence.ts). Devices online at upgrade time start with an open session from their
    // last sighting, so their history is not empty; which kind of sighting that was is not stored, so a
    // device a scan has ever seen counts as "scan", any other (heard only passively) as "passive".
    sql: `
      CREATE TABLE presence_sessions (
        id         INTEGER PRIMARY KEY,
        device_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        started_at TEXT NOT NULL,
        ended_at   TEXT,                        -- null while open; else the last time the device was seen
        source     TEXT NOT NULL CHECK (source IN ('scan', 'passive', 'probe'))  -- what opened it
      );
      CREATE INDEX presence_sessions_device ON presence_sessions(device_id, started_at);
      -- Range reads (GET /api/presence: the sessions that ended after a time, or are open) and pruning by age.
      CREATE INDEX presence_sessions_ended ON presence_sessions(ended_at);
      INSERT INTO presence_sessions (device_id, started_at, ended_at, source)
        SELECT id, coalesce(last_seen, first_seen), NULL, CASE WHEN last_scan_id IS NOT NULL THEN 'scan' ELSE 'passive' END
        FROM devices WHERE status = 'online';
    `,
  },
  {
    version: 17,
    description: "presence mode: how a device's departure is noticed (departure probes)",
    // normal | can_sleep | always_on (SPEC §7), set by the owner; passive/departures.ts reads it.
    sql: `ALTER TABLE devices ADD COLUMN presence_mode TEXT NOT NULL DEFAULT 'normal' CHECK (presence_mode IN ('normal', 'can_sleep', 'always_on'));`,
  },
  {
    version: 18,
    description: "per-device alerts: the events the owner wants to hear about for one device (notify_on)",
    sql: `
      -- JSON list of "left", "returned", "port_opened" (inventory/enums.ts NOTIFY_ON_EVENTS); NULL: none.
      ALTER TABLE devices ADD COLUMN notify_on TEXT;
    `,
  },
  {
    version: 19,
    description: "the owner's type and icon for a device, which no scan or sighting overwrites; why the automatic type was chosen",
    // The automatic type (device_type, device_type_source) goes on being written by scans and
    // sightings underneath the owner's choice, so clearing the choice returns to an up-to-date guess.
    sql: `
      ALTER TABLE devices ADD COLUMN type_override TEXT;         -- the owner's type (inventory/enums.ts DEVICE_TYPES); null: automatic
      ALTER TABLE devices ADD COLUMN icon TEXT;                  -- the owner's icon (DEVICE_ICONS); null: the type's own
      ALTER TABLE devices ADD COLUMN device_type_evidence TEXT;  -- what decided the automatic type, e.g. "RTSP port 554 open"
    `,
  },
  {
    version: 20,
    description: "several interfaces: every MAC a device was seen with (the owner merges and splits devices)",
    // devices.mac_address stays the primary MAC; this table holds it and every other MAC merged into
    // the device (inventory/macs.ts). A MAC belongs to one device at a time. Filled with each device's
    // current MAC, seen from its first to its last sighting.
    sql: `
      CREATE TABLE device_macs (
        mac        TEXT PRIMARY KEY,
        device_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        randomized INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen  TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX device_macs_device ON device_macs(device_id);
      INSERT INTO device_macs (mac, device_id, randomized, first_seen, last_seen)
        SELECT mac_address, id, mac_randomized, first_seen, coalesce(last_seen, first_seen) FROM devices WHERE mac_address IS NOT NULL;
    `,
  },
  {
    version: 21,
    description: "IPv6 addresses heard from each device's neighbour discovery",
    // Written by inventory/sightings.ts only, for devices already known by their MAC. Privacy
    // addresses rotate, so the newest IP6_KEEP_PER_DEVICE per device are kept (inventory/addresses6.ts).
    sql: `
      CREATE TABLE device_ip6 (
        device_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        address    TEXT NOT NULL,                                   -- RFC 5952 text
        scope      TEXT NOT NULL CHECK (scope IN ('global', 'ula', 'link')),
        first_seen TEXT NOT NULL,
        last_seen  TEXT NOT NULL,
        source     TEXT NOT NULL DEFAULT 'ndp',
        PRIMARY KEY (device_id, address)
      ) WITHOUT ROWID;
      CREATE INDEX device_ip6_address ON device_ip6(address);
    `,
  },
  {
    version: 22,
    description: "sources of truth: each source's last run, and every name a device goes by with where it came from",
    // source_state is the runner's record per configured source (sources/runner.ts), keyed by the
    // entry's name; a row whose entry left the configuration is removed when the configuration changes.
    // device_names keeps each name a device was given by each source (DHCP heard on the wire, mDNS,
    // reverse DNS, NetBIOS, a lease file, a DNS server…): the device page lists them all, while
    // devices.hostname holds the one the evidence ranking chose. At most NAMES_PER_DEVICE per device
    // (inventory/names.ts), the oldest dropped first.
    sql: `
      CREATE TABLE source_state (
        name        TEXT PRIMARY KEY,
        type        TEXT NOT NULL,
        last_run_at TEXT,
        last_ok_at  TEXT,
        status      TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'disabled')),
        detail      TEXT,
        devices     INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      CREATE TABLE device_names (
        device_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        source     TEXT NOT NULL,
        name       TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen  TEXT NOT NULL,
        PRIMARY KEY (device_id, source, name)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 23,
    description: "segments: where each device, change and scan was seen; a sensor's outbox; a hub's sensors",
    // role sensor/hub (src/segments/). A sensor queues what it publishes in segment_outbox until the
    // broker acknowledges it (bounded, oldest dropped; AUTOINCREMENT so a sequence number is never
    // reused after the outbox empties: the hub applies each sensor's numbers once, in order).
    // segment_state holds the sensor's instance id and the count of messages dropped since the last
    // report. A hub keeps one segment_sensors row per (site, segment) with the last sequence applied.
    sql: `
      ALTER TABLE devices ADD COLUMN segment TEXT;
      ALTER TABLE changes ADD COLUMN segment TEXT;
      ALTER TABLE scans ADD COLUMN segment TEXT;
      CREATE INDEX devices_segment ON devices(segment, id);
      CREATE TABLE segment_outbox (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        topic      TEXT NOT NULL,
        payload    TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE segment_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE segment_sensors (
        site             TEXT NOT NULL,
        segment          TEXT NOT NULL,
        instance         TEXT NOT NULL,
        last_seq         INTEGER NOT NULL,
        last_heard_at    TEXT NOT NULL,
        lag_seconds      REAL,
        buffered         INTEGER NOT NULL DEFAULT 0,
        dropped          INTEGER NOT NULL DEFAULT 0,
        offline_reported INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (site, segment)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 24,
    description: "IPv6 addresses: the MAC that spoke for each one (a device may have several interfaces)",
    // Set by every new sighting (inventory/sightings.ts); older rows keep NULL and read as the
    // device's primary MAC. The source now also says "sweep" (an answer to a sweep's ICMPv6 echo or
    // neighbour solicitation) beside "ndp" (heard passively).
    sql: `ALTER TABLE device_ip6 ADD COLUMN mac TEXT;`,
  },
  {
    version: 25,
    description: "MACs the owner split apart, which automatic interface linking must not join again",
    // Written by inventory/macs.ts splitMac (one row per pair: the MAC split off and each MAC left
    // on the device, mac_a < mac_b), removed by the owner's merge of devices holding them.
    sql: `
      CREATE TABLE mac_splits (
        mac_a    TEXT NOT NULL,
        mac_b    TEXT NOT NULL,
        split_at TEXT NOT NULL,
        PRIMARY KEY (mac_a, mac_b),
        CHECK (mac_a < mac_b)
      ) WITHOUT ROWID;
      CREATE INDEX mac_splits_b ON mac_splits(mac_b);
    `,
  },
  {
    version: 26,
    description: "device ids are never reused: devices rebuilt with AUTOINCREMENT, counting on from the highest id ever used",
    // Without AUTOINCREMENT SQLite hands a forgotten device's id (the highest one) to the next new
    // device, and an integration that stored "device 5" then sees another device under it. The
    // sequence starts after the highest id the database still records anywhere: the devices, and
    // the audit log's entries about devices since forgotten, merged away or split off.
    rebuildsTables: true,
    sql: "",
    backfill: (db) => {
      rebuildTable(db, "devices", (sql) => sql.replace(/\b(id\s+INTEGER\s+PRIMARY\s+KEY)\b(?!\s+AUTOINCREMENT)/i, "$1 AUTOINCREMENT"));
      const used = db
        .query(
          `SELECT max(coalesce((SELECT max(id) FROM devices), 0),
                      coalesce((SELECT max(n) FROM (
                        SELECT CAST(substr(resource, 8) AS INTEGER) AS n FROM audit_logs WHERE resource GLOB 'device:[1-9]*'
                        UNION ALL SELECT CASE WHEN json_valid(details) THEN json_extract(details, '$.other_id') END FROM audit_logs WHERE action = 'device_merged'
                        UNION ALL SELECT CASE WHEN json_valid(details) THEN json_extract(details, '$.new_id') END FROM audit_logs WHERE action = 'device_split'
                      ) WHERE typeof(n) = 'integer' AND n BETWEEN 1 AND 9007199254740991), 0)) AS used`,
        )
        .get() as { used: number };
      db.run("DELETE FROM sqlite_sequence WHERE name = 'devices'");
      db.run("INSERT INTO sqlite_sequence (name, seq) VALUES ('devices', ?)", [used.used]);
    },
  },
  {
    version: 27,
    description: "sources: where a device is attached, which source gave its MAC, the subnets a source saw",
    // attached_*: the latest a source said (a UniFi AP or switch port, the router interface of an SNMP
    // ARP entry), replaced by each run that says it; never the owner's. mac_source: the source type
    // that gave the primary MAC (a routed host's, from the router's ARP table), null when the wire did.
    // source_state.subnets: the /24s of addresses a source reported outside the confirmed subnets,
    // offered as suggestions (GET /api/network/detect), never confirmed by themselves.
    sql: `
      ALTER TABLE devices ADD COLUMN attached_to TEXT;
      ALTER TABLE devices ADD COLUMN attached_source TEXT;
      ALTER TABLE devices ADD COLUMN attached_at TEXT;
      ALTER TABLE devices ADD COLUMN mac_source TEXT;
      ALTER TABLE source_state ADD COLUMN subnets TEXT NOT NULL DEFAULT '[]';
    `,
  },
  {
    version: 28,
    description: "IPv4 address history: the MAC each address was heard from (a device may have several interfaces)",
    // Written by every sighting (inventory/identity.ts recordAddress), kept by a merge, taken along by
    // a split (inventory/macs.ts). Which interface answered before is not known: existing rows get the
    // device's primary MAC, as they read until now; a MAC-less device's rows stay NULL.
    sql: `
      ALTER TABLE device_addresses ADD COLUMN mac TEXT;
      UPDATE device_addresses SET mac = (SELECT mac_address FROM devices WHERE devices.id = device_addresses.device_id);
    `,
  },
  {
    version: 29,
    description: "a hub's copies of its sensors' scan records: the sensor's instance and scan id, once each",
    // Written by segments/scan-mirror.ts on a hub (role hub): the row's id is the hub's own, the
    // sensor's (instance, scan id) with the segment keep a replayed record from becoming a second row.
    sql: `
      ALTER TABLE scans ADD COLUMN sensor_instance TEXT;
      ALTER TABLE scans ADD COLUMN sensor_scan_id INTEGER;
      CREATE UNIQUE INDEX scans_sensor ON scans(segment, sensor_instance, sensor_scan_id) WHERE sensor_scan_id IS NOT NULL;
      CREATE INDEX scans_segment ON scans(segment, id);
    `,
  },
];

/** PRAGMA application_id of an Argus database ("ARGU"), set by migration 10. */
export const APPLICATION_ID = 0x41524755;

export const LATEST_VERSION = migrations[migrations.length - 1].version;

export class SchemaTooNewError extends Error {
  constructor(found: number) {
    super(`the database schema is version ${found}, newer than this Argus knows (${LATEST_VERSION}); upgrade Argus or restore a backup`);
  }
}

/** Brings the schema up to `target` (default: the latest) in one transaction; returns the versions applied. */
export function migrate(db: Database, target: number = LATEST_VERSION): number[] {
  const current = (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
  if (current > LATEST_VERSION) throw new SchemaTooNewError(current);
  const pending = migrations.filter((m) => m.version > current && m.version <= target);
  if (pending.length === 0) return [];
  // A table rebuild needs foreign key enforcement off, which SQLite only changes outside a transaction;
  // the references are checked before the commit instead, and enforcement restored after it.
  const enforced = pending.some((m) => m.rebuildsTables) && (db.query("PRAGMA foreign_keys").get() as { foreign_keys: number }).foreign_keys === 1;
  if (enforced) db.run("PRAGMA foreign_keys = OFF");
  try {
    db.transaction(() => {
      // A file may carry dangling references from before (restored, or written by an older version):
      // the rebuild must add none, not repair those.
      const danglingBefore = pending.some((m) => m.rebuildsTables) ? foreignKeyProblems(db) : 0;
      for (const m of pending) {
        if (m.sql) db.run(m.sql);
        m.backfill?.(db);
      }
      if (pending.some((m) => m.rebuildsTables) && foreignKeyProblems(db) > danglingBefore) throw new Error("rebuilding a table left references pointing at nothing");
      // PRAGMA does not take bound parameters; the value is our own integer.
      db.run(`PRAGMA user_version = ${pending[pending.length - 1].version}`);
    }).immediate();
  } finally {
    if (enforced) db.run("PRAGMA foreign_keys = ON");
  }
  return pending.map((m) => m.version);
}

const foreignKeyProblems = (db: Database) => db.query("PRAGMA foreign_key_check").all().length;
