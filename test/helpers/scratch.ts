// Temporary directories for a test file, removed together when the file's tests are done:
//   const scratch = new Scratch(); afterAll(() => scratch.clear()); const dir = scratch.dir("argus-x-");
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export class Scratch {
  private readonly made: string[] = [];

  dir(prefix: string): string {
    const d = mkdtempSync(join(tmpdir(), prefix));
    this.made.push(d);
    return d;
  }

  clear(): void {
    for (const d of this.made.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}
