// The FFI reads records at fixed offsets: the loader compares them with the layout the C compiler
// produced (native/layout.c) and refuses a library that differs, naming the field.
import { describe, expect, test } from "bun:test";
import { LAYOUT, layoutMismatches, nativeLayout } from "../../src/net/native-loader.ts";

describe("native record layout", () => {
  test("every size and offset the bindings read at is the one the C side was compiled with", () => {
    const compiled = nativeLayout();
    expect(layoutMismatches(compiled)).toEqual([]);
    // Nothing the C side reports is left unchecked.
    expect([...compiled.keys()].sort()).toEqual(Object.keys(LAYOUT).sort());
  });

  test("the IPv6 prober's answer (ABI 8) is read at the compiled offsets: 32 bytes, the address first, the sender's MAC at 16", () => {
    const compiled = nativeLayout();
    for (const k of ["nd6_reply", "nd6_reply.ip6", "nd6_reply.mac", "nd6_reply.type", "nd6_reply.nd_flags", "nd6_reply.flags"] as const) expect(compiled.get(k)).toBe(LAYOUT[k]);
    expect([LAYOUT.nd6_reply, LAYOUT["nd6_reply.ip6"], LAYOUT["nd6_reply.mac"]]).toEqual([32, 0, 16]);
  });

  test("a field moved on one side only is refused by name", () => {
    const moved = new Map(nativeLayout());
    moved.set("sighting.eth_src", 460);
    moved.delete("sweep_result.dups");
    expect(layoutMismatches(moved)).toEqual(["sweep_result.dups: missing, expected 18", "sighting.eth_src: 460, expected 456"]);
  });
});
