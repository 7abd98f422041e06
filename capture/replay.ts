import { CaptureFile, PacketSink } from './capture-file';

export interface ReplayOptions {
  /** Pace packets by their timestamps instead of reading as fast as possible. */
  realtime: boolean;
  /** Start over after the last file, forever, with time moving on. */
  loop: boolean;
  /** Packets per read call when not pacing. */
  batch: number;
  /** Longest stretch of work before the event loop gets a turn. */
  sliceMs: number;
}

export interface ReplayHooks {
  progress(bytesRead: number, label: string): void;
  /** True while the consumer is behind: reading pauses for a turn. */
  busy?(): boolean;
  /** Called at the start of every slice of reading (deferred work of the consumer). */
  sliceStart?(): void;
  /** True when the consumer wants the current slice to end now (it has deferred work due). */
  yieldNow?(): boolean;
  /** A file ended; `damage` says why it ended early, if it did. */
  fileEnd(file: CaptureFile): void;
}

/**
 * Feeds one or more capture files, in order, to a packet sink without
 * blocking the event loop: work is cut into slices of at most `sliceMs`.
 * With `realtime`, packets are released when their timestamp comes due; with
 * `loop`, the files start over and timestamps are shifted so time keeps
 * moving forward (flows, timeouts and counters behave as on a live link).
 */
export class CaptureReplay {
  private stopped = false;
  private offsetUs = 0;
  private firstTsUs = -1;
  private lastTsUs = 0;
  private wallStartMs = 0;
  private doneBytes = 0;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  // a packet read ahead of its time in realtime mode, held until due
  private held = Buffer.alloc(0);
  private heldLen = 0;
  private heldWire = 0;
  private heldTs = 0;
  private heldLink = 0;
  private holding = false;

  constructor(private files: CaptureFile[], private readonly opts: ReplayOptions, private readonly sink: PacketSink, private readonly hooks: ReplayHooks) {}

  get totalBytes(): number {
    return this.files.reduce((sum, f) => sum + f.size, 0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Resolves when every file is read (never, with loop, until stop()). */
  async run(): Promise<void> {
    for (;;) {
      for (const file of this.files) {
        await this.readFile(file);
        this.doneBytes += file.size;
        file.close();
        this.hooks.fileEnd(file);
        if (this.stopped) return;
      }
      if (!this.opts.loop || this.stopped) return;
      // Next round: shift time past the last packet so nothing goes backwards.
      // (the first round ran unshifted, so firstTsUs is the files' own first timestamp)
      this.offsetUs = this.lastTsUs + 1e6 - this.firstTsUs;
      this.files = this.files.map((f) => CaptureFile.open(f.path));
      this.doneBytes = 0;
    }
  }

  private readonly deliver: PacketSink = (buf, off, capLen, wireLen, tsMicros, linkType) => {
    const ts = tsMicros + this.offsetUs;
    if (this.firstTsUs < 0) {
      this.firstTsUs = ts;
      this.wallStartMs = Date.now();
    }
    if (ts > this.lastTsUs) this.lastTsUs = ts;
    if (this.opts.realtime && this.dueInMs(ts) > 0) {
      // Too early: keep a copy (the read buffer moves on) and wait for its time.
      if (this.held.length < capLen) this.held = Buffer.alloc(Math.max(capLen, 65536));
      buf.copy(this.held, 0, off, off + capLen);
      this.heldLen = capLen;
      this.heldWire = wireLen;
      this.heldTs = ts;
      this.heldLink = linkType;
      this.holding = true;
      return;
    }
    this.sink(buf, off, capLen, wireLen, ts, linkType);
  };

  private dueInMs(ts: number): number {
    return this.wallStartMs + (ts - this.firstTsUs) / 1000 - Date.now();
  }

  private readFile(file: CaptureFile): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      const slice = (): void => {
        this.timer = null;
        if (this.stopped) return resolve();
        if (this.hooks.busy?.()) {
          setImmediate(slice);
          return;
        }
        if (this.holding) {
          const wait = this.dueInMs(this.heldTs);
          if (wait > 0) {
            this.timer = setTimeout(slice, Math.min(wait, 1000));
            return;
          }
          this.holding = false;
          this.sink(this.held, 0, this.heldLen, this.heldWire, this.heldTs, this.heldLink);
        }
        const started = Date.now();
        this.hooks.sliceStart?.();
        const perRead = this.opts.realtime ? 1 : this.opts.batch;
        const yieldNow = this.hooks.yieldNow;
        let more = true;
        try {
          while (more && !this.holding && Date.now() - started < this.opts.sliceMs && (yieldNow === undefined || !yieldNow())) more = file.read(perRead, this.deliver);
        } catch (err) {
          // The pipeline never throws on traffic; an I/O error ends this file only.
          file.damage = `${file.path}: read error (${(err as Error).message})`;
          more = false;
        }
        this.hooks.progress(this.doneBytes + file.position, file.path);
        if (this.holding) {
          this.timer = setTimeout(slice, Math.max(0, Math.min(this.dueInMs(this.heldTs), 1000)));
        } else if (more) {
          setImmediate(slice);
        } else {
          this.wake = null;
          resolve();
        }
      };
      slice();
    });
  }
}
