/**
 * dissectors/classifier.ts: the application classifier.
 *
 * 1. The API: names (nDPI spelling, id 0 = unknown), appIdOf, IP-protocol
 *    decisions.
 * 2. Each signature on its protocol: payloads from the project's generators
 *    (test/gen/app: DNS, HTTP, TLS, RADIUS, GTPv1-C, GTPv2-C) and bytes built
 *    here from the protocol specifications for the rest, as one or more
 *    packets of a flow on the protocol's usual ports.
 * 3. ... and not on the others': every sample's packets replayed on every
 *    other sample's ports (same transport) are named as their own protocol,
 *    a name of the same format family (a DNS message on the MDNS port is
 *    MDNS), or nothing; never as the other protocol.
 * 4. Random payloads: 10,000 single packets on ephemeral ports, 10,000 on
 *    the well-known ports the classifier looks at, and 1,000 flows of 12
 *    random packets on each (multi-packet signatures): the false-positive
 *    rates are printed and bounded (measured: 0 of 22,000 flows named).
 * 5. guessByPort: a well-known port names a flow that is still unknown and
 *    marks the name as a guess; a decided flow is left alone; a signature
 *    waiting for more packets (STUN before DTLS) decides, not as a guess.
 */
import t from 'tap';
import {
  APP_NAMES,
  APP_UNKNOWN,
  appIdOf,
  ClassifiedFlow,
  classifyByProtocol,
  classifyPacket,
  guessByPort,
  MAX_INSPECTED_PACKETS,
  PORT_GUESS_ONLY,
} from '../dissectors/classifier';
import * as app from './gen/app';
import { cat, u16, u24, u32, u8 } from './gen/bytes';
import { SeededRandom } from './gen/rng';

const TCP = 6;
const UDP = 17;

function newFlow(protocol: number, srcPort: number, dstPort: number): ClassifiedFlow {
  return { protocol, srcPort, dstPort, appId: APP_UNKNOWN, appGuessed: false, appPackets: 0, appState: 0 };
}

/** One packet: sent by the initiator (fwd) or the responder, its transport payload. */
type Pkt = [fwd: boolean, payload: Buffer];

/** Runs packets through the classifier as the pipeline does, then ends the flow (guessByPort unless told not to). */
function classify(protocol: number, srcPort: number, dstPort: number, pkts: readonly Pkt[], end = true): ClassifiedFlow {
  const f = newFlow(protocol, srcPort, dstPort);
  for (const [fwd, payload] of pkts) {
    if (f.appId !== 0 || f.appPackets >= MAX_INSPECTED_PACKETS) break;
    if (payload.length === 0) continue;
    // Copy into a larger buffer at an offset: the classifier must read only [off, off+len).
    const buf = Buffer.alloc(payload.length + 40, 0xee);
    payload.copy(buf, 17);
    classifyPacket(f, fwd, buf, 17, payload.length);
  }
  if (end) guessByPort(f);
  return f;
}

function nameOf(f: ClassifiedFlow): string {
  return APP_NAMES[f.appId] + (f.appGuessed ? '?' : '');
}

const text = (s: string) => Buffer.from(s, 'latin1');

// ---------------------------------------------------------------------------
// Samples

interface Sample {
  name: string;
  what: string;
  protocol: number;
  srcPort: number;
  dstPort: number;
  pkts: Pkt[];
  /** Names this format may legitimately get on other ports (same wire format). */
  family?: string[];
}

const DNS_FAMILY = ['DNS', 'MDNS', 'LLMNR'];

function dnsTcp(b: Buffer): Buffer {
  return cat(u16(b.length), b);
}

/** A NetBIOS first-level encoded name (RFC 1001 14.1). */
function nbName(name: string): Buffer {
  const n = name.toUpperCase().padEnd(15, ' ').slice(0, 15) + '\x00';
  const out: number[] = [32];
  for (const ch of Buffer.from(n, 'latin1')) out.push(0x41 + (ch >> 4), 0x41 + (ch & 15));
  out.push(0);
  return Buffer.from(out);
}

function ber(tag: number, body: Buffer): Buffer {
  const l = body.length;
  const len = l < 0x80 ? u8(l) : l < 0x100 ? cat(u8(0x81), u8(l)) : cat(u8(0x82), u16(l));
  return cat(u8(tag), len, body);
}
const berInt = (v: number) => ber(0x02, u8(v));
const berStr = (s: string) => ber(0x04, text(s));

function stunMessage(type: number, attrs: Buffer[] = []): Buffer {
  const body = cat(...attrs);
  return cat(u16(type), u16(body.length), u32(0x2112a442), Buffer.alloc(12, 0x5c), body);
}
function stunAttr(type: number, value: Buffer): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  return cat(u16(type), u16(value.length), value, Buffer.alloc(pad));
}

