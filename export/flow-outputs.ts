import { Counter } from '../cache/pipeline-counters';
import type { FlowRecord } from './flow-record';
import { FlowExporter, FlowExportOptions } from './flow-exporter';
import { JsonLinesWriter } from './jsonl-writer';

/** At the end, how long collectors may take to get the last messages (a TCP collector may be reconnecting). */
const EXPORT_DRAIN_MS = 5000;

/**
 * Where finished flow records go: the JSON-lines file (--flows-out) and the
 * NetFlow v9 / IPFIX collectors, each record to all of them alike. One
 * pipeline owns one; with several workers, the main thread owns the one.
 */
export class FlowOutputs {
  private readonly writer: JsonLinesWriter | null;
  private readonly exporter: FlowExporter | null;

  constructor(flowsOut: string | null, flowExport: FlowExportOptions | null, warn: (message: string) => void) {
    this.writer = flowsOut !== null ? new JsonLinesWriter(flowsOut) : null;
    this.exporter = flowExport !== null ? new FlowExporter(flowExport, warn) : null;
  }

  /** False when records go nowhere (no file, no collector): then none need be built. */
  get active(): boolean {
    return this.writer !== null || this.exporter !== null;
  }

  write(record: FlowRecord): void {
    this.writer?.write(record);
    this.exporter?.write(record);
  }

  /** The exporter's totals into the probe's counters (INFO probe export_*, stats.export.*). */
  publish(counters: Float64Array): void {
    if (this.exporter === null) return;
    const t = this.exporter.totals();
    counters[Counter.ExportMessages] = t.messages;
    counters[Counter.ExportRecords] = t.records;
    counters[Counter.ExportRecordsLost] = t.recordsLost;
  }

  closeFile(): void {
    this.writer?.close();
  }

  /** The collectors get the last messages (one that is away is waited for, bounded), then the sockets close. */
  async closeExport(): Promise<void> {
    await this.exporter?.close(Date.now() + EXPORT_DRAIN_MS);
  }
}
