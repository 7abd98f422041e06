/** What a flow exporter needs from the way to its collector (UDP datagrams or a TCP stream). */
export interface CollectorTransport {
  /** True while messages can be sent (UDP: address resolved; TCP: connected). */
  readonly ready: boolean;
  /** Sends one message holding `records` data records. */
  send(message: Buffer, records: number): void;
  /** Sends what is in flight, waits (bounded) for it to leave, and closes. */
  close(deadline: number): Promise<void>;
}

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
