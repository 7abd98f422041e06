// Real collectors for the NetFlow/IPFIX tests: nfcapd (written to disk, read
// back with nfdump), and plain sockets that keep every message as received so
// tshark can decode them from a capture file built around them.

import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { udpPacket, tcpSession } from '../gen/conversation';
import { ethernet } from '../gen/link';
import { writePcap, LinkType, PacketRecord } from '../gen/pcap-writer';
import { writeDemoCapture } from '../gen/demo-capture';
import { exited, waitFor } from './probe-server';

export function nfdumpAvailable(): boolean {
  return spawnSync('nfcapd', ['-V']).status === 0 && spawnSync('nfdump', ['-V']).status === 0;
}

/** A UDP port free right now on 127.0.0.1. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.on('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

/** nfcapd listening on `port`, writing into `dir`. */
export class Nfcapd {
  private readonly child: ChildProcess;
  log = '';

  constructor(readonly port: number, readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.child = spawn('nfcapd', ['-b', '127.0.0.1', '-p', String(port), '-w', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => (this.log += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
  }

  /** Resolves once nfcapd's socket is bound (it says so on startup). */
  async ready(): Promise<void> {
    await waitFor('nfcapd to start', () => this.log.includes('Startup') || this.child.exitCode !== null, 10_000);
    if (this.child.exitCode !== null) throw new Error(`nfcapd exited: ${this.log}`);
    // The log line comes just before the receive loop.
    await new Promise((r) => setTimeout(r, 200));
  }

  /** SIGTERM makes nfcapd write its current file and exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      this.child.kill('SIGTERM');
      await exited(this.child);
    }
  }

  /** Every flow nfcapd stored, as nfdump prints it in JSON. */
  flows(): Record<string, any>[] {
    const r = spawnSync('nfdump', ['-R', this.dir, '-o', 'json'], { encoding: 'utf8', maxBuffer: 512 << 20 });
    if (r.status !== 0) throw new Error(`nfdump failed: ${r.stderr}`);
    const text = r.stdout.trim();
    return text === '' ? [] : (JSON.parse(text) as Record<string, any>[]);
  }
}

/** Keeps every datagram sent to it, in order. */
export class UdpSink {
  readonly messages: Buffer[] = [];
  private constructor(private readonly socket: dgram.Socket, readonly port: number) {
    socket.on('message', (m) => this.messages.push(m));
  }

  static async open(port = 0): Promise<UdpSink> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, '127.0.0.1', () => resolve());
    });
    return new UdpSink(s, s.address().port);
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

/** A TCP collector that keeps each connection's byte stream. */
export class TcpSink {
  readonly streams: Buffer[][] = [];
  private readonly sockets = new Set<net.Socket>();
  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async listen(port = 0): Promise<TcpSink> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const sink = new TcpSink(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (sock) => {
      const chunks: Buffer[] = [];
      sink.streams.push(chunks);
      sink.sockets.add(sock);
      sock.on('data', (d) => chunks.push(d));
      sock.on('close', () => sink.sockets.delete(sock));
    });
    return sink;
  }

  /** Connections that ended (the exporter closed them). */
  get bytes(): number {
    return this.streams.reduce((n, s) => n + s.reduce((m, c) => m + c.length, 0), 0);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const EXPORTER = { ip: '192.0.2.1', port: 40000 };
const MACS = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };

/** The datagrams as a capture, one frame each, to collector port `port`, for tshark. */
export function udpMessagesPcap(file: string, messages: readonly Buffer[], port: number): void {
  const records: PacketRecord[] = messages.map((m, i) => ({
    timeNs: BigInt(1_700_000_000_000 + i) * 1_000_000n,
    data: ethernet(MACS, udpPacket(EXPORTER, { ip: '192.0.2.2', port }, m)),
  }));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, writePcap(records, { linkType: LinkType.ETHERNET }));
}

/** A TCP stream as a capture of one whole session, for tshark's reassembly. */
export function tcpStreamPcap(file: string, stream: Buffer, port: number): void {
  const packets = tcpSession({ client: EXPORTER, server: { ip: '192.0.2.2', port }, messages: [{ fromClient: true, data: stream }] });
  const records: PacketRecord[] = packets.map((p, i) => ({ timeNs: BigInt(1_700_000_000_000 + i) * 1_000_000n, data: ethernet(MACS, p.packet) }));
  fs.writeFileSync(file, writePcap(records, { linkType: LinkType.ETHERNET }));
}

let demoPath: string | null = null;

/** The demo capture (GTP, RADIUS, VLAN, subscribers), generated once per test process into a temporary file. */
export function demoCapture(): string {
  if (demoPath !== null) return demoPath;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-demo-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  demoPath = path.join(dir, 'demo.pcap');
  writeDemoCapture(demoPath);
  return demoPath;
}
