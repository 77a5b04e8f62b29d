// The OpenAPI document as the compiled binary carries it. Run from source this is null and
// /openapi.json builds the document from the routes on its first request. scripts/build.ts builds it
// the same way at build time (a throwaway app on a throwaway database, asked for /openapi.json) and
// swaps this module for one that names that file, embedded in the binary: the binary serves the
// file and never runs the generator, whose work left ~4 MiB of memory resident after a single
// request (issue 17; measured with scripts/bench/appliance.sh).
export const prebuiltDocument: string | null = null;
