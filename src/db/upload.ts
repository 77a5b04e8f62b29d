// Receives an uploaded file into the data directory with a size limit, without holding it in memory.
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { eachChunkWithin } from "../stream-limit.ts";
import { RestoreError } from "./restore-error.ts";

/** Writes the stream to a new temporary file (mode 0600) beside the database; returns its path. */
export async function receiveUpload(stream: ReadableStream<Uint8Array> | null, dataDir: string, maxBytes: number, declared: string | null): Promise<string> {
  const tooLarge = () => new RestoreError(413, `The file is larger than the restore limit of ${maxBytes} bytes`);
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge();
  if (!stream) throw new RestoreError(400, "The request body is empty: send the backup file as application/octet-stream");
  const path = join(dataDir, `.restore-${process.pid}-${crypto.randomUUID()}.db`);
  const fd = openSync(path, "wx", 0o600);
  try {
    const size = await eachChunkWithin(stream, maxBytes, tooLarge, (chunk) => void writeSync(fd, chunk));
    if (size === 0) throw new RestoreError(400, "The request body is empty: send the backup file as application/octet-stream");
  } catch (e) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw e;
  }
  closeSync(fd);
  return path;
}
