import type { FlowRecord } from './flow-record';
import { FlowMessageEncoder, ExporterStats } from './flow-message-encoder';
import type { ExportFormat } from './templates';
import type { CollectorAddress } from './collector-address';
import type { CollectorTransport, TransportEvents } from './collector-transport';
import { UdpCollector } from './udp-collector';
import { TcpCollector } from './tcp-collector';

export interface FlowExportOptions {
  format: ExportFormat;
  collectors: CollectorAddress[];
  /** v9 source id / IPFIX observation domain id. */
  domainId: number;
  /** Path MTU to the collectors: messages are packed up to it. */
  mtu: number;
  /** UDP: a template goes again before its next use after this many messages... */
  templateRefreshPackets: number;
  /** ...or this many seconds, whichever comes first (also the period of the statistics record). */
  templateRefreshSec: number;
  /** Records held while a TCP collector is away; past it they are counted lost. */
  queueRecords: number;
}

/** An open message is sent after at most this long, so a quiet link still delivers promptly. */
const IDLE_FLUSH_MS = 1000;

/** Totals over every collector (INFO probe, stats.*). */
export interface ExportTotals {
  messages: number;
  records: number;
  recordsLost: number;
}

/**
 * Exports flow records to one collector: the encoder (templates, sets,
 * sequence numbers) over a transport (UDP or TCP), with template refresh by
 * messages and by time, records held while a TCP collector is away, and the
 * exporter statistics the options record reports.
 */
export class CollectorExporter {
  readonly stats: ExporterStats = { messages: 0, records: 0, recordsLost: 0 };
  private readonly encoder: FlowMessageEncoder;
  private readonly transport: CollectorTransport;
  private statsSentAt = 0;
  private held: FlowRecord[] = [];
  private readonly udp: boolean;

  constructor(private readonly opt: FlowExportOptions, readonly address: CollectorAddress, warn: (message: string) => void) {
    this.udp = address.transport === 'udp';
    const events: TransportEvents = {
      sessionStart: () => this.sessionStart(),
      lost: (records) => {
        this.stats.recordsLost += records;
      },
      refused: () => this.encoder.forgetTemplates(),
      warn,
    };
    this.transport = this.udp ? new UdpCollector(address, events) : new TcpCollector(address, events);
    this.encoder = new FlowMessageEncoder({
      format: opt.format,
      domainId: opt.domainId,
      targetBytes: this.transport.payloadBytes(opt.mtu),
      // A TCP session keeps its templates (RFC 7011 8.1): they go once per connection.
      refreshMessages: this.udp ? opt.templateRefreshPackets : Infinity,
      refreshMs: this.udp ? opt.templateRefreshSec * 1000 : Infinity,
      now: Date.now,
      emit: (message, records) => this.send(message, records),
      stats: () => this.stats,
    });
  }

  write(r: FlowRecord): void {
    if (!this.transport.ready) {
      if (this.held.length < this.opt.queueRecords) this.held.push(r);
      else this.stats.recordsLost += this.recordsOf(r);
      return;
    }
    this.encoder.add(r);
  }

  /** Time-driven duties: the exporter statistics record every refresh interval, and the idle flush. */
  tick(now: number): void {
    if (!this.transport.ready) return;
    if (now - this.statsSentAt >= this.opt.templateRefreshSec * 1000) this.writeStats(now);
    this.encoder.flush();
  }

  /** Flushes, waits (until `deadline`) for held records to go out, closes. Whatever is still held is counted lost. */
  async close(deadline: number): Promise<void> {
    while (this.held.length > 0 && !this.transport.ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (this.transport.ready) {
      this.drainHeld();
      this.encoder.flush();
      // The last statistics record tells the collector the final counts.
      this.writeStats(Date.now());
      this.encoder.flush();
    }
    for (const r of this.held) this.stats.recordsLost += this.recordsOf(r);
    this.held = [];
    await this.transport.close(deadline);
  }

  /** Data records a flow record becomes (v9: one per direction that has packets). */
  private recordsOf(r: FlowRecord): number {
    return this.opt.format === 'v9' && r.reversePacketDeltaCount > 0 ? 2 : 1;
  }

  private writeStats(now: number): void {
    this.statsSentAt = now;
    this.encoder.writeStats();
  }

  private sessionStart(): void {
    // UDP: one session for the socket's life. TCP: every connection is a new one (RFC 7011 10.4.2).
    if (!this.udp) this.encoder.resetSession();
    this.writeStats(Date.now());
    this.drainHeld();
  }

  private drainHeld(): void {
    const held = this.held;
    this.held = [];
    for (const r of held) this.write(r);
  }

  private send(message: Buffer, records: number): void {
    this.stats.messages++;
    this.stats.records += records;
    this.transport.send(message, records);
  }
}

/** Every configured collector, fed the same records. */
export class FlowExporter {
  readonly collectors: CollectorExporter[];
  private timer: NodeJS.Timeout | null = null;

  constructor(opt: FlowExportOptions, warn: (message: string) => void) {
    this.collectors = opt.collectors.map((c) => new CollectorExporter(opt, c, warn));
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const c of this.collectors) c.tick(now);
    }, IDLE_FLUSH_MS);
    this.timer.unref();
  }

  write(r: FlowRecord): void {
    for (const c of this.collectors) c.write(r);
  }

  totals(): ExportTotals {
    const t: ExportTotals = { messages: 0, records: 0, recordsLost: 0 };
    for (const c of this.collectors) {
      t.messages += c.stats.messages;
      t.records += c.stats.records;
      t.recordsLost += c.stats.recordsLost;
    }
    return t;
  }

  async close(deadline: number): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await Promise.all(this.collectors.map((c) => c.close(deadline)));
  }
}
