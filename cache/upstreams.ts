import type { KbOp } from './kb-updates';
import { UpstreamLink, UpstreamOptions } from './upstream-link';

/** What INFO probe shows about replication. */
export interface UpstreamStatus {
  upstreams: number;
  connected: number;
  pending: number;
  dropped: number;
  batches: number;
  commands: number;
  rejected: number;
}

/** Every configured upstream: each gets the whole update stream on its own channel. */
export class Upstreams {
  readonly links: UpstreamLink[];

  constructor(urls: readonly string[], opts: Omit<UpstreamOptions, 'url'>) {
    this.links = urls.map((url) => new UpstreamLink({ ...opts, url }));
  }

  get size(): number {
    return this.links.length;
  }

  send(ops: readonly KbOp[]): void {
    for (const l of this.links) l.send(ops);
  }

  status(): UpstreamStatus {
    const s: UpstreamStatus = { upstreams: this.links.length, connected: 0, pending: 0, dropped: 0, batches: 0, commands: 0, rejected: 0 };
    for (const l of this.links) {
      if (l.connected) s.connected++;
      s.pending += l.pending;
      s.dropped += l.dropped;
      s.batches += l.batchesSent;
      s.commands += l.commandsSent;
      s.rejected += l.rejected;
    }
    return s;
  }

  /** Waits (bounded) until every upstream has everything; false if some did not. */
  async drain(timeoutMs: number): Promise<boolean> {
    const results = await Promise.all(this.links.map((l) => l.drain(timeoutMs)));
    return results.every(Boolean);
  }

  async close(): Promise<void> {
    await Promise.all(this.links.map((l) => l.close()));
  }
}
