// Request bodies: read with a byte limit (413 also for chunked bodies that announce no length),
// then parsed as JSON. Malformed JSON is a 400 with a clear detail; a body of another type is a 415
// (the UI sends JSON, also for login and setup; only POST /api/restore takes octet-stream).
import { Elysia } from "elysia";
import { eachChunkWithin } from "../stream-limit.ts";
import { HttpError } from "./errors.ts";

async function readLimited(request: Request, maxBytes: number): Promise<string> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  await eachChunkWithin(request.body, maxBytes, () => tooLarge(maxBytes), (c) => chunks.push(c));
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * No request of this API nests deeper than a few levels. A megabyte of "[[[[…" parses, but every
 * later walk over it (validation, error reporting) recurses and overflows the stack.
 */
export const MAX_JSON_DEPTH = 32;

/** The deepest nesting of arrays and objects in a JSON text, counted outside strings; linear, no recursion. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

const tooLarge = (maxBytes: number) => new HttpError(413, `Request body too large: the limit is ${maxBytes} bytes`);

/** A request body left unread for its route to stream (a database upload is far beyond the JSON limit). */
export class RawBody {
  constructor(readonly stream: ReadableStream<Uint8Array> | null) {}
}

/** Routes that take `application/octet-stream` and read it themselves, with their own limit. */
const RAW_BODY_ROUTES = new Set(["POST /api/restore"]);

export function bodyParsing(maxBytes: number) {
  return new Elysia({ name: "argus.body" }).onParse({ as: "global" }, async ({ request, contentType, path }) => {
    const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
    const raw = RAW_BODY_ROUTES.has(`${request.method} ${path}`);
    if (raw && type === "application/octet-stream") return new RawBody(request.body);
    // A file sent as JSON (or any other named type) to a route that takes only the file: the type is
    // what is wrong, whether or not the body would parse (it was a 400 "expected valid JSON").
    if (raw && type !== "") throw new HttpError(415, "Content-Type must be application/octet-stream");
    const text = await readLimited(request, maxBytes);
    if (type === "application/json" || type.endsWith("+json")) {
      if (text.trim() === "") throw new HttpError(400, "Malformed request body: expected JSON, got an empty body");
      if (nestingDepth(text) > MAX_JSON_DEPTH) throw new HttpError(400, `Malformed request body: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
      try {
        return JSON.parse(text);
      } catch {
        throw new HttpError(400, "Malformed request body: expected valid JSON");
      }
    }
    // A body in any other type (text, a form: what `curl -d` sends without -H) would reach the
    // route's validation as a string or flat strings and come back as a 422 about fields the caller
    // did send: the type is what is wrong. Without a body (POST /wake, /logout) the type is moot.
    if (text === "") return undefined;
    throw new HttpError(415, raw ? "Content-Type must be application/octet-stream" : UNSUPPORTED_BODY);
  });
}

export const UNSUPPORTED_BODY = "Content-Type must be application/json";
