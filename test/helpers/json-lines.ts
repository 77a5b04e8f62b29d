// JSON lines from a spawned helper process's stdout (receivers, MQTT watchers), collected as they come.

export class JsonLines<T = any> {
  readonly items: T[] = [];
  constructor(readonly proc: ReturnType<typeof Bun.spawn>) {
    void (async () => {
      let buf = "";
      const decoder = new TextDecoder();
      for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
        buf += decoder.decode(chunk);
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          try {
            this.items.push(JSON.parse(line));
          } catch {}
        }
      }
    })();
  }

  /** The items once `pred` holds for them; throws after `ms`, naming `what` and what arrived. */
  async until(what: string, pred: (items: T[]) => boolean, ms = 20_000): Promise<T[]> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (pred(this.items)) return this.items;
      await Bun.sleep(50);
    }
    throw new Error(`timed out waiting for ${what}; have ${JSON.stringify(this.items).slice(0, 2000)}`);
  }

  stop(): void {
    this.proc.kill("SIGTERM");
  }
}
