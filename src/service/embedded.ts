// What the compiled binary carries inside itself. Run from source, nothing: the native core is
// found in native/build/ and the process is `bun src/main.ts`. `scripts/build.ts` replaces this
// module while compiling, with one that imports native/build/libargus-<arch>.so as an embedded
// file (for the target architecture, not the build machine's) and sets `compiledBinary`.

/** Path of the native scanning core inside the binary (`/$bunfs/...`; bun:ffi can dlopen it), or null from source. */
export const embeddedNativeLibrary: string | null = null;

/** True inside the `bun build --compile` binary. */
export const compiledBinary: boolean = false;
