// Named port sets a port spec may use by name, e.g. "home-1000" or "home-1000,9999".
//
//   PORT_SETS: ReadonlyMap<string, readonly number[]>   name → ports, ranked (most likely open first)
//   HOME_PORT_SET: "home-1000"                           the normal profile's default
//
// home-1000 (home-ports.json, built by scripts/port-set-import.ts) holds the ports home and small-office
// devices are documented to serve (NAS, cameras, media servers, smart-home hubs, printers, routers,
// TVs and speakers) and nmap's most frequently open TCP ports, so a `normal` scan finds what nmap's
// default scan finds plus what homes run above port 1000 (8123, 32400, 62078, ...).
import homePorts from "./home-ports.json" with { type: "json" };

export const HOME_PORT_SET = homePorts.name;

export const PORT_SETS: ReadonlyMap<string, readonly number[]> = new Map([[homePorts.name, homePorts.ports.map(([port]) => port as number)]]);
