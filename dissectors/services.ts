import type { DecodedPacket } from '../capture/decoded-packet';
import type { Flow } from '../cache/flow';
import type { KbOp } from '../cache/kb-updates';
import { APP_DNS, APP_HTTP, APP_LLMNR, APP_MDNS, APP_NAMES, APP_QUIC, APP_SIP, APP_TLS } from './classifier';
import { DnsMessage, DnsTcpFramer, parseDns } from './dns';
import { FlowService } from './flow-service';
import { HttpConversation, HttpRequestHead, HttpResponseHead } from './http';
import { HelloProgress, TlsClientHelloReader, ClientHelloInfo } from './tls';
import { QuicInitialReader } from './quic';
import { parseSip } from './sip';
import { SipCalls } from './sip-calls';
import { osFromUserAgent } from './user-agent-os';
import { serviceFromHostName } from './app-service';
import { SegmentVerdict, TcpSequence } from './tcp-sequence';

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const TCP_SYN = 0x02;
/** QUIC client datagrams looked at for an Initial before giving up. */
const QUIC_MAX_DATAGRAMS = 8;
const TLS_HANDSHAKE = 22;
const TLS_CLIENT_HELLO = 1;
/** Segments with payload looked at for the start of a ClientHello before giving up. */
const TLS_MAX_SEGMENTS_BEFORE_HELLO = 8;
/** SIP messages on one flow that fail to parse before the dissector stops trying. */
const SIP_MAX_FAILURES = 8;

/** Which application ids have a dissector (index = app id). */
const DISSECTED = new Uint8Array(APP_NAMES.length);
for (const id of [APP_DNS, APP_MDNS, APP_LLMNR, APP_HTTP, APP_TLS, APP_QUIC, APP_SIP]) DISSECTED[id] = 1;

/** Counters of the service dissectors, served in INFO probe / stats.*. */
export class ServiceStats {
  dnsMessages = 0;
  dnsMalformed = 0;
  httpRequests = 0;
  httpResponses = 0;
  tlsHellos = 0;
  quicHellos = 0;
  /** QUIC flows whose client Initial could not be read (unknown version, decryption failure). */
  quicUndecrypted = 0;
  sipMessages = 0;
  sipMalformed = 0;
}

/**
 * The service dissectors behind the classifier: a flow the classifier named
 * DNS, HTTP, TLS, QUIC or SIP gets its packets parsed for the fields a record
 * carries (query name, Host, server name, Call-ID...) and the per-host
 * counters (dns.*, http.*). One instance per pipeline; the per-flow state
 * lives in flow.service. Packets reach it only while the flow's dissector
 * still has something to learn (flow.service.done).
 */
export class ServiceDissectors {
  readonly stats = new ServiceStats();
  readonly sip: SipCalls;
  private readonly dns = new DnsMessage();
  /** Flow and direction of the TCP stream being fed, for the parsers' callbacks. */
  private current: FlowService | null = null;
  private currentForward = true;

  constructor(emit: (op: KbOp) => void) {
    this.sip = new SipCalls(emit);
  }

  /** True when a packet of this flow should go to packet(). */
  wants(flow: Flow): boolean {
    const s = flow.service;
    return s !== null ? !s.done : DISSECTED[flow.appId] === 1;
  }

  /** A packet with payload of a flow for which wants() said yes. */
  packet(flow: Flow, forward: boolean, p: DecodedPacket, buf: Uint8Array, nowUs: number): void {
    let s = flow.service;
    if (s === null) {
      s = new FlowService();
      flow.service = s;
    }
    if (s.done || p.payloadLength === 0) return;
    const off = p.payloadOffset;
    const len = p.payloadLength;
    switch (flow.appId) {
      case APP_DNS:
      case APP_MDNS:
      case APP_LLMNR:
        if (p.protocol === IPPROTO_UDP) this.dnsMessage(flow, s, forward, buf, off, len);
        else if (p.protocol === IPPROTO_TCP) this.dnsTcp(flow, s, forward, p, buf);
        return;
      case APP_HTTP:
        if (p.protocol !== IPPROTO_TCP) return s.finishParsing();
        this.http(s, forward, p, buf);
        return;
      case APP_TLS:
        if (p.protocol !== IPPROTO_TCP) return s.finishParsing();
        this.tls(s, forward, p, buf);
        return;
      case APP_QUIC:
        if (p.protocol !== IPPROTO_UDP) return s.finishParsing();
        this.quic(s, forward, buf, off, len);
        return;
      case APP_SIP:
        this.sipMessage(flow, s, forward, buf, off, len, nowUs);
        return;
      default:
        // Created by the media correlation (sipCallId) on a flow with no dissector of its own.
        s.done = true;
    }
  }

