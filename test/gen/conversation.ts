// Conversations as sequences of IP packets: a UDP request/response and a full
// TCP session (handshake, data with correct seq/ack, FIN close). Callers put
// each packet in whatever link layer or tunnel they need and give it a time.

import { isIpv6 } from './bytes';
import { IpProto, ipv4, ipv6 } from './ip';
import { tcp, tcpSynOptions, udp } from './transport';

export interface Endpoint {
  ip: string;
  port: number;
}

/** One IP packet of a conversation, with its direction. */
export interface ConversationPacket {
  fromClient: boolean;
  packet: Buffer;
}

/** Per-host IPv4 identification counters, so ids look like a real stack's. */
export class IpIdCounter {
  private readonly next = new Map<string, number>();

  take(host: string): number {
    const id = this.next.get(host) ?? 1;
    this.next.set(host, (id + 1) & 0xffff);
    return id;
  }
}

const sharedIds = new IpIdCounter();

/** IPv4 or IPv6 by the address family of `src`. */
export function ipPacket(src: string, dst: string, proto: number, l4: Buffer, ids: IpIdCounter = sharedIds): Buffer {
  return isIpv6(src) ? ipv6({ src, dst, proto }, l4) : ipv4({ src, dst, proto, id: ids.take(src), dontFragment: proto === IpProto.TCP }, l4);
}

export function udpPacket(from: Endpoint, to: Endpoint, payload: Buffer, ids?: IpIdCounter): Buffer {
  return ipPacket(from.ip, to.ip, IpProto.UDP, udp({ sport: from.port, dport: to.port }, payload), ids);
}

export function udpExchange(client: Endpoint, server: Endpoint, request: Buffer, response: Buffer, ids?: IpIdCounter): ConversationPacket[] {
  return [
    { fromClient: true, packet: udpPacket(client, server, request, ids) },
    { fromClient: false, packet: udpPacket(server, client, response, ids) },
  ];
}

export interface TcpSessionOptions {
  client: Endpoint;
  server: Endpoint;
  /** Application data in order; each message is segmented by `mss`. */
  messages: readonly { fromClient: boolean; data: Buffer }[];
  clientIsn?: number;
  serverIsn?: number;
  mss?: number;
  /** Stop after the data (no FIN exchange), e.g. for a session cut by the end of a capture. */
  leaveOpen?: boolean;
  ids?: IpIdCounter;
}

/**
 * A complete TCP session: SYN, SYN/ACK, ACK; each data segment acknowledged by
 * the peer; then FIN/ACK from the client, FIN/ACK from the server, final ACK.
 */
export function tcpSession(o: TcpSessionOptions): ConversationPacket[] {
  const mss = o.mss ?? 1460;
  let cSeq = (o.clientIsn ?? 1000) >>> 0;
  let sSeq = (o.serverIsn ?? 5000) >>> 0;
  const out: ConversationPacket[] = [];
  const send = (fromClient: boolean, flags: string, data: Buffer = Buffer.alloc(0), options?: Buffer) => {
    const [me, peer] = fromClient ? [o.client, o.server] : [o.server, o.client];
    const seq = fromClient ? cSeq : sSeq;
    const ack = flags.includes('A') ? (fromClient ? sSeq : cSeq) : 0;
    const segment = tcp({ sport: me.port, dport: peer.port, seq, ack, flags, options, window: 64240 }, data);
    out.push({ fromClient, packet: ipPacket(me.ip, peer.ip, IpProto.TCP, segment, o.ids) });
    // SYN and FIN consume one sequence number each.
    const consumed = data.length + (flags.includes('S') ? 1 : 0) + (flags.includes('F') ? 1 : 0);
    if (fromClient) cSeq = (cSeq + consumed) >>> 0;
    else sSeq = (sSeq + consumed) >>> 0;
  };
  send(true, 'S', undefined, tcpSynOptions(mss));
  send(false, 'SA', undefined, tcpSynOptions(mss));
  send(true, 'A');
  for (const m of o.messages) {
    for (let off = 0; off < m.data.length; off += mss) {
      send(m.fromClient, 'PA', m.data.subarray(off, off + mss));
      send(!m.fromClient, 'A');
    }
  }
  if (!o.leaveOpen) {
    send(true, 'FA');
    send(false, 'FA');
    send(true, 'A');
  }
  return out;
}
