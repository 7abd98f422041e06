import type { PacketSink } from './capture-file';
import { LiveCapture, LiveStats } from './live-capture';

/** How often time moves on without packets (flow timeouts, knowledge-base flushes on a quiet link). */
const TICK_MS = 100;

export interface LiveInputHooks {
  /** After each batch of packets (the consumer's deferred work). */
  afterBatch(): void;
  /** Wall-clock time, in µs since the epoch, when no packet brought time forward. */
  tick(nowUs: number): void;
}

/**
 * One or more live interfaces feeding one packet sink, until stop(). Packets
 * come as libpcap delivers them (the capture is watched by the event loop);
 * a timer moves time on when the links are quiet.
 */
export class LiveInput {
  private timer: NodeJS.Timeout | null = null;
  private finish: (() => void) | null = null;
  private stopped = false;

  constructor(readonly captures: LiveCapture[], private readonly sink: PacketSink, private readonly hooks: LiveInputHooks) {}

  /** Resolves when stop() is called. */
  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    for (const c of this.captures) c.start(this.sink, this.hooks.afterBatch);
    this.timer = setInterval(() => this.hooks.tick(Date.now() * 1000), TICK_MS);
    return new Promise((resolve) => (this.finish = resolve));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    for (const c of this.captures) c.close();
    this.finish?.();
  }

  /** libpcap's counts, summed over the interfaces. */
  stats(): LiveStats {
    const sum: LiveStats = { received: 0, dropped: 0, ifDropped: 0 };
    for (const c of this.captures) {
      const s = c.stats();
      sum.received += s.received;
      sum.dropped += s.dropped;
      sum.ifDropped += s.ifDropped;
    }
    return sum;
  }
}
