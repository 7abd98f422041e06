import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CaptureError, CaptureFile } from '../capture/capture-file';
import { LiveCapture, LiveCaptureError, LiveOptions } from '../capture/live-capture';
import { ProgressBar } from './progress';
import { startRespServer, RespServer } from '../server';
import { infoProbeLines, statsKeys, ProbeStatus } from '../cache/probe-stats';
import { KbApplier } from '../cache/kb-applier';
import { PipelineJob, PipelineJobConfig } from '../cache/pipeline-job';
import { PipelineThread } from '../cache/pipeline-thread';
import { PipelinePool } from '../cache/pipeline-pool';
import { Counter, newCounterArray } from '../cache/pipeline-counters';
import type { KbBatch } from '../cache/kb-updates';
import { Upstreams } from '../cache/upstreams';
import { redisOptionsFromUrl } from '../cache/upstream-link';
import { opsFromCommand } from '../cache/command-ops';
import { CloudLookup } from '../cache/cloud-lookup';
import type { RemoteUser } from '../dissectors/subscriber-directory';
import { FsyncPolicy, PersistentLogError } from '../cache/persistent-log';
import type { KbOp } from '../cache/kb-updates';
import { DataDir } from './data-dir';
import { fromBytes } from '../server';
import type { FlowExportOptions } from '../export/flow-exporter';
import { parseCollectorAddress } from '../export/collector-address';

export interface ProbeConfig {
  pcap: string[];
  /** Live capture: interfaces, BPF filter, snaplen, promiscuous mode, libpcap buffer (MB). */
  interface: string[];
  bpf?: string;
  snaplen: number;
  promisc: boolean;
  pcapBuffer: number;
  respPort: number;
  respBind: string;
  requirepass?: string;
  aclFile?: string;
  flowsOut?: string;
  /** NetFlow v9 / IPFIX export to the collectors. */
  netflow?: 'v9' | 'ipfix';
  collector: string[];
  templateRefresh: number;
  templateRefreshPackets: number;
  observationDomain: number;
  exportMtu: number;
  exportQueue: number;
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
  /** Mobile subscribers are named by IMSI or MSISDN. */
  userId: 'imsi' | 'msisdn';
  /** One record per DNS transaction. */
  dnsSubflows?: boolean;
  /** 0: the packet pipeline runs on the main thread; N: in N worker_threads sharing the traffic. */
  workers: number;
  upstream: string[];
  upstreamCluster?: boolean;
  upstreamQueue: number;
  /** Persistent keys survive restarts here (append-only log). */
  dataDir?: string;
  appendfsync: FsyncPolicy;
}


/** How often stats.* keys are refreshed in the key space (DESIGN.md's flush interval). */
const STATS_FLUSH_MS = 100;

/** Fast replays flush the knowledge base at most this often (wall clock). */
const MIN_FLUSH_WALL_MS = 20;

/** Updates queued for the store beyond which reading pauses (main-thread pipeline). */
const MAX_PENDING_UPDATES = 50_000;

/** Longest stretch of packet work before the event loop gets a turn (DESIGN.md: stalls < 50 ms). */
const SLICE_MS = 10;

/** How long a stopping worker may take to export its flows before it is terminated. */
const WORKER_STOP_GRACE_MS = 10_000;

/** How often held updates go to the upstreams. */
const UPSTREAM_FLUSH_MS = 20;
/** At the end (--exit-on-eof, SIGINT/SIGTERM), how long the upstreams may take to receive what is queued. */
const UPSTREAM_DRAIN_MS = 10_000;

function warn(message: string): void {
  process.stderr.write(`microcloud: warning: ${message}\n`);
}

/** What to read: files or interfaces, not both; the live-only options only with interfaces. */
function inputUsageError(cfg: ProbeConfig): string | null {
  if (cfg.pcap.length === 0 && cfg.interface.length === 0) return 'nothing to read: give --pcap FILE or --interface IF';
  if (cfg.pcap.length > 0 && cfg.interface.length > 0) return '--pcap and --interface cannot be combined: run one probe per source';
  if (cfg.interface.length === 0 && cfg.bpf !== undefined) return '--bpf applies to live capture (--interface)';
  if (cfg.interface.length > 0 && (cfg.realtime === true || cfg.loop === true)) return '--realtime and --loop apply to --pcap replays';
  return null;
}