function rtpPacket(seq: number, pt = 0, ssrc = 0x11223344): Buffer {
  return cat(u8(0x80), u8(pt), u16(seq), u32(seq * 160), u32(ssrc), Buffer.alloc(160, 0xd5));
}

function dtlsClientHello(): Buffer {
  const body = cat(u16(0xfefd), Buffer.alloc(32, 1), u8(0), u8(0), u16(2), u16(0xc02b), u8(1), u8(0));
  const hs = cat(u8(1), u24(body.length), u16(0), u24(0), u24(body.length), body);
  return cat(u8(22), u16(0xfeff), u16(0), u16(0), u32(0), u16(hs.length), hs);
}

function quicInitial(version: number): Buffer {
  const dcid = Buffer.alloc(8, 0x81);
  const scid = Buffer.alloc(0);
  const header = cat(u8(0xc3), u32(version), u8(dcid.length), dcid, u8(scid.length), u8(0), u16(0x4000 | 1180), u32(0));
  return cat(header, Buffer.alloc(1200 - header.length, 0x3c));
}

function smb2Negotiate(): Buffer {
  const smb = cat(Buffer.from([0xfe, 0x53, 0x4d, 0x42]), u16(64), Buffer.alloc(58), Buffer.alloc(36, 0x24));
  return cat(u8(0), u24(smb.length), smb);
}

function radiusSamples(): Sample[] {
  const auth = Buffer.alloc(16, 0xa5);
  const req = app.radiusAccessRequest({ id: 7, secret: 's3cret', authenticator: auth, userName: 'alice@isp.test', password: 'pw', nasIp: '10.0.0.1' });
  const accept = app.radiusAccessAccept({ id: 7, secret: 's3cret', requestAuthenticator: auth, framedIp: '100.64.0.9' });
  const acct = app.radiusAccountingRequest({
    id: 9, secret: 's3cret', userName: 'alice@isp.test', statusType: app.AcctStatusType.START, sessionId: 'S1', framedIp: '100.64.0.9', nasIp: '10.0.0.1',
  });
  return [
    { name: 'Radius', what: 'Access-Request + Access-Accept (generator)', protocol: UDP, srcPort: 40001, dstPort: 1812, pkts: [[true, req], [false, accept]] },
    { name: 'Radius', what: 'Accounting-Request (generator)', protocol: UDP, srcPort: 40002, dstPort: 1813, pkts: [[true, acct]] },
  ];
}

function gtpSamples(): Sample[] {
  const cgi = { mcc: '001', mnc: '01', lac: 0x1234, ci: 0x5678 };
  const sgsn = {
    imsi: '001010123456789', msisdn: '33612345678', imeisv: '3520990017614823', apn: 'internet', rat: 1, cgi, nsapi: 5,
    sgsnControlAddress: '10.1.0.1', sgsnUserAddress: '10.1.0.2', sgsnTeidControl: 0x100, sgsnTeidData: 0x200,
  } as Parameters<typeof app.gtpv1CreatePdpRequest>[0];
  const v1 = app.gtpv1CreatePdpRequest(sgsn, 1);
  const v2 = app.gtpv2DeleteSessionRequest({ sequence: 5, teid: 0x1234, linkedEbi: 5 });
  const gpdu = cat(u8(0x30), u8(0xff), u16(20), u32(0xabcd), Buffer.alloc(20, 0x45));
  return [
    { name: 'GTP', what: 'GTPv1-C Create PDP Context Request (generator)', protocol: UDP, srcPort: 2123, dstPort: 2123, pkts: [[true, v1]] },
    { name: 'GTP', what: 'GTPv2-C Delete Session Request (generator)', protocol: UDP, srcPort: 40123, dstPort: 2123, pkts: [[true, v2]] },
    { name: 'GTP', what: 'GTPv1-U G-PDU', protocol: UDP, srcPort: 2152, dstPort: 2152, pkts: [[true, gpdu]] },
  ];
}

