// The bun:ffi binding of the native core (native/argus.h), in four parts: the loader with its ABI
// and layout check (native-loader.ts), the decoders and sweep engine (native-sweep.ts), the passive
// listener and kernel events (native-listener.ts), the departure prober (native-probe.ts). Nothing outside src/net/ should import the sweep
// binding; use sweep.ts instead.
export { DecodeStatus, Errno, errnoName, FrameFlag, flagNames, formatMac, nativeLibraryPath, type DecodeStatusName, type FrameFlagName } from "./native-loader.ts";
export * from "./native-sweep.ts";
export * from "./native-listener.ts";
export * from "./native-probe.ts";