/** --netflow and --collector, checked: an error names what is wrong. */
function flowExportOptions(cfg: ProbeConfig): FlowExportOptions | null {
  if (cfg.netflow === undefined) {
    if (cfg.collector.length > 0) throw new Error('--collector needs --netflow v9 or --netflow ipfix');
    return null;
  }
  if (cfg.collector.length === 0) throw new Error(`--netflow ${cfg.netflow} needs at least one --collector HOST:PORT`);
  const collectors = cfg.collector.map(parseCollectorAddress);
  for (const c of collectors) {
    if (c.transport === 'tcp' && cfg.netflow === 'v9') throw new Error(`collector "${c.text}": NetFlow v9 is exported over UDP only (IPFIX also over TCP)`);
  }
  return {
    format: cfg.netflow,
    collectors,
    domainId: cfg.observationDomain,
    mtu: cfg.exportMtu,
    templateRefreshPackets: cfg.templateRefreshPackets,
    templateRefreshSec: cfg.templateRefresh,
    queueRecords: cfg.exportQueue,
  };
}

/** The pipeline wherever it runs: the main thread or a worker. */
interface PipelineHandle {
  readonly counters: Float64Array;
  /** Resolves once the job ended and its flows are exported: true at end of capture, false when stopped. */
  readonly done: Promise<boolean>;
  stop(): void;
  answer(query: string, user: RemoteUser | null): void;
  remoteEvent(event: string, user: RemoteUser): void;
}

/** Questions to the cloud in flight at once. */
const CLOUD_MAX_IN_FLIGHT = 256;

/**
 * Runs the probe: opens every capture first (a bad file is a one-line error
 * and exit 2 before any work), then streams them through the pipeline in
 * slices so the event loop stays responsive. Resolves with an exit code, or
 * null when the probe keeps running (serving after the end of the captures).
 */