function samples(): Sample[] {
  const dnsQ = app.dnsQuery({ id: 0x1234, name: 'www.example.com' });
  const dnsR = app.dnsResponse({ id: 0x1234, name: 'www.example.com', answers: ['192.0.2.10'] });
  const mdnsQ = app.dnsQuery({ id: 0, name: '_services._dns-sd._udp.local', type: 12 });
  const llmnrQ = app.dnsQuery({ id: 0x77, name: 'printer', type: 1 });
  const ch = app.tlsClientHello({ serverName: 'example.com', alpn: ['h2', 'http/1.1'] });
  const sh = app.tlsServerHello({ alpn: 'h2' });
  const out: Sample[] = [
    { name: 'DNS', what: 'query + answer (generator)', protocol: UDP, srcPort: 40000, dstPort: 53, pkts: [[true, dnsQ], [false, dnsR]], family: DNS_FAMILY },
    { name: 'DNS', what: 'over TCP, length-prefixed', protocol: TCP, srcPort: 40000, dstPort: 53, pkts: [[true, dnsTcp(dnsQ)], [false, dnsTcp(dnsR)]], family: DNS_FAMILY },
    { name: 'MDNS', what: 'PTR query on 5353', protocol: UDP, srcPort: 5353, dstPort: 5353, pkts: [[true, mdnsQ]], family: DNS_FAMILY },
    { name: 'LLMNR', what: 'query on 5355', protocol: UDP, srcPort: 50000, dstPort: 5355, pkts: [[true, llmnrQ]], family: DNS_FAMILY },
    { name: 'HTTP', what: 'GET + 200 (generator)', protocol: TCP, srcPort: 40000, dstPort: 80, pkts: [[true, app.httpRequest({ host: 'example.com', target: '/index.html' })], [false, app.httpResponse({ body: 'hello' })]] },
    { name: 'HTTP', what: 'POST on a high port (generator)', protocol: TCP, srcPort: 40000, dstPort: 8888, pkts: [[true, app.httpRequest({ method: 'POST', host: 'api.test', target: '/v1', body: '{}' })]] },
    { name: 'HTTP', what: 'response first (capture started mid-flow)', protocol: TCP, srcPort: 80, dstPort: 40000, pkts: [[true, app.httpResponse({ status: 404 })]] },
    { name: 'TLS', what: 'ClientHello 1.3 + ServerHello (generator)', protocol: TCP, srcPort: 40000, dstPort: 443, pkts: [[true, ch], [false, sh]] },
    { name: 'TLS', what: 'ClientHello 1.2 on a high port (generator)', protocol: TCP, srcPort: 40000, dstPort: 8443, pkts: [[true, app.tlsClientHello({ version: '1.2', serverName: 'a.test' })]] },
    { name: 'TLS', what: 'ServerHello first (generator)', protocol: TCP, srcPort: 443, dstPort: 40000, pkts: [[true, sh]] },
    { name: 'TLS', what: 'application data records only (generator)', protocol: TCP, srcPort: 40000, dstPort: 9999, pkts: [[true, app.tlsApplicationData(100)], [false, app.tlsApplicationData(300)]] },
    ...radiusSamples(),
    ...gtpSamples(),
    { name: 'QUIC', what: 'Initial, version 1', protocol: UDP, srcPort: 40000, dstPort: 443, pkts: [[true, quicInitial(1)]] },
    { name: 'QUIC', what: 'Initial, draft-29', protocol: UDP, srcPort: 40000, dstPort: 4433, pkts: [[true, quicInitial(0xff00001d)]] },
    { name: 'QUIC', what: 'Initial, version 2', protocol: UDP, srcPort: 40000, dstPort: 8443, pkts: [[true, quicInitial(0x6b3343cf)]] },
    { name: 'SSH', what: 'banners', protocol: TCP, srcPort: 40000, dstPort: 22, pkts: [[false, text('SSH-2.0-OpenSSH_9.6\r\n')], [true, text('SSH-2.0-PuTTY_0.80\r\n')]] },
    { name: 'SMTP', what: 'ESMTP greeting', protocol: TCP, srcPort: 40000, dstPort: 25, pkts: [[false, text('220 mx.example.com ESMTP Postfix\r\n')]] },
    { name: 'SMTP', what: 'plain 220 then EHLO', protocol: TCP, srcPort: 40000, dstPort: 2500, pkts: [[false, text('220 mail.test ready\r\n')], [true, text('EHLO client.test\r\n')]] },
    { name: 'IMAP', what: 'greeting', protocol: TCP, srcPort: 40000, dstPort: 143, pkts: [[false, text('* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n')]] },
    { name: 'IMAP', what: 'tagged command first', protocol: TCP, srcPort: 40000, dstPort: 1143, pkts: [[true, text('a001 CAPABILITY\r\n')]] },
    { name: 'POP3', what: 'greeting', protocol: TCP, srcPort: 40000, dstPort: 110, pkts: [[false, text('+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n')]] },
    { name: 'FTP_CONTROL', what: 'FTP greeting', protocol: TCP, srcPort: 40000, dstPort: 21, pkts: [[false, text('220 (vsFTPd 3.0.5)\r\n')]] },
    { name: 'FTP_CONTROL', what: 'plain 220 then USER', protocol: TCP, srcPort: 40000, dstPort: 2121, pkts: [[false, text('220 Welcome\r\n')], [true, text('USER anonymous\r\n')]] },
    { name: 'NTP', what: 'client request (v4, mode 3)', protocol: UDP, srcPort: 40000, dstPort: 123, pkts: [[true, cat(u8(0x23), u8(0), u8(6), u8(0xec), Buffer.alloc(44))]] },
    { name: 'DHCP', what: 'DISCOVER', protocol: UDP, srcPort: 68, dstPort: 67, pkts: [[true, cat(u8(1), u8(1), u8(6), u8(0), u32(0x3903f326), Buffer.alloc(20), Buffer.from('020000000001', 'hex'), Buffer.alloc(202), u32(0x63825363), Buffer.from([53, 1, 1, 255]))]] },
    { name: 'DHCPV6', what: 'SOLICIT', protocol: UDP, srcPort: 546, dstPort: 547, pkts: [[true, cat(u8(1), u24(0x10203), u16(1), u16(10), u16(3), u16(1), Buffer.from('020000000001', 'hex'), u16(8), u16(2), u16(0))]] },
    { name: 'NetBIOS', what: 'name query (NBNS)', protocol: UDP, srcPort: 137, dstPort: 137, pkts: [[true, cat(u16(0x8a2c), u16(0x0110), u16(1), u16(0), u16(0), u16(0), nbName('WORKGROUP'), u16(0x20), u16(1))]], family: DNS_FAMILY },
    { name: 'NetBIOS', what: 'datagram (NBDS)', protocol: UDP, srcPort: 138, dstPort: 138, pkts: [[true, cat(u8(0x11), u8(0x02), u16(0x8001), Buffer.from([192, 168, 1, 2]), u16(138), u16(100), u16(0), nbName('HOST'), nbName('WORKGROUP'), Buffer.alloc(32))]] },
    { name: 'NetBIOS', what: 'session request (NBSS)', protocol: TCP, srcPort: 40000, dstPort: 139, pkts: [[true, cat(u8(0x81), u8(0), u16(68), nbName('SERVER'), nbName('CLIENT'))]] },
    { name: 'NetBIOS', what: 'SMB2 in a session message (nDPI: NetBIOS.SMBv23)', protocol: TCP, srcPort: 40000, dstPort: 445, pkts: [[true, smb2Negotiate()]] },
    { name: 'SSDP', what: 'M-SEARCH', protocol: UDP, srcPort: 40000, dstPort: 1900, pkts: [[true, text('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n')]] },
    { name: 'SSDP', what: 'NOTIFY', protocol: UDP, srcPort: 1900, dstPort: 1900, pkts: [[true, text('NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n\r\n')]] },
    { name: 'SNMP', what: 'v2c get-request', protocol: UDP, srcPort: 40000, dstPort: 161, pkts: [[true, ber(0x30, cat(berInt(1), berStr('public'), ber(0xa0, cat(berInt(1), berInt(0), berInt(0), ber(0x30, ber(0x30, cat(ber(0x06, Buffer.from([0x2b, 6, 1, 2, 1, 1, 1, 0])), Buffer.from([5, 0]))))))))]] },
    { name: 'Syslog', what: 'RFC 3164 on 514', protocol: UDP, srcPort: 40000, dstPort: 514, pkts: [[true, text('<34>Oct 11 22:14:15 mymachine su: \'su root\' failed for lonvick on /dev/pts/8')]] },
    { name: 'Syslog', what: 'RFC 5424 elsewhere', protocol: UDP, srcPort: 40000, dstPort: 6514, pkts: [[true, text('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - An application event')]] },
    { name: 'STUN', what: 'Binding request + response', protocol: UDP, srcPort: 40000, dstPort: 3478, pkts: [[true, stunMessage(0x0001, [stunAttr(0x8022, text('test'))])], [false, stunMessage(0x0101, [stunAttr(0x0020, Buffer.from('0001a1b2c3d4e5f6', 'hex'))])]] },
    { name: 'DTLS', what: 'STUN (ICE) then a DTLS ClientHello', protocol: UDP, srcPort: 40000, dstPort: 50000, pkts: [[true, stunMessage(0x0001)], [false, stunMessage(0x0101)], [true, dtlsClientHello()]] },
    { name: 'RTP', what: 'two consecutive packets', protocol: UDP, srcPort: 40000, dstPort: 40002, pkts: [[true, rtpPacket(1000)], [true, rtpPacket(1001)]] },
    { name: 'SIP', what: 'INVITE', protocol: UDP, srcPort: 5060, dstPort: 5060, pkts: [[true, text('INVITE sip:bob@biloxi.example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\nMax-Forwards: 70\r\n\r\n')]] },
    { name: 'SIP', what: 'response', protocol: UDP, srcPort: 5060, dstPort: 5060, pkts: [[true, text('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP server10.biloxi.example.com\r\n\r\n')]] },
    { name: 'BitTorrent', what: 'peer handshake', protocol: TCP, srcPort: 40000, dstPort: 6881, pkts: [[true, cat(u8(19), text('BitTorrent protocol'), Buffer.alloc(8), Buffer.alloc(20, 0xaa), Buffer.alloc(20, 0xbb))]] },
    { name: 'BitTorrent', what: 'DHT ping', protocol: UDP, srcPort: 40000, dstPort: 6881, pkts: [[true, text('d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe')]] },
    { name: 'Kerberos', what: 'AS-REQ over UDP', protocol: UDP, srcPort: 40000, dstPort: 88, pkts: [[true, ber(0x6a, ber(0x30, cat(ber(0xa1, berInt(5)), ber(0xa2, berInt(10)))))]] },
    { name: 'LDAP', what: 'bindRequest', protocol: TCP, srcPort: 40000, dstPort: 389, pkts: [[true, ber(0x30, cat(berInt(1), ber(0x60, cat(berInt(3), berStr('cn=admin,dc=example,dc=com'), ber(0x80, text('secret'))))))]] },
    { name: 'MySQL', what: 'server greeting (protocol 10)', protocol: TCP, srcPort: 40000, dstPort: 3306, pkts: [[false, (() => { const body = cat(u8(10), text('8.0.36\0'), u32(8), Buffer.alloc(8, 0x41), u8(0), u16(0xffff), u8(0xff), u16(2), u16(0xdfff), u8(21), Buffer.alloc(10), Buffer.alloc(13, 0x42)); return cat(Buffer.from([body.length & 255, body.length >> 8, 0]), u8(0), body); })()]] },
    { name: 'PostgreSQL', what: 'StartupMessage 3.0', protocol: TCP, srcPort: 40000, dstPort: 5432, pkts: [[true, (() => { const body = cat(u32(196608), text('user\0postgres\0database\0app\0\0')); return cat(u32(body.length + 4), body); })()]] },
    { name: 'PostgreSQL', what: 'SSLRequest', protocol: TCP, srcPort: 40000, dstPort: 5433, pkts: [[true, cat(u32(8), u32(80877103))]] },
    { name: 'RDP', what: 'X.224 connection request with cookie', protocol: TCP, srcPort: 40000, dstPort: 3389, pkts: [[true, (() => { const x = cat(u8(0xe0), u16(0), u16(0), u8(0), text('Cookie: mstshash=alice\r\n'), Buffer.from([1, 0, 8, 0, 3, 0, 0, 0])); return cat(u8(3), u8(0), u16(x.length + 5), u8(x.length), x); })()]] },
    { name: 'Service_Location_Protocol', what: 'SLPv2 SrvRqst', protocol: UDP, srcPort: 40000, dstPort: 427, pkts: [[true, (() => { const body = cat(u16(0), u16(0), text('service:printer'), u16(7), text('DEFAULT'), u16(0), u16(0)); const len = 14 + 2 + body.length; return cat(u8(2), u8(1), u24(len), u16(0x2000), u24(0), u16(0x1234), u16(2), text('en'), body); })()]] },
    { name: 'TFTP', what: 'read request', protocol: UDP, srcPort: 40000, dstPort: 69, pkts: [[true, cat(u16(1), text('rfc1350.txt\0octet\0'))]] },
    { name: 'Zabbix', what: 'ZBXD header', protocol: TCP, srcPort: 40000, dstPort: 10051, pkts: [[true, cat(text('ZBXD'), u8(1), Buffer.from([10, 0, 0, 0, 0, 0, 0, 0]), text('{"a":"b"}x'))]] },
    { name: 'MQTT', what: 'CONNECT 3.1.1', protocol: TCP, srcPort: 40000, dstPort: 1883, pkts: [[true, (() => { const v = cat(u16(4), text('MQTT'), u8(4), u8(2), u16(60), u16(3), text('cid')); return cat(u8(0x10), u8(v.length), v); })()]] },
    { name: 'WireGuard', what: 'handshake initiation', protocol: UDP, srcPort: 40000, dstPort: 51820, pkts: [[true, cat(u8(1), Buffer.alloc(3), Buffer.alloc(144, 0x61))]] },
    { name: 'Gnutella', what: 'TCP handshake', protocol: TCP, srcPort: 40000, dstPort: 6346, pkts: [[true, text('GNUTELLA CONNECT/0.6\r\nUser-Agent: test/1.0\r\n\r\n')], [false, text('GNUTELLA/0.6 200 OK\r\n\r\n')]] },
    { name: 'Gnutella', what: 'UDP ping (message header)', protocol: UDP, srcPort: 40000, dstPort: 6346, pkts: [[true, cat(Buffer.alloc(16, 0x3e), u8(0), u8(1), u8(0), Buffer.from([4, 0, 0, 0]), Buffer.alloc(4, 1))]] },
    { name: 'Jabber', what: 'XMPP stream header', protocol: TCP, srcPort: 40000, dstPort: 5222, pkts: [[true, text("<?xml version='1.0'?>")], [true, text("<stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")]] },
    { name: 'BACnet', what: 'BVLC original-broadcast Who-Is', protocol: UDP, srcPort: 47808, dstPort: 47808, pkts: [[true, Buffer.from('810b000c0120ffff00ff1008', 'hex')]] },
    { name: 'DNP3', what: 'link frame over TCP', protocol: TCP, srcPort: 40000, dstPort: 20000, pkts: [[true, cat(Buffer.from('0564', 'hex'), u8(5 + 3), u8(0xc4), u16(1), u16(2), u16(0xabcd), Buffer.from('c0c101', 'hex'), u16(0x1234))]] },
    { name: 'IEC60870', what: 'STARTDT act', protocol: TCP, srcPort: 40000, dstPort: 2404, pkts: [[true, Buffer.from('680407000000', 'hex')]] },
    { name: 'NAT-PMP', what: 'external address request', protocol: UDP, srcPort: 40000, dstPort: 5351, pkts: [[true, Buffer.from('0000', 'hex')]] },
    { name: 'COAP', what: 'confirmable GET', protocol: UDP, srcPort: 40000, dstPort: 5683, pkts: [[true, cat(u8(0x42), u8(0x01), u16(0x1234), u16(0xbeef), u8(0xb4), text('temp'))]] },
    { name: 'DCERPC', what: 'bind (connection-oriented)', protocol: TCP, srcPort: 40000, dstPort: 135, pkts: [[true, cat(Buffer.from([5, 0, 11, 3, 0x10, 0, 0, 0]), Buffer.from([72, 0]), u16(0), u32(1), Buffer.alloc(56, 0))]] },
    { name: 'BGP', what: 'KEEPALIVE', protocol: TCP, srcPort: 40000, dstPort: 179, pkts: [[true, cat(Buffer.alloc(16, 0xff), u16(19), u8(4))]] },
    { name: 'VNC', what: 'RFB version', protocol: TCP, srcPort: 40000, dstPort: 5900, pkts: [[false, text('RFB 003.008\n')]] },
    { name: 'FIX', what: 'logon', protocol: TCP, srcPort: 40000, dstPort: 9876, pkts: [[true, text('8=FIX.4.2\x019=65\x0135=A\x0149=CLIENT\x0156=SERVER\x0134=1\x0152=20240101-00:00:00\x0198=0\x01108=30\x0110=062\x01')]] },
    { name: 'NFS', what: 'RPC call to NFS v3 (UDP)', protocol: UDP, srcPort: 800, dstPort: 2049, pkts: [[true, cat(u32(0x12345678), u32(0), u32(2), u32(100003), u32(3), u32(1), u32(0), u32(0), u32(0), u32(0), Buffer.alloc(32, 0))]] },
    { name: 'DNScrypt', what: 'certificate query', protocol: UDP, srcPort: 40000, dstPort: 443, pkts: [[true, app.dnsQuery({ id: 9, name: '2.dnscrypt-cert.example.org', type: 16 })]] },
  ];
  return out;
}

