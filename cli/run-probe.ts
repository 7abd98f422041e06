import * as fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CaptureError, CaptureFile } from '../capture/capture-file';
import { PacketPipeline } from '../cache/packet-pipeline';
import { Flow } from '../cache/flow';
import { FlowEndReason } from '../cache/flow-table';
import { flowToRecord } from '../export/flow-record';
import { JsonLinesWriter } from '../export/jsonl-writer';
import { ProgressBar } from './progress';
import { CaptureReplay } from '../capture/replay';
import { startRespServer, RespServer } from '../server';
import { infoProbeLines, statsKeys, ProbeStatus } from '../cache/probe-stats';
import { KnowledgeBuilder } from '../cache/kb-builder';
import { KbApplier } from '../cache/kb-applier';
import type { KnowledgeSink } from '../cache/packet-pipeline';

export interface ProbeConfig {
  pcap: string[];
  respPort: number;
  respBind: string;
  flowsOut?: string;
  idleTimeout: number;
  activeTimeout: number;
  maxFlows: number;
  decap: number;
  tcpCloseLinger: number;
  exitOnEof?: boolean;
  statsOut?: string;
  name: string;
  progress: boolean;
  batch: number;
  realtime?: boolean;
  loop?: boolean;
  flushMs: number;
  hostTtl: number;
  maxHosts: number;
}

/** How often stats.* keys are refreshed in the key space (DESIGN.md's flush interval). */
const STATS_FLUSH_MS = 100;

/** Fast replays flush the knowledge base at most this often (wall clock). */
const MIN_FLUSH_WALL_MS = 20;

/** Updates queued for the store beyond which reading pauses. */
const MAX_PENDING_UPDATES = 50_000;

/** Flows exported per event-loop turn at the end of a capture. */
const FINISH_SLICE_FLOWS = 2000;

/** Longest stretch of packet work before the event loop gets a turn (DESIGN.md: stalls < 50 ms). */
const SLICE_MS = 10;

function warn(message: string): void {
  process.stderr.write(`microcloud: warning: ${message}\n`);
}

/**
 * Runs the probe: opens every capture first (a bad file is a one-line error
 * and exit 2 before any work), then streams them through the pipeline in
 * slices so the event loop stays responsive. Resolves with an exit code, or
 * null when the probe keeps running (serving after the end of the captures).
 */
