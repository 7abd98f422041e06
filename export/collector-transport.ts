import * as net from 'node:net';
import type { CollectorAddress } from './collector-address';

/** What a transport tells its exporter. */
export interface TransportEvents {
  /** A new session can start: templates must be sent again before data. */
  sessionStart(): void;
  /** Records the transport knows did not reach the collector. */
  lost(records: number): void;
  /** The collector's host refused a datagram (ICMP unreachable): send templates with the next message. */
  refused(): void;
  warn(message: string): void;
}

/** The way to one collector (UDP datagrams or a TCP stream): what the exporter needs of it, and what both share. */
export abstract class CollectorTransport {
  /** True while messages can be sent (UDP: socket connected; TCP: connection up). */
  protected connected = false;
  protected closed = false;
  protected retry: NodeJS.Timeout | null = null;
  /** The last warning given: a state is reported once, not per message. */
  protected lastWarning = '';

  constructor(readonly address: CollectorAddress, protected readonly events: TransportEvents) {}

  get ready(): boolean {
    return this.connected;
  }

  /** Octets of a message that fit one packet of the path MTU: less the IP header and this transport's. */
  payloadBytes(mtu: number): number {
    return mtu - (net.isIPv6(this.address.host) ? 40 : 20) - this.transportHeaderBytes;
  }

  protected abstract readonly transportHeaderBytes: number;

  /** Sends one message holding `records` data records. */
  abstract send(message: Buffer, records: number): void;

  /** Sends what is in flight, waits (until `deadline`) for it to leave, and closes. */
  abstract close(deadline: number): Promise<void>;

  protected warnOnce(message: string): void {
    if (message === this.lastWarning) return;
    this.lastWarning = message;
    this.events.warn(message);
  }
}