// ---------------------------------------------------------------------------

t.test('API: names, ids, IP protocols', async (t) => {
  t.equal(APP_UNKNOWN, 0);
  t.equal(APP_NAMES[0], '', 'id 0 is unknown');
  t.equal(new Set(APP_NAMES).size, APP_NAMES.length, 'names are unique');
  for (let i = 1; i < APP_NAMES.length; i++) t.equal(appIdOf(APP_NAMES[i]), i, `appIdOf(${APP_NAMES[i]})`);
  t.equal(appIdOf('NoSuchProtocol'), -1);
  t.equal(appIdOf(''), -1, 'the empty name is not a protocol');
  for (const n of ['DNS', 'HTTP', 'TLS', 'QUIC', 'SSH', 'SMTP', 'IMAP', 'POP3', 'FTP_CONTROL', 'NTP', 'DHCP', 'DHCPV6', 'MDNS', 'LLMNR', 'NetBIOS',
    'SSDP', 'SNMP', 'Syslog', 'STUN', 'RTP', 'SIP', 'Radius', 'GTP', 'BitTorrent', 'Kerberos', 'LDAP', 'MySQL', 'PostgreSQL', 'RDP', 'SMBv23',
    'SMBv1', 'ICMP', 'ICMPV6', 'IGMP', 'IPSec']) {
    t.ok(appIdOf(n) > 0, `${n} is a known name (nDPI spelling)`);
  }
  for (const n of PORT_GUESS_ONLY) t.ok(appIdOf(n) > 0, `port-guess name ${n} is in APP_NAMES`);
  const byProto = (protocol: number, v = 4) => {
    const f = newFlow(protocol, 0, 0);
    classifyByProtocol(f, v);
    return nameOf(f);
  };
  t.equal(byProto(1), 'ICMP');
  t.equal(byProto(58, 6), 'ICMPV6');
  t.equal(byProto(2), 'IGMP');
  t.equal(byProto(47), 'GRE');
  t.equal(byProto(50), 'IPSec');
  t.equal(byProto(51), 'IPSec');
  t.equal(byProto(89), 'OSPF');
  t.equal(byProto(112), 'VRRP');
  t.equal(byProto(132), 'SCTP');
  t.equal(byProto(6), '', 'TCP needs payload');
  t.equal(byProto(17), '', 'UDP needs payload');
});

