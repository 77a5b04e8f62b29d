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

  test("a field moved on one side only is refused by name", () => {
    const moved = new Map(nativeLayout());
    moved.set("sighting.eth_src", 460);
    moved.delete("sweep_result.dups");
    expect(layoutMismatches(moved)).toEqual(["sweep_result.dups: missing, expected 18", "sighting.eth_src: 460, expected 456"]);
  });
});