  // -------------------------------------------------------------------------
  // DNS

  private dnsMessage(flow: Flow, s: FlowService, forward: boolean, buf: Uint8Array, off: number, len: number): void {
    const m = this.dns;
    // The name is built once per flow (its first message), not for every packet.
    if (!parseDns(buf, off, len, m, s.dnsQueryName === null)) {
      this.stats.dnsMalformed++;
      return;
    }
    this.stats.dnsMessages++;
    // dns.* host counters are about name resolution: multicast discovery (MDNS, LLMNR) keeps its fields only.
    const counted = flow.appId === APP_DNS;
    if (!m.isResponse) {
      if (counted) {
        if (forward) s.dnsQueriesFwd++;
        else s.dnsQueriesRev++;
      }
    } else {
      if (s.dnsResponseCode < 0) s.dnsResponseCode = m.rcode;
      if (counted && m.rcode !== 0) {
        if (forward) s.dnsErrorsToRev++;
        else s.dnsErrorsToFwd++;
      }
    }
    if (s.dnsQueryName === null && m.queryName !== null) {
      s.dnsQueryName = m.queryName;
      s.dnsQueryType = m.queryType;
      s.dnsTransactionId = m.id;
      if (s.service === null) s.service = serviceFromHostName(m.queryName);
    }
  }

  private dnsTcp(flow: Flow, s: FlowService, forward: boolean, p: DecodedPacket, buf: Uint8Array): void {
    const skip = this.inOrder(s, forward, p);
    if (skip === SegmentVerdict.Old) return;
    let framer = forward ? s.dnsFramerFwd : s.dnsFramerRev;
    if (framer === null) {
      framer = new DnsTcpFramer((b, o, l) => this.dnsMessage(flow, s, forward, b, o, l));
      if (forward) s.dnsFramerFwd = framer;
      else s.dnsFramerRev = framer;
    }
    if (skip === SegmentVerdict.Gap) {
      framer.reset();
      framer.feed(buf, p.payloadOffset, p.payloadLength);
      return;
    }
    framer.feed(buf, p.payloadOffset + skip, p.payloadLength - skip);
  }

  /** Bytes of this segment not delivered before (TcpSequence per direction). */
  private inOrder(s: FlowService, forward: boolean, p: DecodedPacket): number {
    let seq = forward ? s.seqFwd : s.seqRev;
    if (seq === null) {
      seq = new TcpSequence();
      if (forward) s.seqFwd = seq;
      else s.seqRev = seq;
    }
    return seq.accept(p.tcpSeq, p.payloadLength, (p.tcpFlags & TCP_SYN) !== 0);
  }

  // -------------------------------------------------------------------------
  // HTTP

  private http(s: FlowService, forward: boolean, p: DecodedPacket, buf: Uint8Array): void {
    let conv = s.http;
    if (conv === null) {
      conv = new HttpConversation({
        onRequest: (head) => this.httpRequest(s, head),
        onResponse: (head) => this.httpResponse(s, head),
      });
      s.http = conv;
    }
    const skip = this.inOrder(s, forward, p);
    if (skip === SegmentVerdict.Old) return;
    this.current = s;
    this.currentForward = forward;
    if (skip === SegmentVerdict.Gap) {
      conv.gap(forward);
      conv.feed(buf, p.payloadOffset, p.payloadLength, forward);
    } else {
      conv.feed(buf, p.payloadOffset + skip, p.payloadLength - skip, forward);
    }
    this.current = null;
    if (conv.done) s.finishParsing();
  }

  private httpRequest(s: FlowService, head: HttpRequestHead): void {
    this.stats.httpRequests++;
    s.httpRequests++;
    if (s.httpMethod !== null) return;
    s.httpClientIsInitiator = this.current === s ? this.currentForward : true;
    s.httpMethod = head.method;
    s.httpTarget = head.target;
    s.httpHost = head.host;
    s.httpUserAgent = head.userAgent;
    if (head.userAgent !== null) s.os = osFromUserAgent(head.userAgent);
    if (head.host !== null && s.service === null) s.service = serviceFromHostName(head.host);
  }