t.test('each signature names its protocol', async (t) => {
  for (const s of samples()) {
    // Ended as the pipeline ends a flow: a signature waiting for more packets (STUN) decides then.
    const f = classify(s.protocol, s.srcPort, s.dstPort, s.pkts, true);
    t.equal(nameOf(f), s.name, `${s.name}: ${s.what}`);
    t.equal(f.appGuessed, false, `${s.name}: ${s.what} is decided by payload, not by port`);
    // The same on a flow seen from the other side (initiator = responder) where the signature does not depend on direction.
    if (s.pkts.length === 1) {
      const g = classify(s.protocol, s.dstPort, s.srcPort, s.pkts.map(([fwd, p]) => [!fwd, p] as Pkt), true);
      t.equal(nameOf(g), s.name, `${s.name}: ${s.what}, seen from the responder`);
    }
  }
});

t.test('no signature fires on another protocol\'s payload', async (t) => {
  const all = samples();
  let checked = 0;
  const wrong: string[] = [];
  for (const host of all) {
    for (const guest of all) {
      if (guest.protocol !== host.protocol || guest === host) continue;
      const f = classify(host.protocol, host.srcPort, host.dstPort, guest.pkts, false);
      const got = APP_NAMES[f.appId];
      checked++;
      const ok = got === '' || got === guest.name || (guest.family ?? []).includes(got) ||
        // A format decided by port where it is ambiguous: DNS-family payloads on a DNS-family port.
        (DNS_FAMILY.includes(guest.name) && DNS_FAMILY.includes(got));
      if (!ok) wrong.push(`${guest.name} (${guest.what}) on ${host.name}'s ports ${host.srcPort}->${host.dstPort}: named ${got}`);
    }
  }
  t.same(wrong, [], `${checked} cross checks: a payload is named as its own protocol (or its format family) or not at all`);
});

