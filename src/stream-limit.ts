// Reading a request body with a byte limit. A chunked body announces no length, so the limit is
// counted as it arrives; past it the stream is cancelled and nothing more is read.

/** Hands each chunk of `stream` to `onChunk` until its end; throws `tooLarge()` past `maxBytes`. Returns the size. */
export async function eachChunkWithin(stream: ReadableStream<Uint8Array>, maxBytes: number, tooLarge: () => Error, onChunk: (chunk: Uint8Array) => void): Promise<number> {
  const reader = stream.getReader();
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return size;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    onChunk(value);
  }
}
