import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import * as net from 'node:net';
import type { CollectorAddress } from './collector-address';
import { CollectorTransport, TransportEvents } from './collector-transport';

/** A refused datagram (ICMP unreachable) is blamed on a message sent at most this long before. */
const REFUSAL_WINDOW_MS = 2000;
/** Retry of a collector name that did not resolve. */
const RESOLVE_RETRY_MS = 5000;

interface SentMessage {
  records: number;
  at: number;
}

/**
 * NetFlow/IPFIX over UDP to one collector. The socket is connected, so an
 * ICMP port or host unreachable comes back as an error event: the message it
 * answers is counted lost, and the exporter sends templates again with the
 * next message, so a collector that comes back decodes what follows.
 */
export class UdpCollector extends CollectorTransport {
  private socket: dgram.Socket | null = null;
  private inFlight = 0;
  /** Sent messages not yet old enough to be out of reach of an ICMP answer. */
  private recent: SentMessage[] = [];

  protected readonly transportHeaderBytes = 8;

  constructor(address: CollectorAddress, events: TransportEvents) {
    super(address, events);
    this.open();
  }


  private open(): void {
    const host = this.address.host;
    const family = net.isIP(host);
    if (family !== 0) {
      this.connect(host, family);
      return;
    }
    dns.lookup(host, (err, addr, fam) => {
      if (this.closed) return;
      if (err !== null) {
        this.warnOnce(`collector ${this.address.text}: cannot resolve ${host} (${err.code ?? err.message}); retrying`);
        this.retry = setTimeout(() => this.open(), RESOLVE_RETRY_MS);
        this.retry.unref();
        return;
      }
      this.connect(addr, fam);
    });
  }

  private connect(addr: string, family: number): void {
    const s = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    this.socket = s;
    s.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    s.connect(this.address.port, addr, () => {
      this.connected = true;
      this.events.sessionStart();
    });
    s.unref();
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') {
      this.blameRefusal();
      this.events.refused();
      this.warnUnreachable(err.code);
      return;
    }
    this.warnOnce(`collector ${this.address.text}: ${err.code ?? err.message}`);
  }

  /** An ICMP unreachable answers the oldest message still within reach of one: it did not arrive. */
  private blameRefusal(): void {
    const now = Date.now();
    while (this.recent.length > 0 && now - this.recent[0].at > REFUSAL_WINDOW_MS) this.recent.shift();
    const m = this.recent.shift();
    if (m !== undefined) this.events.lost(m.records);
  }

  private warnUnreachable(code: string): void {
    this.warnOnce(`collector ${this.address.text}: unreachable (${code}); records counted as lost, templates sent again when it answers`);
  }


  send(message: Buffer, records: number): void {
    const s = this.socket;
    if (s === null || !this.connected) {
      this.events.lost(records);
      return;
    }
    const entry: SentMessage = { records, at: Date.now() };
    this.inFlight++;
    s.send(message, (err) => {
      this.inFlight--;
      if (err !== null && err !== undefined) {
        // A pending ICMP error fails the next send instead of raising an error event:
        // this message did not go, and the one the ICMP answered did not arrive.
        this.events.lost(records);
        this.blameRefusal();
        this.events.refused();
        this.warnUnreachable((err as NodeJS.ErrnoException).code ?? err.message);
        return;
      }
      this.recent.push(entry);
      if (this.recent.length > 1024) this.recent.shift();
    });
  }

  async close(deadline: number): Promise<void> {
    this.closed = true;
    if (this.retry !== null) clearTimeout(this.retry);
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const s = this.socket;
    this.socket = null;
    this.connected = false;
    if (s !== null) await new Promise<void>((r) => s.close(() => r()));
  }
}