t.test('multi-packet signatures need their second packet', async (t) => {
  t.equal(nameOf(classify(UDP, 40000, 40002, [[true, rtpPacket(1000)]], false)), '', 'one RTP-looking packet is not enough');
  t.equal(nameOf(classify(UDP, 40000, 40002, [[true, rtpPacket(1000)], [true, rtpPacket(1500)]], false)), '', 'RTP: sequence numbers far apart');
  t.equal(nameOf(classify(UDP, 40000, 40002, [[true, rtpPacket(1000)], [true, rtpPacket(1001, 0, 0x99)]], false)), '', 'RTP: another SSRC');
  t.equal(nameOf(classify(UDP, 40000, 40002, [[true, rtpPacket(1000)], [false, rtpPacket(7, 0, 0x55)], [true, rtpPacket(1001)]], false)), 'RTP', 'RTP: the other direction in between');
  t.equal(nameOf(classify(TCP, 40000, 9999, [[true, app.tlsApplicationData(100).subarray(0, 60)]], false)), '', 'a cut TLS record alone is not enough');
  t.equal(nameOf(classify(TCP, 40000, 2500, [[false, text('220 hello\r\n')]], true)), '', 'a bare 220 greeting on an unknown port decides nothing');
  t.equal(nameOf(classify(TCP, 40000, 25, [[false, text('220 hello\r\n')]], true)), 'SMTP', 'a bare 220 greeting on 25 is SMTP at the end of the flow');
  t.equal(nameOf(classify(UDP, 40000, 50000, [[true, stunMessage(0x0001)], [false, stunMessage(0x0101)]], true)), 'STUN', 'STUN without DTLS stays STUN (decided at the end, not a guess)');
  const many: Pkt[] = [];
  for (let i = 0; i < MAX_INSPECTED_PACKETS; i++) many.push([i % 2 === 0, stunMessage(i % 2 === 0 ? 0x0001 : 0x0101)]);
  t.equal(nameOf(classify(UDP, 40000, 50000, many, false)), 'STUN', `STUN decided once ${MAX_INSPECTED_PACKETS} packets were inspected`);
});

