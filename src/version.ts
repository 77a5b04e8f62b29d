// The version comes from package.json so the binary and `npm version` never disagree.
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
