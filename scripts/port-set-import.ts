// Regenerates src/portscan/home-ports.json, the "home-1000" port set the `normal` profile scans by
// default: 1,000 TCP ports, ranked. First come the ports home and small-office devices are documented
// to serve (the curated list below, each with the vendor or project documentation it comes from, in
// the order of how many homes run them), then nmap's TCP ports by the open frequency nmap measured
// (Debian's nmap, /usr/share/nmap/nmap-services), until the set holds 1,000. Only port numbers and
// their ranking are taken from nmap-services; the file itself is not copied.
// test/portscan/home-ports.test.ts fails while the set and this script disagree.
//   node_modules/.bin/bun scripts/port-set-import.ts [--services PATH] [--check]
import { readFileSync, writeFileSync } from "node:fs";

const SIZE = 1000;

/** Where each curated port comes from (the keys used in CURATED). */
const SOURCES: Record<string, string> = {
  core: "Services every home router, PC, phone and NAS runs (IANA assignments; RFC 6763 mDNS, UPnP Device Architecture for SSDP/1900, IPP RFC 8011)",
  apple: "Apple, 'TCP and UDP ports used by Apple software products' (support.apple.com/HT202944): AirPlay, AFP, ARD, iTunes sync (62078), DAAP, HomeKit",
  microsoft: "Microsoft, 'Service overview and network port requirements for Windows': RPC, SMB, RDP, WinRM, WSD, media sharing",
  google: "Google Cast / Nest documentation: Chromecast and Nest speakers serve 8008, 8009, 8443, 10001",
  amazon: "Amazon Echo / Fire TV ports seen on home LANs (Amazon developer docs, Home Assistant alexa_media notes)",
  sonos: "Sonos, 'Configure your firewall to work with Sonos' (support.sonos.com): 1400, 1443, 3400, 3401, 3500, 4444",
  tv: "Roku External Control Protocol (8060), Samsung Tizen remote (8001/8002/55000), LG webOS (3000/3001), Philips, Kodi JSON-RPC",
  homeassistant: "Home Assistant docs (8123, ESPHome 6053, Supervisor 4357), Homebridge (8581, 51826), Node-RED (1880), Zigbee2MQTT, Z-Wave JS UI (8091, 3000), deCONZ",
  iot: "Smart-home device documentation: MQTT (1883/8883, websockets 8083/9001), TP-Link Kasa (9999), Tuya (6668), Yeelight (55443), Shelly/Tasmota (80), Belkin WeMo (49152-49154), SmartThings (39500), Hubitat (8081), Matter/Thread border routers",
  plex: "Plex, 'What network ports do I need to allow through my firewall?' (support.plex.tv): 32400, 32469, 3005, 8324; Jellyfin/Emby (8096, 8920); the *arr media apps and download clients' default ports",
  synology: "Synology, 'What network ports are used by Synology services?' (kb.synology.com): DSM 5000/5001, Drive 6690, WebDAV 5005/5006, rsync 873, Surveillance Station 9900/9901, Active Backup, Hyper Backup",
  qnap: "QNAP, 'Which ports do QNAP NAS services use?' (qnap.com/en/how-to/faq): QTS 8080/443, Qsync, Qfile, myQNAPcloud; Asustor (8000/8001), TerraMaster (5443, 8181), TrueNAS/Unraid web UIs, WD My Cloud",
  nas: "Self-hosted NAS software defaults: Nextcloud, Syncthing (8384, 22000), Portainer (9000, 9443), Proxmox (8006), Webmin (10000), Cockpit (9090), Docker (2375/2376), Pi-hole FTL (4711), AdGuard Home (3000), Immich, PhotoPrism, Vaultwarden, Nginx Proxy Manager (81), Uptime Kuma (3001), Grafana (3000), InfluxDB (8086)",
  camera: "IP camera and NVR documentation: RTSP 554/8554, ONVIF (8899, 2020, 8999), Hikvision SDK 8000, Dahua/Amcrest 37777/37778, Reolink 9000, Xiongmai/XMEye 34567/34599, Foscam 88, Lorex 35000, UniFi Protect 7441/7443/7447, Blue Iris 81, Frigate (5000, 8971, 8555), go2rtc 1984, MotionEye 8765, RTMP 1935",
  network: "Router and access-point documentation: TR-069 CWMP (7547), AVM FRITZ!Box TR-064 (49000/49443), MikroTik (8291 Winbox, 8728/8729 API, 2000), UniFi Network (8080 inform, 8443, 8880, 8843, 6789), TP-Link Omada (8043, 8088, 29811-29814), DrayTek, Netgear, ASUS AiCloud",
  printer: "Printer documentation: raw/JetDirect 9100-9102, IPP 631, LPD 515, HP web services (8080, 9220), Epson (3629), Brother scanning (54921), Canon (8000), Bambu Lab (990 FTPS, 8883 MQTT, 6000), OctoPrint (5000), Moonraker (7125)",
  remote: "Remote-access tools' documentation: VNC (5800, 5900-5903), TeamViewer (5938), AnyDesk (7070), RustDesk (21115-21119), NoMachine (4000), Splashtop (6783), Apple Remote Desktop (3283), OpenVPN (1194), SSH alternatives (2222)",
  office: "Small-office services: SIP (5060/5061), Asterisk AMI (5038), UPS monitoring (NUT 3493, APC 3052, 6547), UniFi/Zabbix agents (10050), databases left on LAN hosts (MySQL, PostgreSQL, Redis, MongoDB, CouchDB, Elasticsearch, Memcached)",
  games: "Game consoles and servers on home LANs: Xbox (3074), PlayStation Remote Play (9295, 9296), Steam In-Home Streaming (27036, 27037), Minecraft (25565)",
};

