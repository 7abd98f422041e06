import * as net from 'node:net';
import type { CollectorAddress } from './collector-address';
import { CollectorTransport, TransportEvents } from './collector-transport';

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5000;
/** Bytes the socket may hold unsent (a slow collector); past it messages are dropped and counted. */
const MAX_BUFFERED_BYTES = 16 << 20;

/**
 * IPFIX over TCP to one collector (RFC 7011 10.4). Every connection is a new
 * transport session: sequence numbers restart and templates go first. A
 * refused or broken connection is retried with backoff; the exporter holds
 * records meanwhile (bounded).
 */
export class TcpCollector extends CollectorTransport {
  private socket: net.Socket | null = null;
  private backoffMs = RECONNECT_MIN_MS;

  protected readonly transportHeaderBytes = 20;

  constructor(address: CollectorAddress, events: TransportEvents) {
    super(address, events);
    this.open();
  }


  private open(): void {
    if (this.closed) return;
    const s = net.connect({ host: this.address.host, port: this.address.port });
    this.socket = s;
    s.setNoDelay(true);
    s.on('connect', () => {
      this.connected = true;
      this.backoffMs = RECONNECT_MIN_MS;
      if (this.lastWarning !== '') this.events.warn(`collector ${this.address.text}: connected again`);
      this.lastWarning = '';
      this.events.sessionStart();
    });
    s.on('error', (err: NodeJS.ErrnoException) => this.warnOnce(`collector ${this.address.text}: ${err.code ?? err.message}; retrying`));
    s.on('close', () => {
      this.connected = false;
      if (this.socket === s) this.socket = null;
      if (this.closed) return;
      this.retry = setTimeout(() => this.open(), this.backoffMs);
      this.retry.unref();
      this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_MAX_MS);
    });
    // A collector does not talk back; whatever it sends is read and dropped.
    s.on('data', () => {});
    s.unref();
  }


  send(message: Buffer, records: number): void {
    const s = this.socket;
    if (s === null || !this.connected || s.writableLength > MAX_BUFFERED_BYTES) {
      this.events.lost(records);
      return;
    }
    s.write(message);
  }

  async close(deadline: number): Promise<void> {
    this.closed = true;
    if (this.retry !== null) clearTimeout(this.retry);
    const s = this.socket;
    if (s === null) return;
    s.ref();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        s.destroy();
        resolve();
      }, Math.max(0, deadline - Date.now()));
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      // 'finish': every byte is with the kernel, which delivers it before the FIN.
      s.once('finish', done);
      s.once('close', done);
      s.end();
    });
    this.socket = null;
    this.connected = false;
  }
}
