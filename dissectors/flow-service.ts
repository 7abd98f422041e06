import { TcpSequence } from './tcp-sequence';
import type { DnsTcpFramer } from './dns';
import type { HttpConversation } from './http';
import type { TlsClientHelloReader } from './tls';
import type { QuicInitialReader } from './quic';

/**
 * What the service dissectors learned about one flow (DNS, HTTP, TLS/QUIC,
 * SIP, RTP), and their parsing state. Allocated once per flow that reaches a
 * dissector, never per packet. Fields hold the first value of each kind the
 * flow carried (the record's dnsQueryName is the flow's first query), while
 * the counters cover every message, split by which side sent it so the host
 * counters go to the right address.
 */
export class FlowService {
  // DNS
  dnsQueryName: string | null = null;
  dnsQueryType = -1;
  dnsResponseCode = -1;
  dnsTransactionId = -1;
  /** Queries sent by the initiator / by the responder. */
  dnsQueriesFwd = 0;
  dnsQueriesRev = 0;
  /** Answers with a non-zero RCODE received by the initiator / by the responder. */
  dnsErrorsToFwd = 0;
  dnsErrorsToRev = 0;

  // HTTP
  httpMethod: string | null = null;
  httpHost: string | null = null;
  httpTarget: string | null = null;
  httpUserAgent: string | null = null;
  httpStatusCode = 0;
  httpServer: string | null = null;
  /** Operating system family of the client, from its User-Agent. */
  os: string | null = null;
  /** The client is the flow's initiator (false for a capture that starts with the reply). */
  httpClientIsInitiator = true;
  httpRequests = 0;
  httpErrors = 0;

  // TLS / QUIC
  tlsServerName: string | null = null;
  tlsAlpn: string | null = null;
  tlsVersion = 0;
  quicVersion = 0;
  /** The TLS client sent its ClientHello as the initiator. */
  tlsClientForward = true;

  // SIP and the media it set up
  sipCallId: string | null = null;
  sipFrom: string | null = null;
  sipTo: string | null = null;

  /** Service behind the host name (Google, Netflix, ...): applicationService. */
  service: string | null = null;

  /** Counters already sent to the knowledge base as host deltas. */
  kbDnsQueriesFwd = 0;
  kbDnsQueriesRev = 0;
  kbDnsErrorsToFwd = 0;
  kbDnsErrorsToRev = 0;
  kbHttpRequests = 0;
  kbHttpErrors = 0;
  kbOsSent = false;

  // Parsing state
  /** No more packets need dissecting (hello found, stream gave up, ...). */
  done = false;
  seqFwd: TcpSequence | null = null;
  seqRev: TcpSequence | null = null;
  dnsFramerFwd: DnsTcpFramer | null = null;
  dnsFramerRev: DnsTcpFramer | null = null;
  http: HttpConversation | null = null;
  tls: TlsClientHelloReader | null = null;
  quic: QuicInitialReader | null = null;
  /** Datagrams a UDP dissector looked at without result (bounded). */
  tries = 0;

  /** Releases the parsers once nothing more is to be learned (the fields stay). */
  finishParsing(): void {
    this.done = true;
    this.seqFwd = this.seqRev = null;
    this.dnsFramerFwd = this.dnsFramerRev = null;
    this.http = null;
    this.tls = null;
    this.quic = null;
  }
}