/** Curated home/SOHO ports, most common first within the home network as a whole: [port, label, source]. */
const CURATED: [number, string, string][] = [
  // What nearly every home LAN has.
  [80, "http", "core"], [443, "https", "core"], [22, "ssh", "core"], [53, "dns", "core"], [445, "smb", "microsoft"],
  [139, "netbios-ssn", "microsoft"], [8080, "http-alt (routers, QNAP, UniFi inform, Zigbee2MQTT, qBittorrent)", "network"],
  [8443, "https-alt (UniFi, Chromecast, routers)", "network"], [631, "ipp", "printer"], [9100, "jetdirect", "printer"],
  [515, "lpd", "printer"], [1900, "ssdp/upnp", "core"], [5353, "mdns", "core"], [554, "rtsp", "camera"],
  [62078, "iphone-sync (lockdownd)", "apple"], [8008, "chromecast http", "google"], [8009, "chromecast cast", "google"],
  [10001, "google cast / ubiquiti discovery", "google"], [3389, "rdp", "microsoft"], [5000, "synology dsm / airplay / upnp", "synology"],
  [5001, "synology dsm https", "synology"], [8123, "home assistant", "homeassistant"], [32400, "plex", "plex"],
  [1883, "mqtt", "iot"], [8883, "mqtt over tls", "iot"], [7000, "airplay", "apple"], [7100, "airplay screen", "apple"],
  [548, "afp", "apple"], [3689, "daap (itunes/apple tv)", "apple"], [3283, "apple remote desktop", "apple"],
  [5900, "vnc", "remote"], [135, "msrpc", "microsoft"], [5357, "wsd", "microsoft"], [2869, "upnp host (icslap)", "microsoft"],
  [10243, "windows media sharing", "microsoft"], [5985, "winrm", "microsoft"], [5986, "winrm https", "microsoft"],
  [7547, "tr-069 cwmp", "network"], [49000, "fritz!box tr-064", "network"], [49443, "fritz!box tr-064 tls", "network"],
  [21, "ftp", "core"], [23, "telnet", "core"], [2323, "telnet-alt (iot)", "iot"], [25, "smtp", "core"],
  [111, "rpcbind", "nas"], [2049, "nfs", "nas"], [873, "rsync", "synology"], [3260, "iscsi", "synology"],
  [6690, "synology drive", "synology"], [5005, "webdav", "synology"], [5006, "webdav https", "synology"],
  [9900, "surveillance station", "synology"], [9901, "surveillance station https", "synology"],
  [8000, "hikvision sdk / asustor / canon", "camera"], [8001, "asustor https / samsung tv", "qnap"],
  [8081, "qnap / hubitat / http-alt", "qnap"], [8082, "http-alt", "qnap"], [5443, "terramaster https", "qnap"], [8181, "terramaster", "qnap"],
  [37777, "dahua", "camera"], [37778, "dahua", "camera"], [34567, "xiongmai/xmeye dvr", "camera"], [34599, "xiongmai dvr", "camera"],
  [8554, "rtsp-alt", "camera"], [10554, "rtsp-alt", "camera"], [8899, "onvif", "camera"], [2020, "onvif (tp-link tapo)", "camera"],
  [8999, "onvif", "camera"], [9000, "reolink / portainer / lorex", "camera"], [88, "foscam http / kerberos", "camera"],
  [81, "blue iris / nginx proxy manager", "camera"], [35000, "lorex", "camera"], [7441, "unifi protect rtsps", "camera"],
  [7443, "unifi protect", "camera"], [7447, "unifi protect rtsp", "camera"], [7080, "unifi video", "camera"],
  [1935, "rtmp", "camera"], [1984, "go2rtc", "camera"], [8971, "frigate", "camera"], [8555, "frigate webrtc", "camera"],
  [8765, "motioneye", "camera"], [6036, "nvr", "camera"], [85, "swann dvr", "camera"],
  [1400, "sonos", "sonos"], [1443, "sonos https", "sonos"], [3400, "sonos", "sonos"], [3401, "sonos", "sonos"],
  [3500, "sonos", "sonos"], [4444, "sonos", "sonos"], [8060, "roku ecp", "tv"], [9080, "roku", "tv"],
  [8002, "samsung tv remote (tls)", "tv"], [55000, "samsung tv remote (legacy)", "tv"], [3000, "lg webos / adguard / grafana / zwave-js", "tv"],
  [3001, "lg webos tls / uptime kuma", "tv"], [9090, "kodi json-rpc / cockpit / prometheus", "tv"], [36866, "lg webos", "tv"],
  [4070, "amazon echo", "amazon"], [55442, "amazon echo", "amazon"], [55443, "amazon echo / yeelight", "amazon"],
  [6053, "esphome", "homeassistant"], [4357, "home assistant supervisor", "homeassistant"], [8581, "homebridge ui", "homeassistant"],
  [51826, "homebridge hap", "homeassistant"], [1880, "node-red", "homeassistant"], [8091, "z-wave js ui", "homeassistant"],
  [8083, "mqtt websockets", "iot"], [8084, "mqtt websockets tls", "iot"], [9001, "mosquitto websockets", "iot"],
  [9999, "tp-link kasa", "iot"], [6668, "tuya", "iot"], [49152, "upnp / wemo", "iot"], [49153, "upnp / wemo", "iot"],
  [49154, "upnp / wemo", "iot"], [39500, "smartthings", "iot"], [6638, "zigbee coordinator (tcp)", "iot"],
  [8888, "http-alt / zigbee gateway", "iot"], [5540, "matter", "iot"],
  [32469, "plex dlna", "plex"], [3005, "plex companion", "plex"], [8324, "plex roku", "plex"], [8096, "jellyfin/emby", "plex"],
  [8920, "jellyfin/emby https", "plex"], [8989, "sonarr", "plex"], [7878, "radarr", "plex"], [8686, "lidarr", "plex"],
  [9696, "prowlarr", "plex"], [9117, "jackett", "plex"], [8085, "sabnzbd / http-alt", "plex"], [9091, "transmission", "plex"],
  [8112, "deluge", "plex"], [6881, "bittorrent", "plex"], [13378, "audiobookshelf", "plex"], [8200, "minidlna", "plex"],
  [8384, "syncthing", "nas"], [22000, "syncthing", "nas"], [9443, "portainer https", "nas"], [8006, "proxmox", "nas"],
  [10000, "webmin", "nas"], [2375, "docker", "nas"], [2376, "docker tls", "nas"], [4711, "pi-hole ftl", "nas"],
  [2283, "immich", "nas"], [2342, "photoprism", "nas"], [8086, "influxdb", "nas"], [9100, "node exporter", "nas"],
  [8090, "http-alt", "nas"], [8880, "unifi http portal", "network"], [8843, "unifi https portal", "network"],
  [6789, "unifi speed test", "network"], [27117, "unifi mongodb", "network"], [8291, "mikrotik winbox", "network"],
  [8728, "mikrotik api", "network"], [8729, "mikrotik api tls", "network"], [2000, "mikrotik bandwidth test", "network"],
  [8043, "omada controller", "network"], [8088, "omada / http-alt", "network"], [29811, "omada", "network"],
  [29812, "omada", "network"], [29813, "omada", "network"], [29814, "omada", "network"], [4567, "router admin (verizon)", "network"],
  [8089, "http-alt", "network"], [1194, "openvpn", "remote"], [2222, "ssh-alt", "remote"],
  [9101, "jetdirect", "printer"], [9102, "jetdirect", "printer"], [9220, "hp web services", "printer"], [3629, "epson", "printer"],
  [54921, "brother scan", "printer"], [990, "ftps (bambu lab)", "printer"], [6000, "bambu lab / x11", "printer"],
  [7125, "moonraker", "printer"],
  [5800, "vnc http", "remote"], [5901, "vnc", "remote"], [5902, "vnc", "remote"], [5903, "vnc", "remote"],
  [5938, "teamviewer", "remote"], [7070, "anydesk", "remote"], [21115, "rustdesk", "remote"], [21116, "rustdesk", "remote"],
  [21117, "rustdesk", "remote"], [21118, "rustdesk", "remote"], [21119, "rustdesk", "remote"], [4000, "nomachine", "remote"],
  [6783, "splashtop", "remote"],
  [5060, "sip", "office"], [5061, "sips", "office"], [5038, "asterisk ami", "office"], [3493, "nut ups", "office"],
  [3052, "apc powerchute", "office"], [6547, "apc powerchute", "office"], [10050, "zabbix agent", "office"],
  [3306, "mysql", "office"], [5432, "postgresql", "office"], [6379, "redis", "office"], [27017, "mongodb", "office"],
  [5984, "couchdb", "office"], [9200, "elasticsearch", "office"], [11211, "memcached", "office"],
  [3074, "xbox live", "games"], [9295, "playstation remote play", "games"], [9296, "playstation remote play", "games"],
  [27036, "steam streaming", "games"], [27037, "steam streaming", "games"], [25565, "minecraft", "games"],
];