t.test('guessByPort', async (t) => {
  const guess = (protocol: number, sp: number, dp: number) => {
    const f = newFlow(protocol, sp, dp);
    guessByPort(f);
    return f;
  };
  let f = guess(TCP, 50000, 443);
  t.equal(APP_NAMES[f.appId], 'TLS');
  t.equal(f.appGuessed, true, 'marked as a guess');
  t.equal(nameOf(guess(UDP, 50000, 443)), 'QUIC?');
  t.equal(nameOf(guess(UDP, 50000, 53)), 'DNS?');
  t.equal(nameOf(guess(UDP, 53, 50000)), 'DNS?', 'the server side may be the initiator (capture started late)');
  t.equal(nameOf(guess(TCP, 50000, 80)), 'HTTP?');
  t.equal(nameOf(guess(TCP, 50000, 445)), 'SMBv23?');
  t.equal(nameOf(guess(UDP, 50000, 1812)), 'Radius?');
  t.equal(nameOf(guess(UDP, 2152, 2152)), 'GTP?');
  f = guess(TCP, 50000, 50001);
  t.equal(f.appId, 0, 'no well-known port: stays unknown');
  t.equal(f.appGuessed, false);
  t.equal(nameOf(guess(132, 0, 0)), '', 'no port table for other IP protocols');
  // A decided flow is left alone.
  f = classify(TCP, 50000, 443, [[true, app.httpRequest({ host: 'x.test' })]], false);
  guessByPort(f);
  t.equal(nameOf(f), 'HTTP', 'payload beats port');
  f = newFlow(1, 0, 0);
  classifyByProtocol(f, 4);
  guessByPort(f);
  t.equal(nameOf(f), 'ICMP');
});