export async function runProbe(cfg: ProbeConfig): Promise<number | null> {
  if (cfg.pcap.length === 0) {
    process.stderr.write('microcloud: nothing to read: give --pcap FILE (live capture is not available yet)\n');
    return 2;
  }
  const files: CaptureFile[] = [];
  try {
    for (const path of cfg.pcap) files.push(CaptureFile.open(path));
  } catch (err) {
    for (const f of files) f.close();
    process.stderr.write(`microcloud: ${err instanceof CaptureError ? err.message : String(err)}\n`);
    return 2;
  }

  let writer: JsonLinesWriter | null = null;
  if (cfg.flowsOut !== undefined) {
    try {
      writer = new JsonLinesWriter(cfg.flowsOut);
    } catch (err) {
      process.stderr.write(`microcloud: ${cfg.flowsOut}: cannot write (${(err as NodeJS.ErrnoException).code ?? String(err)})\n`);
      return 2;
    }
  }
  const out = writer;
  const exportFlow = (flow: Flow, reason: FlowEndReason): void => {
    if (out !== null) out.write(flowToRecord(flow, reason));
  };
  let server: RespServer | null = null;
  const status: ProbeStatus = { pcapEof: false, files: files.length, damagedFiles: 0 };
  if (cfg.respPort !== 0) {
    try {
      server = await startRespServer({ port: cfg.respPort, bind: cfg.respBind, notifyKeyspaceEvents: 'Ex' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      process.stderr.write(`microcloud: cannot listen on ${cfg.respBind}:${cfg.respPort} (${code ?? (err as Error).message})\n`);
      for (const f of files) f.close();
      out?.close();
      return 2;
    }
  }
  // The knowledge base: the pipeline emits batches, the applier writes them to the store.
  let applier: KbApplier | null = null;
  let knowledge: KnowledgeSink | null = null;
  if (server !== null) {
    const kbApplier = new KbApplier(server.store, server.pubsub, { hostTtlSec: cfg.hostTtl, maxHosts: cfg.maxHosts, flowTtlSec: Math.max(cfg.idleTimeout, cfg.activeTimeout) * 2 + 60 });
    applier = kbApplier;
    knowledge = { builder: new KnowledgeBuilder({ liveFlows: true }), flushIntervalUs: cfg.flushMs * 1000, minFlushWallMs: Math.min(cfg.flushMs, MIN_FLUSH_WALL_MS), emit: (batch) => kbApplier.enqueue(batch) };
  }
  const pipeline = new PacketPipeline({
    idleTimeoutSec: cfg.idleTimeout,
    activeTimeoutSec: cfg.activeTimeout,
    maxFlows: cfg.maxFlows,
    decap: cfg.decap,
    tcpCloseLingerSec: cfg.tcpCloseLinger,
  }, exportFlow, warn, knowledge);

  // How long the event loop was held up: what RESP clients wait at worst.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  server?.setInfoSection('probe', () => [
    ...infoProbeLines(cfg.name, pipeline, status, applier),
    `eventloop_delay_p99_ms:${(loopDelay.percentile(99) / 1e6).toFixed(1)}`,
    `eventloop_delay_max_ms:${(loopDelay.max / 1e6).toFixed(1)}`,
  ]);
  const kb = server?.kb ?? null;
  const publishStats = (): void => {
    if (kb === null) return;
    // Wall-clock flush as well, so a quiet replay or the end of a capture shows up promptly.
    pipeline.flushKnowledge();
    const keys = statsKeys(pipeline, applier);
    for (const key in keys) kb.set(key, keys[key]);
  };
  const statsTimer = kb !== null ? setInterval(publishStats, Math.min(cfg.flushMs, STATS_FLUSH_MS)) : null;
  statsTimer?.unref();

  let stopping = false;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    pipeline.finish();
    out?.close();
    publishStats();
    if (cfg.statsOut !== undefined) writeStats(cfg.statsOut, pipeline, files);
  };
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    replay.stop();
    finish();
    applier?.drain();
    if (statsTimer !== null) clearInterval(statsTimer);
    const done = (): never => process.exit(0);
    if (server !== null) server.close().then(done, done);
    else done();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);

  const replay = new CaptureReplay(files, { realtime: cfg.realtime === true, loop: cfg.loop === true, batch: cfg.batch > 0 ? cfg.batch : 4096, sliceMs: SLICE_MS }, pipeline.onPacket, {
    progress: (bytes, label) => progress.update(bytes, pipeline.stats.packets, label),
    // Backpressure: reading waits while the store has many updates to apply.
    busy: () => applier !== null && applier.pending > MAX_PENDING_UPDATES,
    fileEnd: (file) => {
      if (file.damage === null) return;
      status.damagedFiles++;
      warn(`${file.damage}; the packets before it were kept`);
    },
  });
  const progress = new ProgressBar(replay.totalBytes, cfg.progress && process.stderr.isTTY === true);
  await replay.run();
  if (stopping) return null;
  progress.update(replay.totalBytes, pipeline.stats.packets, 'done', true);
  progress.done();
  // Expire the remaining flows in slices: a large cache must not stall the server.
  while (!stopping && pipeline.finishSome(FINISH_SLICE_FLOWS)) await new Promise((r) => setImmediate(r));
  if (stopping) return null;
  finish();
  // pcap_eof:1 means everything read is in the store.
  while (applier !== null && applier.pending > 0) await new Promise((r) => setImmediate(r));
  publishStats();
  status.pcapEof = true;
  if (cfg.exitOnEof || server === null) {
    if (statsTimer !== null) clearInterval(statsTimer);
    await server?.close();
    process.removeListener('SIGINT', shutdown);
    process.removeListener('SIGTERM', shutdown);
    return 0;
  }
  // Keep serving what was learned until SIGINT/SIGTERM.
  process.stderr.write(`microcloud: end of capture; serving RESP on ${cfg.respBind}:${server.port}\n`);
  return null;
}

function writeStats(path: string, pipeline: PacketPipeline, files: CaptureFile[]): void {
  const s = pipeline.stats;
  const t = pipeline.table;
  const stats = {
    packets: s.packets,
    bytes: s.bytes,
    ipPackets: s.ipPackets,
    nonIp: s.nonIp,
    malformed: s.malformed,
    unsupportedLink: s.unsupportedLink,
    fragments: s.fragments,
    orphanFragments: s.orphanFragments,
    tunnelled: s.tunnelled,
    flowsCreated: t.created,
    flowsExported: t.exported,
    flowsEvicted: t.evicted,
    flowsActive: t.size,
    damagedFiles: files.filter((f) => f.damage !== null).map((f) => f.damage),
  };
  fs.writeFileSync(path, JSON.stringify(stats, null, 2) + '\n');
}