function nmapTcpByFrequency(path: string): number[] {
  const rows: [number, number][] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const [, portProto, freq] = line.split("\t");
    const m = /^(\d+)\/tcp$/.exec(portProto ?? "");
    if (m) rows.push([Number(m[1]), Number(freq)]);
  }
  if (rows.length < 1000) throw new Error(`${path}: only ${rows.length} TCP ports`);
  // Highest frequency first; ties by port number so the output is stable.
  rows.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return rows.map(([p]) => p);
}

export function buildHomePorts(servicesPath: string): { ports: [number, string][]; from_curated: number; from_nmap: number } {
  const ranked = new Map<number, string>();
  for (const [port, label, source] of CURATED) {
    if (!(source in SOURCES)) throw new Error(`port ${port}: unknown source ${source}`);
    if (!ranked.has(port)) ranked.set(port, `${label} [${source}]`);
  }
  const fromCurated = ranked.size;
  for (const port of nmapTcpByFrequency(servicesPath)) {
    if (ranked.size >= SIZE) break;
    if (!ranked.has(port)) ranked.set(port, "[nmap]");
  }
  return { ports: [...ranked], from_curated: fromCurated, from_nmap: ranked.size - fromCurated };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const i = args.indexOf("--services");
  const servicesPath = i >= 0 ? args[i + 1] : "/usr/share/nmap/nmap-services";
  const built = buildHomePorts(servicesPath);
  const doc = {
    _format:
      "The home-1000 port set (src/portscan/home-ports.ts): TCP ports ranked most likely open first, as [port, why]. Generated by scripts/port-set-import.ts; do not edit by hand. [key] names the source in _sources.",
    _sources: { ...SOURCES, nmap: `nmap-services open frequencies (Nmap project, ${servicesPath}): nmap's TCP ports most often found open, filling the set after the curated ports` },
    name: "home-1000",
    from_curated: built.from_curated,
    from_nmap: built.from_nmap,
    ports: built.ports,
  };
  const text = JSON.stringify(doc, null, 1).replace(/\[\n\s+(\d+),\n\s+("[^"\n]*")\n\s+\]/g, "[$1, $2]") + "\n";
  const out = new URL("../src/portscan/home-ports.json", import.meta.url).pathname;
  if (args.includes("--check")) {
    const same = readFileSync(out, "utf8") === text;
    console.log(same ? `${out} is up to date` : `${out} differs from what the script builds`);
    process.exit(same ? 0 : 1);
  }
  writeFileSync(out, text);
  console.log(`${built.ports.length} ports (${built.from_curated} curated, ${built.from_nmap} from nmap-services) → ${out}`);
}
