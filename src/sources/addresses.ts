// Address checks for what sources report (untrusted text from another system).
import { isIPv6 } from "node:net";
import { parseIpv4 } from "../net/ip.ts";

/** A dotted-quad IPv4 address, strictly (no leading zeros, no surrounding text). */
export const isIpv4 = (s: string): boolean => parseIpv4(s) !== null;

/** An IPv6 address in any valid text form (no zone, no brackets). */
export const isIpv6 = (s: string): boolean => s.length <= 45 && !s.includes("%") && isIPv6(s);