  private httpResponse(s: FlowService, head: HttpResponseHead): void {
    this.stats.httpResponses++;
    if (s.httpRequests === 0 && this.current === s) s.httpClientIsInitiator = !this.currentForward;
    if (head.statusCode >= 400) s.httpErrors++;
    if (s.httpStatusCode === 0) {
      s.httpStatusCode = head.statusCode;
      s.httpServer = head.server;
    }
  }

  // -------------------------------------------------------------------------
  // TLS and QUIC: the client's hello names the server

  private tls(s: FlowService, forward: boolean, p: DecodedPacket, buf: Uint8Array): void {
    // The client is the side whose first bytes are a handshake record holding a ClientHello
    // (usually the initiator; not when the capture starts after the SYN). The server's bytes are not needed.
    if (s.tls === null) {
      const o = p.payloadOffset;
      if (p.payloadLength < 6 || buf[o] !== TLS_HANDSHAKE || buf[o + 5] !== TLS_CLIENT_HELLO) {
        if (++s.tries >= TLS_MAX_SEGMENTS_BEFORE_HELLO) s.finishParsing();
        return;
      }
      s.tlsClientForward = forward;
    } else if (forward !== s.tlsClientForward) {
      return;
    }
    const skip = this.inOrder(s, forward, p);
    if (skip === SegmentVerdict.Old) return;
    let reader = s.tls;
    if (reader === null) s.tls = reader = new TlsClientHelloReader();
    let r: HelloProgress;
    if (skip === SegmentVerdict.Gap) {
      reader.gap();
      r = reader.feed(buf, p.payloadOffset, p.payloadLength);
    } else {
      r = reader.feed(buf, p.payloadOffset + skip, p.payloadLength - skip);
    }
    if (r === HelloProgress.More) return;
    if (r === HelloProgress.Done && reader.hello !== null) {
      this.stats.tlsHellos++;
      this.hello(s, reader.hello);
    }
    s.finishParsing();
  }

  private quic(s: FlowService, forward: boolean, buf: Uint8Array, off: number, len: number): void {
    if (!forward) return;
    let reader = s.quic;
    if (reader === null) s.quic = reader = new QuicInitialReader();
    const r = reader.feed(buf, off, len);
    s.quicVersion = reader.quicVersion;
    if (r === HelloProgress.Done && reader.hello !== null) {
      this.stats.quicHellos++;
      this.hello(s, reader.hello);
      s.finishParsing();
    } else if (r === HelloProgress.Fail || ++s.tries >= QUIC_MAX_DATAGRAMS) {
      this.stats.quicUndecrypted++;
      s.finishParsing();
    }
  }

  private hello(s: FlowService, hello: ClientHelloInfo): void {
    s.tlsServerName = hello.serverName;
    s.tlsAlpn = hello.alpn.length > 0 ? hello.alpn.join(',') : null;
    s.tlsVersion = hello.version;
    if (hello.serverName !== null) s.service = serviceFromHostName(hello.serverName);
  }

  // -------------------------------------------------------------------------
  // SIP

  /** SIP in a UDP packet whose flow another pipeline worker keeps: its calls and media, quietly (SipCalls.messageQuietly). */
  foreignSip(buf: Uint8Array, off: number, len: number, nowUs: number): void {
    const m = parseSip(buf, off, len);
    if (m !== null) this.sip.messageQuietly(m, nowUs);
  }

  private sipMessage(flow: Flow, s: FlowService, forward: boolean, buf: Uint8Array, off: number, len: number, nowUs: number): void {
    const m = parseSip(buf, off, len);
    if (m === null) {
      this.stats.sipMalformed++;
      if (++s.tries >= SIP_MAX_FAILURES) s.finishParsing();
      return;
    }
    this.stats.sipMessages++;
    if (s.sipCallId === null && m.callId !== null) {
      s.sipCallId = m.callId;
      s.sipFrom = m.fromUri;
      s.sipTo = m.toUri;
    }
    this.sip.message(m, nowUs);
  }

  /**
   * A new UDP flow: is it the media (RTP/RTCP) of a call SIP set up? Either
   * endpoint may be the one an SDP announced.
   */
  attachMedia(flow: Flow): void {
    const callId = this.sip.callOfFlow(flow);
    if (callId === null) return;
    let s = flow.service;
    if (s === null) flow.service = s = new FlowService();
    s.sipCallId = callId;
  }
}