t.test('random payloads are not classified (false-positive rates)', async (t) => {
  const rng = new SeededRandom(0xc1a55);
  const wellKnown = [
    20, 21, 22, 23, 25, 53, 67, 68, 69, 80, 88, 110, 123, 137, 138, 139, 143, 161, 162, 389, 427, 443, 445, 500, 514, 546, 547, 587, 1433, 1719,
    1720, 1812, 1813, 1883, 1900, 1985, 2029, 2123, 2152, 2404, 3268, 3306, 3386, 3389, 3478, 4500, 5060, 5351, 5353, 5355, 5432, 5683, 6346,
    6881, 10051, 20000, 47808,
  ];
  const randomPayload = () => {
    // Mostly short (headers are where signatures look), some full-size.
    const len = rng.next() < 0.7 ? rng.int(1, 120) : rng.int(121, 1460);
    return rng.bytes(len);
  };
  const run = (label: string, flows: number, pktsPerFlow: number, port: () => number) => {
    const hits = new Map<string, number>();
    let named = 0;
    for (let i = 0; i < flows; i++) {
      const protocol = rng.next() < 0.5 ? TCP : UDP;
      const pkts: Pkt[] = [];
      for (let k = 0; k < pktsPerFlow; k++) pkts.push([rng.next() < 0.5, randomPayload()]);
      const f = classify(protocol, rng.int(1024, 65535), port(), pkts, false);
      if (f.appId !== 0) {
        named++;
        const key = `${protocol === TCP ? 'tcp' : 'udp'} ${APP_NAMES[f.appId]}`;
        hits.set(key, (hits.get(key) ?? 0) + 1);
      }
    }
    const rate = named / flows;
    t.comment(`${label}: ${named}/${flows} = ${(100 * rate).toFixed(3)}% named` + (named ? ` (${[...hits.entries()].map(([k, v]) => `${k} ${v}`).join(', ')})` : ''));
    return rate;
  };
  const ephemeral = run('10000 single random packets, ephemeral ports', 10_000, 1, () => rng.int(20000, 65535));
  t.ok(ephemeral <= 0.0005, 'at most 0.05% of random single packets on ephemeral ports get a name');
  const known = run('10000 single random packets, well-known ports', 10_000, 1, () => rng.pick(wellKnown));
  t.ok(known <= 0.005, 'at most 0.5% of random single packets on well-known ports get a name');
  const multi = run(`1000 flows of ${MAX_INSPECTED_PACKETS} random packets, ephemeral ports`, 1000, MAX_INSPECTED_PACKETS, () => rng.int(20000, 65535));
  t.ok(multi <= 0.005, `at most 0.5% of random ${MAX_INSPECTED_PACKETS}-packet flows get a name`);
  const multiKnown = run(`1000 flows of ${MAX_INSPECTED_PACKETS} random packets, well-known ports`, 1000, MAX_INSPECTED_PACKETS, () => rng.pick(wellKnown));
  t.ok(multiKnown <= 0.01, `at most 1% of random ${MAX_INSPECTED_PACKETS}-packet flows on well-known ports get a name`);
});

t.test('never reads outside [off, off+len)', async (t) => {
  // Every prefix of every sample packet, placed at the end of an exactly-sized
  // array: reading past the end yields undefined, which would have to be compared
  // as a number; a wrong read shows up as a different answer than with padding.
  let checked = 0;
  const diffs: string[] = [];
  for (const s of samples()) {
    for (const [fwd, p] of s.pkts) {
      for (let len = 1; len <= p.length; len += len < 64 ? 1 : 37) {
        const exact = new Uint8Array(p.subarray(0, len));
        const padded = new Uint8Array(len + 64).fill(0xff);
        padded.set(exact, 0);
        const a = newFlow(s.protocol, s.srcPort, s.dstPort);
        const b = newFlow(s.protocol, s.srcPort, s.dstPort);
        classifyPacket(a, fwd, exact, 0, len);
        classifyPacket(b, fwd, padded, 0, len);
        checked++;
        if (a.appId !== b.appId || a.appState !== b.appState) diffs.push(`${s.name} ${s.what} prefix ${len}: ${APP_NAMES[a.appId]} vs ${APP_NAMES[b.appId]}`);
      }
    }
  }
  t.same(diffs.slice(0, 10), [], `${checked} truncations: the answer depends only on the bytes given`);
});