export async function runProbe(cfg: ProbeConfig): Promise<number | null> {
  const usage = inputUsageError(cfg);
  if (usage !== null) {
    process.stderr.write(`microcloud: ${usage}\n`);
    return 2;
  }
  const liveOptions: LiveOptions = { snaplen: cfg.snaplen, promisc: cfg.promisc, bufferBytes: Math.min(cfg.pcapBuffer, 2047) * 1048576, filter: cfg.bpf ?? '' };
  const captures: LiveCapture[] = [];
  try {
    for (const name of cfg.interface) captures.push(LiveCapture.open(name, liveOptions));
  } catch (err) {
    for (const c of captures) c.close();
    process.stderr.write(`microcloud: ${err instanceof LiveCaptureError ? err.message : String(err)}\n`);
    return 2;
  }
  const files: CaptureFile[] = [];
  try {
    for (const p of cfg.pcap) files.push(CaptureFile.open(p));
  } catch (err) {
    for (const f of files) f.close();
    process.stderr.write(`microcloud: ${err instanceof CaptureError ? err.message : String(err)}\n`);
    return 2;
  }
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  for (const url of cfg.upstream) {
    try {
      redisOptionsFromUrl(url);
    } catch (err) {
      for (const f of files) f.close();
      process.stderr.write(`microcloud: ${(err as Error).message}\n`);
      return 2;
    }
  }
  let flowExport: FlowExportOptions | null;
  try {
    flowExport = flowExportOptions(cfg);
  } catch (err) {
    for (const f of files) f.close();
    process.stderr.write(`microcloud: ${(err as Error).message}\n`);
    return 2;
  }
  if (cfg.flowsOut !== undefined) {
    // Checked here so a bad path is a one-line error before any work, wherever the pipeline runs.
    try {
      fs.closeSync(fs.openSync(cfg.flowsOut, 'w'));
    } catch (err) {
      for (const f of files) f.close();
      process.stderr.write(`microcloud: ${cfg.flowsOut}: cannot write (${(err as NodeJS.ErrnoException).code ?? String(err)})\n`);
      return 2;
    }
  }

  let server: RespServer | null = null;
  const status: ProbeStatus = { pcapEof: false, files: files.length, damagedFiles: 0, pipelineThread: cfg.workers > 0 ? 'worker' : 'main' };
  const damage: string[] = [];
  if (cfg.respPort !== 0) {
    try {
      server = await startRespServer({ port: cfg.respPort, bind: cfg.respBind, notifyKeyspaceEvents: 'Ex', requirepass: cfg.requirepass, aclFile: cfg.aclFile });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      process.stderr.write(code !== undefined
        ? `microcloud: cannot listen on ${cfg.respBind}:${cfg.respPort} (${code})\n`
        : `microcloud: ${(err as Error).message.split('\n')[0]}\n`);
      for (const f of files) f.close();
      return 2;
    }
  }
  // Persistence: the log replayed into the store, its subscribers handed to the pipeline.
  let applier: KbApplier | null = null;
  let dataDir: DataDir | null = null;
  if (cfg.dataDir !== undefined) {
    try {
      dataDir = DataDir.open(cfg.dataDir, cfg.appendfsync, server?.store ?? null, warn, () => applier === null || applier.pending === 0);
    } catch (err) {
      for (const f of files) f.close();
      await server?.close();
      process.stderr.write(`microcloud: ${err instanceof PersistentLogError ? err.message : `--data-dir ${cfg.dataDir}: ${(err as Error).message}`}\n`);
      return 2;
    }
  }
  const persist = (ops: readonly KbOp[]): void => dataDir?.persist(ops);

  const jobConfig: PipelineJobConfig = {
    restore: dataDir?.restore ?? [],
    pcap: cfg.pcap,
    live: captures.length > 0 ? { interfaces: cfg.interface, options: liveOptions } : null,
    pipeline: {
      idleTimeoutSec: cfg.idleTimeout,
      activeTimeoutSec: cfg.activeTimeout,
      maxFlows: cfg.maxFlows,
      decap: cfg.decap,
      tcpCloseLingerSec: cfg.tcpCloseLinger,
      probeName: cfg.name,
      userId: cfg.userId,
      dnsSubflows: cfg.dnsSubflows === true,
    },
    realtime: cfg.realtime === true,
    loop: cfg.loop === true,
    batch: cfg.batch,
    sliceMs: SLICE_MS,
    flowsOut: cfg.flowsOut ?? null,
    flowExport,
    knowledge: server === null && cfg.upstream.length === 0 ? null : { flushIntervalUs: cfg.flushMs * 1000, minFlushWallMs: Math.min(cfg.flushMs, MIN_FLUSH_WALL_MS), wallFlushMs: Math.min(cfg.flushMs, STATS_FLUSH_MS) },
  };
  const fileDamaged = (message: string): void => {
    status.damagedFiles++;
    damage.push(message);
    warn(`${message}; the packets before it were kept`);
  };

  // The knowledge base: the pipeline emits batches, the applier writes them to the store.
  // Workers learn how far the store got with their batches (flow control).
  let thread: { applied(n: number): void; terminate(): Promise<unknown> } | null = null;
  applier = server === null ? null : new KbApplier(server.store, server.pubsub, {
    hostTtlSec: cfg.hostTtl,
    maxHosts: cfg.maxHosts,
    flowTtlSec: Math.max(cfg.idleTimeout, cfg.activeTimeout) * 2 + 60,
    onApplied: (n) => thread?.applied(n),
  });
  const upstreams = cfg.upstream.length === 0 ? null : new Upstreams(cfg.upstream, {
    cluster: cfg.upstreamCluster === true,
    probe: cfg.name,
    hostTtlSec: cfg.hostTtl,
    maxQueue: cfg.upstreamQueue,
    flushMs: UPSTREAM_FLUSH_MS,
    log: warn,
  });
  if (upstreams !== null && server !== null) {
    // Chaining: what a peer probe writes here goes on to this probe's upstreams.
    const up = upstreams;
    server.core.onWrite = (argv) => {
      const ops = opsFromCommand(argv.map(fromBytes));
      if (ops.length === 0) return;
      up.send(ops);
      persist(ops);
    };
  } else if (server !== null && dataDir !== null) {
    // Persistent keys a peer writes here survive a restart too.
    server.core.onWrite = (argv) => {
      const ops = opsFromCommand(argv.map(fromBytes));
      if (ops.length > 0) persist(ops);
    };
  }
  const enqueue = (batch: KbBatch): void => {
    persist(batch.ops);
    upstreams?.send(batch.ops);
    if (applier !== null) applier.enqueue(batch);
    else thread?.applied(batch.ops.length);
  };

  // The low-latency channel: who is behind an address or tunnel, and events.user, from the first upstream.
  let handle: PipelineHandle | null = null;
  const cloud = cfg.upstream.length === 0 ? null : new CloudLookup(
    { url: cfg.upstream[0], cluster: cfg.upstreamCluster === true, probe: cfg.name, maxInFlight: CLOUD_MAX_IN_FLIGHT, log: warn },
    { answer: (q, user) => handle?.answer(q, user), event: (e, user) => handle?.remoteEvent(e, user) },
  );
  const ask = cloud === null ? {} : { ask: (q: string) => cloud.ask(q) };
  if (cfg.workers > 1) {
    for (const f of files) f.close();
    for (const c of captures) c.close();
    const pool = new PipelinePool(jobConfig, cfg.workers, { batch: enqueue, warn, fileDamaged, ...ask });
    thread = pool;
    handle = { counters: pool.counters, done: pool.run(), stop: () => pool.stop(), answer: (q, u) => pool.answer(q, u), remoteEvent: (e, u) => pool.remoteEvent(e, u) };
  } else if (cfg.workers > 0) {
    // The worker opens the files and interfaces itself; these served to check them.
    for (const f of files) f.close();
    for (const c of captures) c.close();
    const t = new PipelineThread(jobConfig, { batch: enqueue, warn, fileDamaged, ...ask });
    thread = t;
    handle = { counters: t.counters, done: t.run(), stop: () => t.stop(), answer: (q, u) => t.answer(q, u), remoteEvent: (e, u) => t.remoteEvent(e, u) };
  } else {
    const job = new PipelineJob(captures.length > 0 ? { captures } : { files }, jobConfig, {
      emit: enqueue,
      // Backpressure: reading waits while the store has many updates to apply.
      busy: () => (applier !== null && applier.pending > MAX_PENDING_UPDATES) || (upstreams !== null && upstreams.status().pending > cfg.upstreamQueue),
      warn,
      fileDamaged,
      progress: () => {},
      ...ask,
    }, newCounterArray());
    handle = {
      counters: job.counters,
      done: job.run().then(async (eof) => {
        job.finish();
        await job.closeExport();
        return eof;
      }),
      stop: () => job.stop(),
      answer: (q, u) => job.answer(q, u),
      remoteEvent: (e, u) => job.remoteEvent(e, u),
    };
  }
  const pipelineHandle: PipelineHandle = handle;
  const counters = pipelineHandle.counters;

  // How long the event loop was held up: what RESP clients wait at worst.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  server?.setInfoSection('probe', () => [
    ...infoProbeLines(cfg.name, counters, status, applier, upstreams?.status() ?? null),
    `eventloop_delay_p99_ms:${(loopDelay.percentile(99) / 1e6).toFixed(1)}`,
    `eventloop_delay_max_ms:${(loopDelay.max / 1e6).toFixed(1)}`,
  ]);
  const kb = server?.kb ?? null;
  const progress = new ProgressBar(totalBytes, cfg.progress && process.stderr.isTTY === true);
  const label = cfg.pcap.length === 1 ? path.basename(cfg.pcap[0]) : `${cfg.pcap.length} files`;
  const publishStats = (): void => {
    progress.update(counters[Counter.BytesRead], counters[Counter.Packets], label);
    if (kb === null) return;
    const keys = statsKeys(counters, applier, upstreams?.status() ?? null);
    for (const key in keys) kb.set(key, keys[key]);
  };
  const statsTimer = setInterval(publishStats, Math.min(cfg.flushMs, STATS_FLUSH_MS));
  statsTimer.unref();

  /**
   * Ends everything the run started, in order: the pipeline worker, the
   * upstreams (after they got what is queued, bounded: one may be away for
   * good, when `drain`), the cloud lookups, the data directory, the server.
   * False when updates did not all reach the upstreams.
   */
  const closeAll = async (drain: boolean): Promise<boolean> => {
    await thread?.terminate();
    let delivered = true;
    if (upstreams !== null) {
      if (drain) {
        delivered = await upstreams.drain(UPSTREAM_DRAIN_MS);
        if (!delivered) warn(`${upstreams.status().pending} updates did not reach the upstreams`);
      }
      await upstreams.close();
    }
    await cloud?.close();
    dataDir?.close();
    await server?.close();
    return delivered;
  };

  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    pipelineHandle.stop();
    // A worker exports its flows and posts its last batches before `done`.
    const grace = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), WORKER_STOP_GRACE_MS).unref());
    const exit = (): void => {
      applier?.drain();
      clearInterval(statsTimer);
      publishStats();
      progress.done();
      if (cfg.statsOut !== undefined) writeStats(cfg.statsOut, counters, damage);
      const bye = (): never => process.exit(0);
      closeAll(true).then(bye, bye);
    };
    Promise.race([pipelineHandle.done, grace]).then(exit, exit);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);

  let eof: boolean;
  try {
    eof = await pipelineHandle.done;
  } catch (err) {
    process.stderr.write(`microcloud: pipeline failed: ${(err as Error).message}\n`);
    clearInterval(statsTimer);
    await closeAll(false);
    return 1;
  }
  if (stopping || !eof) return null;
  // pcap_eof:1 means everything read is in the store.
  while (applier !== null && applier.pending > 0) await new Promise((r) => setImmediate(r));
  publishStats();
  progress.update(totalBytes, counters[Counter.Packets], 'done', true);
  progress.done();
  if (cfg.statsOut !== undefined) writeStats(cfg.statsOut, counters, damage);
  status.pcapEof = true;
  if (cfg.exitOnEof || server === null) {
    clearInterval(statsTimer);
    const delivered = await closeAll(true);
    process.removeListener('SIGINT', shutdown);
    process.removeListener('SIGTERM', shutdown);
    // Scripts can tell a run whose updates did not all reach the cloud.
    return delivered ? 0 : 1;
  }
  // Keep serving what was learned until SIGINT/SIGTERM.
  process.stderr.write(`microcloud: end of capture; serving RESP on ${cfg.respBind}:${server.port}\n`);
  return null;
}

function writeStats(file: string, c: Float64Array, damagedFiles: string[]): void {
  const stats = {
    packets: c[Counter.Packets],
    bytes: c[Counter.Bytes],
    ipPackets: c[Counter.IpPackets],
    nonIp: c[Counter.NonIp],
    malformed: c[Counter.Malformed],
    unsupportedLink: c[Counter.UnsupportedLink],
    fragments: c[Counter.Fragments],
    orphanFragments: c[Counter.OrphanFragments],
    tunnelled: c[Counter.Tunnelled],
    flowsCreated: c[Counter.FlowsCreated],
    flowsExported: c[Counter.FlowsExported],
    flowsEvicted: c[Counter.FlowsEvicted],
    flowsActive: c[Counter.FlowsActive],
    exportMessages: c[Counter.ExportMessages],
    exportRecords: c[Counter.ExportRecords],
    exportRecordsLost: c[Counter.ExportRecordsLost],
    damagedFiles,
  };
  fs.writeFileSync(file, JSON.stringify(stats, null, 2) + '\n');
}
