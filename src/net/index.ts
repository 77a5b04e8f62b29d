// The network seam: everything that touches raw sockets lives below here.
export { discover, type DiscoverOptions, type DiscoverOutcome } from "./discover.ts";
export { RawSocketPermissionError, degradedNotice, RAW_PRIVILEGE_HELP } from "./errors.ts";
export { listInterfaces, attachedInterface, proposeSubnets, type NetInterface } from "./interfaces.ts";
export { readNeighbours, parseProcNetArp, type Neighbour } from "./neighbours.ts";
export { sweep, planSweep, prepareTargets, SWEEP_DEFAULTS, type SweepOptions, type SweepResult, type SweepProgress, type SweepMethod } from "./sweep.ts";
export {
  TargetError,
  parseCidr,
  validateCidr,
  validateCidrs,
  parseExclusions,
  expandTargets,
  isPrivateCidr,
  isExcludedIp,
  isExcludedMac,
  PRIVATE_RANGES,
  WIDEST_PREFIX,
  MAX_TARGETS,
  type Cidr,
  type Exclusions,
  type TargetPolicy,
} from "./targets.ts";
