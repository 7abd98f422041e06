/**
 * The application classifier: names a flow's application protocol
 * (`applicationName`) with nDPI's protocol names.
 *
 * Payload signatures come first; each is written from the protocol's
 * specification (RFCs, vendor documents) and checks header fields that must
 * hold (lengths that add up, version numbers, known codes), not just a prefix,
 * so random bytes rarely pass. Ports are used only where the payload format is
 * shared by several protocols (DNS / MDNS / LLMNR / NBNS all use the DNS
 * message layout) or where a format is too loose to be trusted anywhere
 * (NTP, Syslog, Kerberos, LDAP). A flow still unknown when it ends may get a
 * guess from its well-known port (guessByPort), marked as a guess.
 *
 * Hot path: classifyPacket reads bytes by offset, compares against byte
 * patterns made once at load time, keeps multi-packet state in plain numbers
 * on the flow and never allocates or builds strings.
 */

export const APP_UNKNOWN = 0;

/** nDPI's protocol names, index = app id; APP_NAMES[0] === '' (unknown). */
export const APP_NAMES: readonly string[] = [
  '',
  'DNS', // 1
  'HTTP',
  'TLS',
  'QUIC',
  'SSH', // 5
  'SMTP',
  'IMAP',
  'POP3',
  'FTP_CONTROL',
  'NTP', // 10
  'DHCP',
  'DHCPV6',
  'MDNS',
  'LLMNR',
  'NetBIOS', // 15
  'SSDP',
  'SNMP',
  'Syslog',
  'STUN',
  'RTP', // 20
  'RTCP',
  'SIP',
  'Radius',
  'GTP',
  'BitTorrent', // 25
  'Kerberos',
  'LDAP',
  'MySQL',
  'PostgreSQL',
  'RDP', // 30
  'SMBv23',
  'SMBv1',
  'ICMP',
  'ICMPV6',
  'IGMP', // 35
  'GRE',
  'IPSec',
  'OSPF',
  'VRRP',
  'SCTP', // 40
  'IP_PIM',
  'PGM',
  'Service_Location_Protocol',
  'DTLS',
  'TFTP', // 45
  'RTSP',
  'MQTT',
  'Zabbix',
  'FIX',
  'VNC', // 50
  'BGP',
  'RSYNC',
  'MongoDB',
  'WireGuard',
  'DCERPC', // 55
  'MsSQL-TDS',
  'H323',
  'NFS',
  'BJNP',
  'Telnet', // 60
  'HSRP',
  'DNScrypt',
  'Gnutella',
  'Jabber',
  'BACnet',
  'DNP3',
  'IEC60870',
  'NAT-PMP',
  'COAP',
  // Names given only as port guesses (see guessByPort).
  'IMAPS',
  'SMTPS',
  'POPS',
  'HTTP_Proxy', // 65
  'FTPS',
  'Whois-DAS',
  'DoH_DoT',
  'OpenVPN',
];

/** Names we give only as port guesses (no payload signature): not claimed as detected. */
export const PORT_GUESS_ONLY: ReadonlySet<string> = new Set(['IMAPS', 'SMTPS', 'POPS', 'HTTP_Proxy', 'FTPS', 'Whois-DAS', 'DoH_DoT', 'OpenVPN']);

const APP_ID_BY_NAME: ReadonlyMap<string, number> = new Map(APP_NAMES.map((n, i) => [n, i] as const).filter(([n]) => n !== ''));

/** The id of an application name (exact nDPI spelling); -1 when not a name we know. */
export function appIdOf(name: string): number {
  return APP_ID_BY_NAME.get(name) ?? -1;
}

function id(name: string): number {
  const i = appIdOf(name);
  if (i < 0) throw new Error(`classifier: unknown application name ${name}`);
  return i;
}

export const APP_DNS = id('DNS');
export const APP_HTTP = id('HTTP');
export const APP_TLS = id('TLS');
export const APP_QUIC = id('QUIC');
export const APP_SSH = id('SSH');
export const APP_SMTP = id('SMTP');
export const APP_IMAP = id('IMAP');
export const APP_POP3 = id('POP3');
export const APP_FTP = id('FTP_CONTROL');
export const APP_NTP = id('NTP');
export const APP_DHCP = id('DHCP');
export const APP_DHCPV6 = id('DHCPV6');
export const APP_MDNS = id('MDNS');
export const APP_LLMNR = id('LLMNR');
export const APP_NETBIOS = id('NetBIOS');
export const APP_SSDP = id('SSDP');
export const APP_SNMP = id('SNMP');
export const APP_SYSLOG = id('Syslog');
export const APP_STUN = id('STUN');
export const APP_RTP = id('RTP');
export const APP_RTCP = id('RTCP');
export const APP_SIP = id('SIP');
export const APP_RADIUS = id('Radius');
export const APP_GTP = id('GTP');
export const APP_BITTORRENT = id('BitTorrent');
export const APP_KERBEROS = id('Kerberos');
export const APP_LDAP = id('LDAP');
export const APP_MYSQL = id('MySQL');
export const APP_POSTGRES = id('PostgreSQL');
export const APP_RDP = id('RDP');
export const APP_SMB23 = id('SMBv23');
export const APP_SMB1 = id('SMBv1');
export const APP_ICMP = id('ICMP');
export const APP_ICMPV6 = id('ICMPV6');
export const APP_IGMP = id('IGMP');
export const APP_GRE = id('GRE');
export const APP_IPSEC = id('IPSec');
export const APP_OSPF = id('OSPF');
export const APP_VRRP = id('VRRP');
export const APP_SCTP = id('SCTP');
export const APP_PIM = id('IP_PIM');
export const APP_PGM = id('PGM');
export const APP_SLP = id('Service_Location_Protocol');
export const APP_DTLS = id('DTLS');
export const APP_TFTP = id('TFTP');
export const APP_RTSP = id('RTSP');
export const APP_MQTT = id('MQTT');
export const APP_ZABBIX = id('Zabbix');
export const APP_FIX = id('FIX');
export const APP_VNC = id('VNC');
export const APP_BGP = id('BGP');
export const APP_RSYNC = id('RSYNC');
export const APP_MONGODB = id('MongoDB');
export const APP_WIREGUARD = id('WireGuard');
export const APP_DCERPC = id('DCERPC');
export const APP_TDS = id('MsSQL-TDS');
export const APP_H323 = id('H323');
export const APP_NFS = id('NFS');
export const APP_BJNP = id('BJNP');
export const APP_TELNET = id('Telnet');
export const APP_HSRP = id('HSRP');
export const APP_DNSCRYPT = id('DNScrypt');
export const APP_GNUTELLA = id('Gnutella');
export const APP_JABBER = id('Jabber');
export const APP_BACNET = id('BACnet');
export const APP_DNP3 = id('DNP3');
export const APP_IEC60870 = id('IEC60870');
export const APP_NATPMP = id('NAT-PMP');
export const APP_COAP = id('COAP');

/** What the classifier keeps per flow: plain numbers, stored on the Flow object (no allocation per packet). */
export interface ClassifiedFlow {
  readonly protocol: number; // IP protocol
  readonly srcPort: number; // the initiator's port
  readonly dstPort: number;
  appId: number; // 0 until decided
  appGuessed: boolean; // true when decided by port only
  appPackets: number; // payload-carrying packets inspected so far (the classifier increments it)
  appState: number; // scratch bits for multi-packet signatures; 0 at flow start
}

/** Most payload packets inspected per flow before giving up (the caller stops calling classifyPacket). */
export const MAX_INSPECTED_PACKETS = 12;

const IPPROTO_ICMP = 1;
const IPPROTO_IGMP = 2;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_GRE = 47;
const IPPROTO_ESP = 50;
const IPPROTO_AH = 51;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_OSPF = 89;
const IPPROTO_PIM = 103;
const IPPROTO_VRRP = 112;
const IPPROTO_PGM = 113;
const IPPROTO_SCTP = 132;

/** At flow creation: protocols decided by the IP protocol alone. */
export function classifyByProtocol(flow: ClassifiedFlow, ipVersion: number): void {
  let app = 0;
  switch (flow.protocol) {
    case IPPROTO_ICMP: app = ipVersion === 6 ? 0 : APP_ICMP; break;
    case IPPROTO_ICMPV6: app = APP_ICMPV6; break;
    case IPPROTO_IGMP: app = APP_IGMP; break;
    case IPPROTO_GRE: app = APP_GRE; break;
    case IPPROTO_ESP:
    case IPPROTO_AH: app = APP_IPSEC; break;
    case IPPROTO_OSPF: app = APP_OSPF; break;
    case IPPROTO_PIM: app = APP_PIM; break;
    case IPPROTO_VRRP: app = APP_VRRP; break;
    case IPPROTO_PGM: app = APP_PGM; break;
    case IPPROTO_SCTP: app = APP_SCTP; break;
    default: return;
  }
  if (app !== 0) {
    flow.appId = app;
    flow.appGuessed = false;
  }
}

// ---------------------------------------------------------------------------
// Byte helpers (no allocation)

function u16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}
function u16le(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8);
}
function u24(b: Uint8Array, i: number): number {
  return (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
}
function u32(b: Uint8Array, i: number): number {
  return b[i] * 0x1000000 + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
}
function u32le(b: Uint8Array, i: number): number {
  return b[i + 3] * 0x1000000 + ((b[i + 2] << 16) | (b[i + 1] << 8) | b[i]);
}

function pat(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** b[o, o+n) starts with p. */
function starts(b: Uint8Array, o: number, n: number, p: Uint8Array): boolean {
  if (n < p.length) return false;
  for (let i = 0; i < p.length; i++) if (b[o + i] !== p[i]) return false;
  return true;
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** Case-insensitive prefix match; p is lower case. */
function startsCI(b: Uint8Array, o: number, n: number, p: Uint8Array): boolean {
  if (n < p.length) return false;
  for (let i = 0; i < p.length; i++) if (lower(b[o + i]) !== p[i]) return false;
  return true;
}

/** Index (relative to o) of p within the first `limit` bytes of b[o, o+n), case-insensitive (p lower case); -1 if absent. */
function findCI(b: Uint8Array, o: number, n: number, p: Uint8Array, limit: number): number {
  const end = Math.min(n, limit) - p.length;
  const c0 = p[0];
  outer: for (let i = 0; i <= end; i++) {
    if (lower(b[o + i]) !== c0) continue;
    for (let j = 1; j < p.length; j++) if (lower(b[o + i + j]) !== p[j]) continue outer;
    return i;
  }
  return -1;
}

/** Length of the first line (up to CR or LF), or -1 when no line end within `limit`. */
function lineLength(b: Uint8Array, o: number, n: number, limit: number): number {
  const end = Math.min(n, limit);
  for (let i = 0; i < end; i++) if (b[o + i] === 0x0d || b[o + i] === 0x0a) return i;
  return -1;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
function isPrintable(c: number): boolean {
  return c >= 0x20 && c < 0x7f;
}
/** Every byte of b[o, o+k) printable ASCII or TAB. */
function allPrintable(b: Uint8Array, o: number, k: number): boolean {
  for (let i = 0; i < k; i++) {
    const c = b[o + i];
    if (!(isPrintable(c) || c === 0x09)) return false;
  }
  return true;
}

function hasPort(f: ClassifiedFlow, port: number): boolean {
  return f.srcPort === port || f.dstPort === port;
}

// ---------------------------------------------------------------------------
// Multi-packet state (flow.appState): kind in the low 4 bits, data above.

const ST_NONE = 0;
/** A "220" greeting that named neither SMTP nor FTP. */
const ST_BANNER_220 = 1;
/** One RTP-looking packet: data = direction + 2 * sequence + 2^17 * (SSRC & 0xffff). */
const ST_RTP = 2;
/** One TLS record that is not a handshake (mid-session capture). */
const ST_TLS_RECORD = 3;
/** A USER/PASS command seen (FTP or POP3): data = 1. */
const ST_USER = 4;

/** A STUN message: STUN unless DTLS follows (WebRTC: ICE, then the DTLS handshake). */
const ST_STUN = 5;
/** One uTP (BEP 29) header: data = direction + 2 * connection id + 2^17 * seq_nr + 2^33 * (type is SYN). */
const ST_UTP = 6;
/** A TFTP DATA or OACK packet: data = direction + 2 * block. */
const ST_TFTP = 7;
/** An MQTT PINGREQ (0xc0 0x00): data = direction. */
const ST_MQTT_PING = 8;

/** One ESP-in-UDP packet: data = direction + 2 * (SPI & 0xffff) + 2^17 * (sequence & 0xffff). */
const ST_ESP = 9;

function stKind(s: number): number {
  return s % 16;
}
function stData(s: number): number {
  return Math.floor(s / 16);
}
function st(kind: number, data: number): number {
  return data * 16 + kind;
}

// ---------------------------------------------------------------------------
// Patterns

const P_SSH = pat('SSH-');
const P_HTTP10 = pat('HTTP/1.');
const P_HTTP2_PREFACE = pat('PRI * HTTP/2.0');
const P_RTSP_VER = pat('rtsp/1.');
const P_SIP_VER = pat('SIP/2.0');
const P_SIP_VER_LC = pat('sip/2.0');
const P_HTTP_VER_LC = pat('http/1.');
const P_BITTORRENT = pat('\x13BitTorrent protocol');
const P_MSEARCH = pat('M-SEARCH * HTTP/1.1');
const P_NOTIFY = pat('NOTIFY * HTTP/1.1');
const P_HTTP11_200 = pat('HTTP/1.1 200');
const P_SMTP_LC = pat('smtp');
const P_FTP_LC = pat('ftp');
const P_EHLO = pat('ehlo ');
const P_HELO = pat('helo ');
const P_MAIL_FROM = pat('mail from:');
const P_USER = pat('user ');
const P_PASS = pat('pass ');
const P_AUTH_TLS = pat('auth tls');
const P_AUTH_SSL = pat('auth ssl');
const P_FEAT = pat('feat');
const P_SYST = pat('syst');
const P_CAPA = pat('capa');
const P_APOP = pat('apop ');
const P_UIDL = pat('uidl');
const P_STLS = pat('stls');
const P_POP_OK = pat('+OK');
const P_POP_ERR = pat('-ERR');
const P_IMAP_OK = pat('* OK');
const P_IMAP_PREAUTH = pat('* PREAUTH');
const P_IMAP_LC = pat('imap');
const P_IMAP_CAPS = pat('* CAPABILITY');
const P_MYSQL_ERR_HOST = pat('Host ');
const P_RFB = pat('RFB ');
const P_FIX = pat('8=FIX');
const P_ZBXD = pat('ZBXD');
const P_RSYNC = pat('@RSYNCD:');
const P_BJNP = pat('BJNP');
const P_MSTSHASH = pat('Cookie: mstshash=');
const P_DHT_Q = pat('d1:ad2:id20:');
const P_DHT_R = pat('d1:rd2:id20:');
const P_DHT_R2 = pat('d2:ip6:');
const P_DHT_E = pat('d1:eli');
const P_MQTT = pat('\x00\x04MQTT');
const P_BLKSIZE = pat('blksize\x00');
const P_TSIZE = pat('tsize\x00');
const P_TIMEOUT = pat('timeout\x00');
const P_WINDOWSIZE = pat('windowsize\x00');
const P_DNSCRYPT_CERT = pat('\x012\x0ddnscrypt-cert');
const P_DNSCRYPT_RESOLVER_MAGIC = pat('r6fnvWj8');
const P_GNUTELLA_CONNECT = pat('GNUTELLA CONNECT/');
const P_GNUTELLA_OK = pat('GNUTELLA/0.');
/** gtk-gnutella / LimeWire UDP reliable layer: "GND", flags, sequence, fragment number, fragment count. */
const P_GND = pat('GND');
const P_STREAM = pat('<stream:stream');
const P_STREAM_END = pat('</stream:stream');
const P_XML_DECL = pat('<?xml');
const P_BT_SEARCH = pat('BT-SEARCH * HTTP/1.1');
const P_USN_LC = pat('\r\nusn:');
const P_MQISDP = pat('\x00\x06MQIsdp');

/** HTTP methods (RFC 9110, RFC 4918 WebDAV), each followed by a space. */
const HTTP_METHODS: readonly Uint8Array[] = [
  'GET ', 'POST ', 'HEAD ', 'PUT ', 'DELETE ', 'OPTIONS ', 'CONNECT ', 'PATCH ', 'TRACE ',
  'PROPFIND ', 'PROPPATCH ', 'MKCOL ', 'COPY ', 'MOVE ', 'LOCK ', 'UNLOCK ', 'SEARCH ', 'REPORT ',
  'SUBSCRIBE ', 'UNSUBSCRIBE ', 'NOTIFY ', 'M-SEARCH ', 'MKCALENDAR ',
].map(pat);

/** RTSP methods (RFC 2326 / 7826). */
const RTSP_METHODS: readonly Uint8Array[] = [
  'OPTIONS ', 'DESCRIBE ', 'ANNOUNCE ', 'SETUP ', 'PLAY ', 'PAUSE ', 'TEARDOWN ', 'GET_PARAMETER ',
  'SET_PARAMETER ', 'REDIRECT ', 'RECORD ',
].map(pat);

/** SIP methods (RFC 3261 and extensions). */
const SIP_METHODS: readonly Uint8Array[] = [
  'INVITE ', 'ACK ', 'BYE ', 'CANCEL ', 'OPTIONS ', 'REGISTER ', 'PRACK ', 'SUBSCRIBE ', 'NOTIFY ',
  'PUBLISH ', 'INFO ', 'REFER ', 'MESSAGE ', 'UPDATE ',
].map(pat);

/** IMAP commands a client sends first (RFC 9051), lower case. */
const IMAP_COMMANDS: readonly Uint8Array[] = [
  'capability', 'login ', 'authenticate ', 'starttls', 'noop', 'logout', 'select ', 'examine ', 'id ', 'id(',
  'list ', 'lsub ', 'status ', 'fetch ', 'uid ', 'enable ', 'namespace', 'idle',
].map(pat);

/** Length of the method in `methods` that b[o..] starts with, else 0. */
function methodLength(b: Uint8Array, o: number, n: number, methods: readonly Uint8Array[]): number {
  const c = b[o];
  if (c < 0x41 || c > 0x5a) return 0;
  for (let i = 0; i < methods.length; i++) {
    const m = methods[i];
    if (m[0] === c && starts(b, o, n, m)) return m.length;
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Entry points

/** One packet's transport payload buf[off, off+len), len > 0; forward = sent by the initiator. */
export function classifyPacket(flow: ClassifiedFlow, forward: boolean, buf: Uint8Array, off: number, len: number): void {
  if (flow.appId !== 0 || len <= 0) return;
  flow.appPackets++;
  let app = 0;
  if (flow.protocol === IPPROTO_TCP) app = tcp(flow, forward, buf, off, len);
  else if (flow.protocol === IPPROTO_UDP) app = udp(flow, forward, buf, off, len);
  if (app !== 0) {
    flow.appId = app;
    flow.appGuessed = false;
    flow.appState = ST_NONE;
  } else if (flow.appPackets >= MAX_INSPECTED_PACKETS) {
    settlePending(flow);
  }
}

/**
 * A signature still waiting for packets when inspection stops (or the flow
 * ends) decides with what it has: STUN stays STUN; a "220" greeting or a
 * USER command is told apart by the mail / file-transfer port.
 */
function settlePending(flow: ClassifiedFlow): void {
  const k = stKind(flow.appState);
  let app = 0;
  if (k === ST_STUN) app = APP_STUN;
  else if (k === ST_BANNER_220) {
    if (hasPort(flow, 25) || hasPort(flow, 587) || hasPort(flow, 465) || hasPort(flow, 2525)) app = APP_SMTP;
    else if (hasPort(flow, 21)) app = APP_FTP;
  } else if (k === ST_USER) {
    if (hasPort(flow, 110)) app = APP_POP3;
    else if (hasPort(flow, 21)) app = APP_FTP;
  }
  if (app !== 0) {
    flow.appId = app;
    flow.appGuessed = false;
    flow.appState = ST_NONE;
  }
}

/** Well-known ports (responder's port first) for flows still unknown at their end. */
const TCP_PORT_GUESS = new Map<number, number>([
  [80, APP_HTTP], [8080, id('HTTP_Proxy')], [3128, id('HTTP_Proxy')], [443, APP_TLS], [22, APP_SSH], [25, APP_SMTP],
  [587, APP_SMTP], [465, id('SMTPS')], [143, APP_IMAP], [993, id('IMAPS')], [110, APP_POP3], [995, id('POPS')],
  [21, APP_FTP], [990, id('FTPS')], [53, APP_DNS], [853, id('DoH_DoT')], [139, APP_NETBIOS], [445, APP_SMB23],
  [88, APP_KERBEROS], [389, APP_LDAP], [3306, APP_MYSQL], [5432, APP_POSTGRES], [3389, APP_RDP], [554, APP_RTSP],
  [1883, APP_MQTT], [10050, APP_ZABBIX], [10051, APP_ZABBIX], [5900, APP_VNC], [179, APP_BGP], [873, APP_RSYNC],
  [27017, APP_MONGODB], [135, APP_DCERPC], [1433, APP_TDS], [1720, APP_H323], [2049, APP_NFS], [23, APP_TELNET],
  [5060, APP_SIP], [5061, APP_SIP], [427, APP_SLP], [43, id('Whois-DAS')], [1194, id('OpenVPN')], [1812, APP_RADIUS],
  [1719, APP_H323], [1434, APP_TDS], [5901, APP_VNC], [514, APP_SYSLOG], [3478, APP_STUN], [20000, APP_DNP3],
  [2404, APP_IEC60870],
]);
const UDP_PORT_GUESS = new Map<number, number>([
  [53, APP_DNS], [443, APP_QUIC], [123, APP_NTP], [67, APP_DHCP], [68, APP_DHCP], [547, APP_DHCPV6], [546, APP_DHCPV6],
  [5353, APP_MDNS], [5355, APP_LLMNR], [137, APP_NETBIOS], [138, APP_NETBIOS], [1900, APP_SSDP], [161, APP_SNMP],
  [162, APP_SNMP], [514, APP_SYSLOG], [3478, APP_STUN], [5060, APP_SIP], [1812, APP_RADIUS], [1813, APP_RADIUS],
  [1645, APP_RADIUS], [1646, APP_RADIUS], [2152, APP_GTP], [2123, APP_GTP], [88, APP_KERBEROS], [389, APP_LDAP],
  [500, APP_IPSEC], [4500, APP_IPSEC], [427, APP_SLP], [69, APP_TFTP], [51820, APP_WIREGUARD], [1985, APP_HSRP],
  [8612, APP_BJNP], [1194, id('OpenVPN')], [47808, APP_BACNET], [5351, APP_NATPMP], [5683, APP_COAP], [1719, APP_H323], [3386, APP_GTP], [2029, APP_HSRP], [6771, APP_BITTORRENT],
]);

/**
 * When a flow ends still unknown: a multi-packet signature that saw enough to
 * decide (e.g. STUN that might have turned into DTLS) decides, else a guess
 * from well-known ports (sets appGuessed), or leaves 0.
 */
export function guessByPort(flow: ClassifiedFlow): void {
  if (flow.appId !== 0) return;
  // A payload signature that was waiting for more packets decides first (not a guess).
  settlePending(flow);
  if (flow.appId !== 0) return;
  const table = flow.protocol === IPPROTO_TCP ? TCP_PORT_GUESS : flow.protocol === IPPROTO_UDP ? UDP_PORT_GUESS : null;
  if (table === null) return;
  const app = table.get(flow.dstPort) ?? (flow.srcPort < 1024 || flow.dstPort >= 1024 ? table.get(flow.srcPort) : undefined);
  if (app !== undefined) {
    flow.appId = app;
    flow.appGuessed = true;
  }
}

// ---------------------------------------------------------------------------
// TCP

function tcp(f: ClassifiedFlow, fwd: boolean, b: Uint8Array, o: number, n: number): number {
  const c0 = b[o];
  let a: number;
  // Binary record formats, by first byte.
  switch (c0) {
    case 0x16:
    case 0x14:
    case 0x15:
    case 0x17:
      a = tls(f, fwd, b, o, n);
      if (a !== 0) return a;
      break;
    case 0x13:
      if (starts(b, o, n, P_BITTORRENT)) return APP_BITTORRENT;
      break;
    case 0x03:
      a = tpkt(f, b, o, n);
      if (a !== 0) return a;
      break;
    case 0x00:
    case 0x81:
    case 0x82:
    case 0x83:
    case 0x85:
      a = netbiosSession(f, b, o, n);
      if (a !== 0) return a;
      break;
    case 0x10:
      if (mqttConnect(b, o, n)) return APP_MQTT;
      break;
    case 0x12:
      if (tdsPrelogin(b, o, n)) return APP_TDS;
      break;
    case 0x05:
      if (dcerpc(b, o, n)) return APP_DCERPC;
      break;
    case 0xff:
      if (bgp(b, o, n)) return APP_BGP;
      if (telnet(f, b, o, n)) return APP_TELNET;
      break;
    case 0x80:
      if (sslv2Hello(b, o, n)) return APP_TLS;
      break;
  }
  if (c0 >= 0x80 && rpcRecord(b, o, n)) return APP_NFS;
  if (c0 === 0x05 && dnp3(b, o, n)) return APP_DNP3;
  if (c0 === 0x68 && (hasPort(f, 2404)) && iec104(b, o, n)) return APP_IEC60870;
  if (c0 === 0xc0 && n === 2 && b[o + 1] === 0) {
    f.appState = st(ST_MQTT_PING, fwd ? 1 : 0);
    return 0;
  }
  if (c0 === 0xd0 && n === 2 && b[o + 1] === 0 && stKind(f.appState) === ST_MQTT_PING && stData(f.appState) !== (fwd ? 1 : 0)) return APP_MQTT;
  if (c0 === 0 && postgres(b, o, n)) return APP_POSTGRES;
  if (mysqlGreeting(b, o, n)) return APP_MYSQL;
  if (mongo(b, o, n)) return APP_MONGODB;
  if ((c0 === 0 || c0 === 0x80) && (hasPort(f, 53) || hasPort(f, 5353))) {
    const l = u16(b, o);
    if (n >= 14 && l >= 12 && l + 2 >= n && dnsMessage(b, o + 2, Math.min(n - 2, l), true)) return APP_DNS;
  }
  if (c0 === 0 && n >= 4 && hasPort(f, 88) && kerberosTcp(b, o, n)) return APP_KERBEROS;
  if (c0 === 0x30 && ((hasPort(f, 389) || hasPort(f, 3268)) ? ldap(b, o, n) : ldapBind(b, o, n))) return APP_LDAP;
  // STUN over TCP with RFC 4571 framing (ICE-TCP).
  if (c0 === 0 && n >= 22 && u16(b, o) === n - 2 && stun(b, o + 2, n - 2)) return APP_STUN;
  if (stun(b, o, n)) return APP_STUN;
  // Text protocols.
  return tcpText(f, fwd, b, o, n);
}

function tcpText(f: ClassifiedFlow, fwd: boolean, b: Uint8Array, o: number, n: number): number {
  const c0 = b[o];
  const state = f.appState;
  const kind = stKind(state);
  if (c0 >= 0x41 && c0 <= 0x5a) {
    if (starts(b, o, n, P_SSH) && n >= 8 && isDigit(b[o + 4])) return APP_SSH;
    if (starts(b, o, n, P_HTTP10) && n >= 12 && b[o + 8] === 0x20 && isDigit(b[o + 9]) && isDigit(b[o + 10]) && isDigit(b[o + 11])) return APP_HTTP;
    if (starts(b, o, n, P_SIP_VER) && n >= 9 && b[o + 7] === 0x20) return APP_SIP;
    if (starts(b, o, n, P_RFB) && n >= 12 && isDigit(b[o + 4]) && b[o + 7] === 0x2e) return APP_VNC;
    if (starts(b, o, n, P_ZBXD) && n >= 5 && (b[o + 4] & 0xfe) <= 2) return APP_ZABBIX;
    if (starts(b, o, n, P_BJNP)) return APP_BJNP;
    if (starts(b, o, n, P_HTTP2_PREFACE)) return APP_HTTP;
    const req = requestLine(b, o, n);
    if (req !== 0) return req;
  }
  if (c0 === 0x47 && (starts(b, o, n, P_GNUTELLA_CONNECT) || starts(b, o, n, P_GNUTELLA_OK))) return APP_GNUTELLA;
  if (c0 === 0x3c && (starts(b, o, n, P_STREAM) || starts(b, o, n, P_STREAM_END) || (starts(b, o, n, P_XML_DECL) && findCI(b, o, n, P_STREAM, 256) > 0))) return APP_JABBER;
  if (c0 === 0x38 && starts(b, o, n, P_FIX)) return APP_FIX;
  if (c0 === 0x3c && syslog(f, b, o, n)) return APP_SYSLOG;
  if (c0 === 0x40 && starts(b, o, n, P_RSYNC)) return APP_RSYNC;
  // Mail and file transfer: server greetings and replies.
  if (isDigit(c0) && n >= 4 && isDigit(b[o + 1]) && isDigit(b[o + 2]) && (b[o + 3] === 0x20 || b[o + 3] === 0x2d)) {
    const code = (c0 - 0x30) * 100 + (b[o + 1] - 0x30) * 10 + (b[o + 2] - 0x30);
    if (code === 220) {
      const line = lineLength(b, o, n, 512);
      const k = line < 0 ? Math.min(n, 512) : line;
      if (findCI(b, o, k, P_SMTP_LC, k) >= 0) return APP_SMTP;
      if (findCI(b, o, k, P_FTP_LC, k) >= 0) return APP_FTP;
      if (findCI(b, o, k, P_IMAP_LC, k) >= 0) return 0;
      if (kind === ST_USER) return hasPort(f, 110) ? APP_POP3 : APP_FTP;
      f.appState = st(ST_BANNER_220, 0);
      return 0;
    }
    if (kind === ST_BANNER_220 || kind === ST_USER) {
      // A reply code only one of the two uses.
      if (code === 331 || code === 230 || code === 215 || code === 257 || code === 227 || code === 229 || code === 150 || code === 226) return APP_FTP;
      if (code === 250 || code === 354 || code === 334 || code === 235) return kind === ST_USER ? APP_FTP : APP_SMTP;
    }
    return 0;
  }
  if (c0 === 0x2b && (starts(b, o, n, P_POP_OK) && (n === 3 || b[o + 3] === 0x20 || b[o + 3] === 0x0d))) return APP_POP3;
  if (c0 === 0x2d && starts(b, o, n, P_POP_ERR) && (kind === ST_USER || hasPort(f, 110))) return APP_POP3;
  if (c0 === 0x2a) {
    if (starts(b, o, n, P_IMAP_OK) || starts(b, o, n, P_IMAP_PREAUTH) || starts(b, o, n, P_IMAP_CAPS)) return APP_IMAP;
  }
  // Client commands.
  if (isAlpha(c0)) {
    if (startsCI(b, o, n, P_EHLO) || startsCI(b, o, n, P_HELO) || startsCI(b, o, n, P_MAIL_FROM)) return APP_SMTP;
    if (startsCI(b, o, n, P_CAPA) || startsCI(b, o, n, P_APOP) || startsCI(b, o, n, P_UIDL) || startsCI(b, o, n, P_STLS)) {
      if (lineEndsSoon(b, o, n)) return APP_POP3;
    }
    if (startsCI(b, o, n, P_AUTH_TLS) || startsCI(b, o, n, P_AUTH_SSL) || startsCI(b, o, n, P_FEAT) || startsCI(b, o, n, P_SYST)) {
      if (kind === ST_BANNER_220 || hasPort(f, 21)) return APP_FTP;
    }
    if (startsCI(b, o, n, P_USER) || startsCI(b, o, n, P_PASS)) {
      if (!lineEndsSoon(b, o, n)) return 0;
      if (kind === ST_BANNER_220) return APP_FTP;
      if (hasPort(f, 110)) return APP_POP3;
      if (hasPort(f, 21)) return APP_FTP;
      f.appState = st(ST_USER, 1);
      return 0;
    }
    if (imapCommand(b, o, n)) return APP_IMAP;
  }
  void fwd;
  return 0;
}

/** A command line that ends (CRLF) within 256 bytes and is printable. */
function lineEndsSoon(b: Uint8Array, o: number, n: number): boolean {
  const l = lineLength(b, o, n, 256);
  return l > 0 && allPrintable(b, o, l);
}

/** "METHOD target VERSION": HTTP, RTSP or SIP (over TCP). */
function requestLine(b: Uint8Array, o: number, n: number): number {
  const hm = methodLength(b, o, n, HTTP_METHODS);
  const rm = hm === 0 ? methodLength(b, o, n, RTSP_METHODS) : hm;
  const sm = methodLength(b, o, n, SIP_METHODS);
  const ml = Math.max(hm, rm, sm);
  if (ml === 0 || n <= ml) return 0;
  // Version at the end of the request line.
  const line = lineLength(b, o, n, 4096);
  const end = line < 0 ? Math.min(n, 4096) : line;
  // The target: no spaces or controls.
  let i = ml;
  while (i < end && b[o + i] > 0x20 && b[o + i] < 0x7f) i++;
  if (i === ml) return 0;
  if (i >= end) {
    // Cut before the version: an HTTP request split over segments.
    return line < 0 && hm > 0 && b[o + ml] === 0x2f ? APP_HTTP : 0;
  }
  if (b[o + i] !== 0x20 || end - i - 1 < 7) return 0;
  const v = o + i + 1;
  const vl = end - i - 1;
  if (sm > 0 && startsCI(b, v, vl, P_SIP_VER_LC)) return APP_SIP;
  if (rm > 0 && startsCI(b, v, vl, P_RTSP_VER)) return APP_RTSP;
  if (hm > 0 && startsCI(b, v, vl, P_HTTP_VER_LC)) return APP_HTTP;
  return 0;
}

/** A tagged IMAP command: "tag SP command" (tag: letters, digits, '.'). */
function imapCommand(b: Uint8Array, o: number, n: number): boolean {
  let i = 0;
  while (i < n && i < 16 && (isAlpha(b[o + i]) || isDigit(b[o + i]) || b[o + i] === 0x2e)) i++;
  if (i === 0 || i >= 16 || i >= n || b[o + i] !== 0x20) return false;
  const p = o + i + 1;
  const rest = n - i - 1;
  for (let k = 0; k < IMAP_COMMANDS.length; k++) {
    const c = IMAP_COMMANDS[k];
    if (startsCI(b, p, rest, c)) {
      // The command word ends there (or continues with its arguments).
      const after = c[c.length - 1] === 0x20 || c[c.length - 1] === 0x28 ? 0x20 : rest > c.length ? b[p + c.length] : 0x0d;
      return (after === 0x20 || after === 0x0d || after === 0x0a) && lineEndsSoon(b, o, n);
    }
  }
  return false;
}

/** TLS records (RFC 8446 5.1): handshake ClientHello / ServerHello, or two well-formed records. */
function tls(f: ClassifiedFlow, fwd: boolean, b: Uint8Array, o: number, n: number): number {
  if (n < 5) return 0;
  const type = b[o];
  if (b[o + 1] !== 3 || b[o + 2] > 4) return 0;
  const rl = u16(b, o + 3);
  if (rl === 0 || rl > 16384 + 2048) return 0;
  if (type === 0x16) {
    if (n < 9) return 0;
    const ht = b[o + 5];
    const hl = u24(b, o + 6);
    if (ht === 1 || ht === 2) {
      // ClientHello / ServerHello: legacy version 3.x; the message may span records.
      if (hl < 38) return 0;
      if (n >= 11 && (b[o + 9] !== 3 || b[o + 10] > 4)) return 0;
      return APP_TLS;
    }
    // Other handshake messages (Certificate, ServerKeyExchange...) seen mid-handshake.
    if (ht === 11 || ht === 12 || ht === 14 || ht === 16 || ht === 4 || ht === 13) {
      if (hl + 4 <= rl || rl < 4) return recordPair(f, fwd);
    }
    return recordPair(f, fwd);
  }
  // Change cipher spec (1 byte), alert (2 bytes), application data.
  if (type === 0x14 && rl !== 1) return 0;
  if (type === 0x15 && rl !== 2 && rl < 16) return 0;
  // Several records may sit in one segment: walk them while they fit.
  let p = o;
  const end = o + n;
  let records = 0;
  while (p + 5 <= end) {
    if (b[p] < 0x14 || b[p] > 0x17 || b[p + 1] !== 3 || b[p + 2] > 4) return 0;
    p += 5 + u16(b, p + 3);
    records++;
  }
  // Whole records filling the segment exactly (mid-session capture).
  if (p === end && (records >= 2 || type === 0x17 || (type === 0x15 && rl >= 16))) return APP_TLS;
  return recordPair(f, fwd);
}

/** The second packet that starts with a well-formed TLS record decides. */
function recordPair(f: ClassifiedFlow, fwd: boolean): number {
  if (stKind(f.appState) === ST_TLS_RECORD) return APP_TLS;
  f.appState = st(ST_TLS_RECORD, fwd ? 1 : 0);
  return 0;
}

/** An SSLv2-format ClientHello (RFC 6101 appendix E.2), still sent by old clients. */
function sslv2Hello(b: Uint8Array, o: number, n: number): boolean {
  if (n < 11) return false;
  const l = ((b[o] & 0x7f) << 8) | b[o + 1];
  if (l + 2 !== n || b[o + 2] !== 1) return false;
  if (!((b[o + 3] === 3 && b[o + 4] <= 3) || (b[o + 3] === 0 && b[o + 4] === 2))) return false;
  const cs = u16(b, o + 5);
  const sid = u16(b, o + 7);
  const ch = u16(b, o + 9);
  return cs > 0 && cs % 3 === 0 && (sid === 0 || sid === 16 || sid === 32) && ch >= 16 && ch <= 32 && 11 + cs + sid + ch === n;
}

/** TPKT (RFC 1006) + X.224: RDP connection request / confirm; TPKT + Q.931: H.323. */
function tpkt(f: ClassifiedFlow, b: Uint8Array, o: number, n: number): number {
  if (n < 7 || b[o + 1] !== 0) return 0;
  const l = u16(b, o + 2);
  if (l < 7 || l > n) return 0;
  const li = b[o + 4];
  const code = b[o + 5] & 0xf0;
  if ((code === 0xe0 || code === 0xd0) && li + 5 <= l && li >= 6) {
    // Connection request/confirm; RDP puts a cookie or a negotiation request after the fixed part.
    const after = o + 11;
    const rest = o + l - after;
    if (rest > 0 && starts(b, after, rest, P_MSTSHASH)) return APP_RDP;
    if (rest >= 8 && (b[after] === 1 || b[after] === 2 || b[after] === 3) && b[after + 2] === 8 && b[after + 3] === 0) return APP_RDP;
    if (hasPort(f, 3389)) return APP_RDP;
    return 0;
  }
  // H.225.0 call signalling: Q.931 protocol discriminator 0x08.
  if (b[o + 4] === 0x08 && l === n && hasPort(f, 1720)) return APP_H323;
  return 0;
}

/** NetBIOS session service (RFC 1002 4.3) on 139, or its framing around SMB on 445. */
function netbiosSession(f: ClassifiedFlow, b: Uint8Array, o: number, n: number): number {
  if (n < 4) return 0;
  const type = b[o];
  if ((b[o + 1] & 0xfe) !== 0) return 0;
  const l = ((b[o + 1] & 1) << 16) | u16(b, o + 2);
  if (type === 0) {
    if (n < 8 || l < 4) return 0;
    const m = b[o + 4];
    const smb = b[o + 5] === 0x53 && b[o + 6] === 0x4d && b[o + 7] === 0x42;
    if (!smb || (m !== 0xfe && m !== 0xff && m !== 0xfd && m !== 0xfc)) return 0;
    // nDPI names SMB in a NetBIOS session message (139 and 445 alike) "NetBIOS.SMBv1" / "NetBIOS.SMBv23":
    // the master protocol is NetBIOS.
    return APP_NETBIOS;
  }
  if (!hasPort(f, 139)) return 0;
  if (l + 4 !== n) return 0;
  if (type === 0x81) return n >= 72 && b[o + 4] === 0x20 ? APP_NETBIOS : 0;
  if (type === 0x82 || type === 0x85) return l === 0 ? APP_NETBIOS : 0;
  if (type === 0x83) return l === 1 ? APP_NETBIOS : 0;
  return 0;
}

/** MQTT CONNECT (MQTT 3.1 / 3.1.1 / 5.0): fixed header 0x10, remaining length, protocol name. */
function mqttConnect(b: Uint8Array, o: number, n: number): boolean {
  let p = o + 1;
  let rl = 0;
  let mul = 1;
  for (let i = 0; i < 4; i++) {
    if (p >= o + n) return false;
    const c = b[p++];
    rl += (c & 0x7f) * mul;
    mul *= 128;
    if ((c & 0x80) === 0) break;
    if (i === 3) return false;
  }
  if (rl + (p - o) < n) return false;
  const rest = o + n - p;
  if (starts(b, p, rest, P_MQTT)) return rest >= 7 && b[p + 6] >= 3 && b[p + 6] <= 5;
  if (starts(b, p, rest, P_MQISDP)) return rest >= 9 && b[p + 8] === 3;
  return false;
}

/** TDS pre-login (MS-TDS 2.2.6.5): type 0x12, status EOM, length = packet. */
function tdsPrelogin(b: Uint8Array, o: number, n: number): boolean {
  if (n < 8 + 5) return false;
  if (b[o + 1] !== 1 || u16(b, o + 2) !== n || b[o + 7] !== 0) return false;
  // Option tokens: 0x00 VERSION first, each 5 bytes, terminated by 0xff.
  return b[o + 8] === 0x00 && u16(b, o + 9) < n;
}

/** DCE/RPC connection-oriented PDU (C706 12.6): version 5.0, known type, data representation, fragment length. */
function dcerpc(b: Uint8Array, o: number, n: number): boolean {
  if (n < 16) return false;
  if (b[o + 1] !== 0 || b[o + 2] > 20) return false;
  const drep = b[o + 4];
  if ((drep & 0xee) !== 0 || b[o + 6] !== 0 || b[o + 7] !== 0 || b[o + 5] > 3) return false;
  const fl = drep & 0x10 ? u16le(b, o + 8) : u16(b, o + 8);
  return fl === n;
}

/** BGP (RFC 4271 4.1): 16-byte all-ones marker, length, type 1-5. */
function bgp(b: Uint8Array, o: number, n: number): boolean {
  if (n < 19) return false;
  for (let i = 0; i < 16; i++) if (b[o + i] !== 0xff) return false;
  const l = u16(b, o + 16);
  return l >= 19 && l <= 4096 && l <= n && b[o + 18] >= 1 && b[o + 18] <= 5;
}

/** Telnet option negotiation (RFC 854): IAC WILL/WONT/DO/DONT option, repeated. */
function telnet(f: ClassifiedFlow, b: Uint8Array, o: number, n: number): boolean {
  if (n < 3 || !hasPort(f, 23)) return false;
  for (let i = 0; i + 2 < n; i += 3) {
    if (b[o + i] !== 0xff) return i >= 3;
    const v = b[o + i + 1];
    if (v < 0xfa || v > 0xfe) return false;
  }
  return true;
}

/** ONC RPC (RFC 5531) over TCP: record mark, CALL to the NFS or MOUNT program, RPC version 2. */
function rpcRecord(b: Uint8Array, o: number, n: number): boolean {
  if (n < 4 + 24) return false;
  const l = u32(b, o) - 0x80000000;
  if (l < 24 || l > n - 4 + 65536) return false;
  return rpcCall(b, o + 4, n - 4);
}

function rpcCall(b: Uint8Array, o: number, n: number): boolean {
  if (n < 40) return false;
  if (u32(b, o + 4) !== 0 || u32(b, o + 8) !== 2) return false;
  const prog = u32(b, o + 12);
  const vers = u32(b, o + 16);
  // Credentials: flavour AUTH_NONE / AUTH_SYS / AUTH_SHORT / AUTH_DH / RPCSEC_GSS, length <= 400.
  const flavor = u32(b, o + 24);
  if (!(flavor <= 3 || flavor === 6) || u32(b, o + 28) > 400) return false;
  // NFS, MOUNT, and the portmapper / NLM / NSM services an NFS client talks to.
  return (
    (prog === 100003 && vers >= 2 && vers <= 4) || (prog === 100005 && vers >= 1 && vers <= 3) ||
    (prog === 100000 && vers >= 2 && vers <= 4) || (prog === 100021 && vers >= 1 && vers <= 4) || (prog === 100024 && vers === 1)
  );
}

/** DCE/RPC connectionless PDU (C706 12.5): version 4, type, data representation, fixed 80-byte header, body length. */
function dcerpcConnectionless(b: Uint8Array, o: number, n: number): boolean {
  if (n < 80) return false;
  if (b[o + 1] > 10 || (b[o + 4] & 0xee) !== 0 || b[o + 5] > 3 || b[o + 6] !== 0) return false;
  const le = (b[o + 4] & 0x10) !== 0;
  const bodyLen = le ? u16le(b, o + 74) : u16(b, o + 74);
  return 80 + bodyLen === n;
}

/** PostgreSQL (protocol 3.0 docs, "Message Formats"): StartupMessage, SSLRequest, GSSENCRequest, CancelRequest. */
function postgres(b: Uint8Array, o: number, n: number): boolean {
  if (n < 8) return false;
  const l = u32(b, o);
  if (l !== n) return false;
  const code = u32(b, o + 4);
  if (code === 80877103 || code === 80877104) return n === 8;
  if (code === 80877102) return n === 16;
  if (code === 196608) return n > 8 && b[o + n - 1] === 0;
  return false;
}

/** MySQL initial handshake (protocol version 10): 3-byte length, sequence 0, version string. */
function mysqlGreeting(b: Uint8Array, o: number, n: number): boolean {
  if (n < 40) return false;
  const l = b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
  if (l + 4 !== n || b[o + 3] !== 0) return false;
  if (b[o + 4] === 10) {
    // "5.7.33-log\0", "8.0.28\0", "10.5.12-MariaDB\0"
    if (!isDigit(b[o + 5])) return false;
    let i = o + 5;
    const end = Math.min(o + n, o + 5 + 64);
    while (i < end && b[i] !== 0) {
      if (!isPrintable(b[i])) return false;
      i++;
    }
    return i < end && i - (o + 5) >= 3;
  }
  // Error packet instead of a greeting ("Host ... is not allowed to connect").
  if (b[o + 4] === 0xff) return n >= 13 && starts(b, o + 7, n - 7, P_MYSQL_ERR_HOST);
  return false;
}

/** MongoDB wire protocol: little-endian message length = packet, known opcode. */
function mongo(b: Uint8Array, o: number, n: number): boolean {
  if (n < 21) return false;
  if (u32le(b, o) !== n) return false;
  if (b[o + 14] !== 0 || b[o + 15] !== 0) return false;
  const op = u16le(b, o + 12);
  if (op === 2013) return b[o + 16] <= 3 && b[o + 17] === 0 && (b[o + 20] === 0 || b[o + 20] === 1);
  const responseTo = u32le(b, o + 8);
  if (op === 2004) return (responseTo === 0 || responseTo === 0xffffffff) && b[o + 18] === 0 && b[o + 19] === 0 && isAlpha(b[o + 20]);
  return false;
}

/** Kerberos over TCP (RFC 4120 7.2.2): 4-byte length, then an application-tagged message. */
function kerberosTcp(b: Uint8Array, o: number, n: number): boolean {
  const l = u32(b, o);
  if (l === 0 || l > 65535 || l + 4 < n) return false;
  return kerberosMessage(b, o + 4, n - 4, false);
}

/** A Kerberos message (RFC 4120 5): [APPLICATION n] with a BER length, then a SEQUENCE. */
function kerberosMessage(b: Uint8Array, o: number, n: number, exact: boolean): boolean {
  if (n < 8) return false;
  const t = b[o];
  // AS-REQ 10, AS-REP 11, TGS-REQ 12, TGS-REP 13, AP-REQ 14, AP-REP 15, KRB-SAFE 20, KRB-PRIV 21, KRB-CRED 22, KRB-ERROR 30
  if (!((t >= 0x6a && t <= 0x6f) || t === 0x74 || t === 0x75 || t === 0x76 || t === 0x7e)) return false;
  const h = berLength(b, o + 1, n - 1);
  if (h < 0) return false;
  const lenBytes = berLengthSize(b[o + 1]);
  const total = 1 + lenBytes + h;
  if (exact ? total !== n : total < n) return false;
  const p = o + 1 + lenBytes;
  return p < o + n && b[p] === 0x30;
}

function berLengthSize(c: number): number {
  return c < 0x80 ? 1 : 1 + (c & 0x7f);
}

/** A BER definite length at b[o]; -1 when malformed or longer than 4 bytes. */
function berLength(b: Uint8Array, o: number, n: number): number {
  if (n < 1) return -1;
  const c = b[o];
  if (c < 0x80) return c;
  const k = c & 0x7f;
  if (k === 0 || k > 3 || n < 1 + k) return -1;
  let v = 0;
  for (let i = 1; i <= k; i++) v = v * 256 + b[o + i];
  return v;
}

/** LDAPMessage (RFC 4511 4.1.1): SEQUENCE { messageID INTEGER, protocolOp [APPLICATION n] ... }. */
function ldap(b: Uint8Array, o: number, n: number): boolean {
  if (n < 7 || b[o] !== 0x30) return false;
  const l = berLength(b, o + 1, n - 1);
  if (l < 0) return false;
  let p = o + 1 + berLengthSize(b[o + 1]);
  if (p - o + l < n && p - o + l !== n) {
    // Several messages in one segment: accept when the first one fits.
  }
  if (p + 3 > o + n || b[p] !== 0x02 || b[p + 1] < 1 || b[p + 1] > 4) return false;
  p += 2 + b[p + 1];
  if (p >= o + n) return false;
  const op = b[p];
  // bindRequest 0x60 ... extendedResp 0x78 (constructed), unbindRequest 0x42, delRequest 0x4a, abandonRequest 0x50.
  return (op >= 0x60 && op <= 0x79 && op !== 0x62 && op !== 0x6a && op !== 0x6b) || op === 0x42 || op === 0x4a || op === 0x50;
}

/** An LDAP bindRequest (RFC 4511 4.2) that fills the segment exactly: version 3, a name, simple or SASL credentials. */
function ldapBind(b: Uint8Array, o: number, n: number): boolean {
  if (n < 12 || b[o + 1] >= 0x80 || b[o + 1] + 2 !== n) return false;
  if (b[o + 2] !== 0x02 || b[o + 3] < 1 || b[o + 3] > 4) return false;
  let p = o + 4 + b[o + 3];
  if (b[p] !== 0x60 || b[p + 1] >= 0x80 || p + 2 + b[p + 1] !== o + n) return false;
  p += 2;
  if (b[p] !== 0x02 || b[p + 1] !== 1 || (b[p + 2] !== 3 && b[p + 2] !== 2) || b[p + 3] !== 0x04) return false;
  p += 4;
  const nl = b[p];
  if (nl >= 0x80) return false;
  p += 1 + nl;
  return p < o + n && (b[p] === 0x80 || b[p] === 0xa3);
}

// ---------------------------------------------------------------------------
// UDP

function udp(f: ClassifiedFlow, fwd: boolean, b: Uint8Array, o: number, n: number): number {
  const sp = f.srcPort;
  const dp = f.dstPort;
  const c0 = b[o];
  const kind = stKind(f.appState);
  if (kind === ST_STUN) {
    // WebRTC: STUN (ICE) first, then the DTLS handshake on the same 5-tuple.
    if (c0 >= 0x14 && c0 <= 0x17 && dtls(b, o, n)) return APP_DTLS;
    return 0;
  }
  // Formats with strong magic numbers, anywhere.
  if (c0 >= 0x80 && quicLong(b, o, n)) return APP_QUIC;
  if ((c0 & 0x81) === 0x01 && n >= 14 && gquicLegacy(f, b, o, n)) return APP_QUIC;
  if (c0 < 0x40 && stun(b, o, n)) {
    f.appState = st(ST_STUN, 0);
    return 0;
  }
  if ((c0 === 1 || c0 === 2) && dhcp(b, o, n)) return APP_DHCP;
  if (c0 === 0x64 && (starts(b, o, n, P_DHT_Q) || starts(b, o, n, P_DHT_R) || starts(b, o, n, P_DHT_R2) || starts(b, o, n, P_DHT_E))) return APP_BITTORRENT;
  if (c0 === 0x42 && starts(b, o, n, P_BT_SEARCH)) return APP_BITTORRENT;
  // DNSCrypt (dnscrypt.info protocol spec): the certificate query "2.dnscrypt-cert.<provider>" (TXT), or an encrypted answer.
  if (dnscrypt(b, o, n)) return APP_DNSCRYPT;
  // The DNS message format, told apart by port.
  if (sp === 5353 || dp === 5353) {
    if (dnsMessage(b, o, n, false)) return APP_MDNS;
  }
  if (sp === 5355 || dp === 5355) {
    if (dnsMessage(b, o, n, false)) return APP_LLMNR;
  }
  if (sp === 137 || dp === 137) {
    if (nbns(b, o, n)) return APP_NETBIOS;
  }
  if (sp === 138 || dp === 138) {
    if (nbds(b, o, n)) return APP_NETBIOS;
  }
  if (sp === 53 || dp === 53) {
    if (dnsMessage(b, o, n, false)) return APP_DNS;
  }
  if ((sp === 123 || dp === 123) && ntp(b, o, n)) return APP_NTP;
  if ((sp === 546 || dp === 546 || sp === 547 || dp === 547) && dhcpv6(b, o, n)) return APP_DHCPV6;
  if ((sp === 500 || dp === 500 || sp === 4500 || dp === 4500) && ike(f, fwd, b, o, n, sp === 4500 || dp === 4500)) return APP_IPSEC;
  if ((sp === 88 || dp === 88) && kerberosMessage(b, o, n, true)) return APP_KERBEROS;
  if ((sp === 389 || dp === 389) && ldap(b, o, n)) return APP_LDAP;
  if ((sp === 1985 || dp === 1985) && hsrp(b, o, n)) return APP_HSRP;
  if ((sp === 69 || dp === 69) && tftpRequest(b, o, n)) return APP_TFTP;
  if ((sp === 5351 || dp === 5351) && natPmp(b, o, n)) return APP_NATPMP;
  if ((sp === 5683 || dp === 5683) && coap(b, o, n)) return APP_COAP;
  if (c0 === 0x81 && bacnet(b, o, n)) return APP_BACNET;
  if (c0 === 0x05 && dnp3(b, o, n)) return APP_DNP3;
  if (n >= 23 && gnutellaUdp(b, o, n)) return APP_GNUTELLA;
  if (c0 === 0x47 && n >= 8 && starts(b, o, n, P_GND) && b[o + 7] >= 1 && b[o + 6] <= b[o + 7]) return APP_GNUTELLA;
  if ((sp === 3389 || dp === 3389) && rdpUdpSyn(b, o, n)) return APP_RDP;
  if ((sp === 2029 || dp === 2029 || sp === 1985 || dp === 1985) && hsrp2(b, o, n)) return APP_HSRP;
  // Text formats.
  if (c0 >= 0x41 && c0 <= 0x5a) {
    if (starts(b, o, n, P_MSEARCH) || starts(b, o, n, P_NOTIFY)) return APP_SSDP;
    if (starts(b, o, n, P_HTTP11_200) && (sp === 1900 || dp === 1900 || findCI(b, o, n, P_USN_LC, 1500) > 0)) return APP_SSDP;
    if (starts(b, o, n, P_SIP_VER) && n >= 12 && b[o + 7] === 0x20 && isDigit(b[o + 8])) return APP_SIP;
    const sm = methodLength(b, o, n, SIP_METHODS);
    if (sm > 0 && sipRequest(b, o, n, sm)) return APP_SIP;
    if (starts(b, o, n, P_BJNP)) return APP_BJNP;
  }
  if (c0 === 0x3c && syslog(f, b, o, n)) return APP_SYSLOG;
  if (c0 === 0x30 && snmp(b, o, n)) return APP_SNMP;
  if (radius(f, b, o, n)) return APP_RADIUS;
  if ((c0 & 0xe0) === 0x20 || (c0 & 0xe0) === 0x40) {
    const g = gtp(f, b, o, n);
    if (g !== 0) return g;
  }
  if ((c0 === 1 || c0 === 2) && slp(b, o, n)) return APP_SLP;
  if (c0 >= 0x14 && c0 <= 0x19 && dtls(b, o, n)) return APP_DTLS;
  if (c0 >= 1 && c0 <= 4 && wireguard(b, o, n)) return APP_WIREGUARD;
  if (n >= 40 && rpcCall(b, o, n)) return APP_NFS;
  if (c0 === 4 && dcerpcConnectionless(b, o, n)) return APP_DCERPC;
  if ((c0 & 0xc0) === 0x80) {
    const r = rtp(f, fwd, b, o, n);
    if (r !== 0) return r;
  }
  if (c0 <= 0x41 && (c0 & 0x0f) === 1) {
    if (utp(f, fwd, b, o, n)) return APP_BITTORRENT;
  }
  if (c0 === 0 && n >= 4 && b[o + 1] >= 3 && b[o + 1] <= 6) {
    if (tftpTransfer(f, fwd, b, o, n)) return APP_TFTP;
  }

  // DNS on another port: only a plain query.
  if (n >= 17 && dnsStrictQuery(b, o, n)) return APP_DNS;
  return 0;
}

/** QUIC long header (RFC 9000 17.2, RFC 9369): version 1, 2, drafts, Google's Q046+ versions. */
function quicLong(b: Uint8Array, o: number, n: number): boolean {
  if (n < 7) return false;
  const v = u32(b, o + 1);
  if (v === 0) return quicVersionNegotiation(b, o, n);
  // Reserved versions 0x?a?a?a?a (RFC 9000 15) are sent to exercise version negotiation, in padded Initials.
  const reserved = (v & 0x0f0f0f0f) === 0x0a0a0a0a;
  const known =
    v === 0x00000001 || v === 0x6b3343cf || v === 0x709a50c4 || (v >= 0xff00001b && v <= 0xff000022) ||
    (v >= 0xfaceb001 && v <= 0xfaceb003) || (reserved && n >= 1200) ||
    ((b[o + 1] === 0x51 || b[o + 1] === 0x54) && b[o + 2] === 0x30 && isDigit(b[o + 3]) && isDigit(b[o + 4]));
  if (!known || b[o] < 0xc0) return false;
  if (b[o + 1] === 0x51 && b[o + 3] < 0x34) return false; // Q043 and older use the legacy header
  const dcil = b[o + 5];
  if (b[o + 1] === 0x51 || b[o + 1] === 0x54) {
    // Q046 packs both connection id lengths in one byte; Q050/T05x use the IETF form.
    if (b[o + 3] === 0x34) return true;
  }
  if (dcil > 20 || 6 + dcil >= n) return false;
  const scil = b[o + 6 + dcil];
  if (scil > 20 || 7 + dcil + scil > n) return false;
  // Client Initial packets are padded to at least 1200 bytes; other long headers are smaller.
  return true;
}

/** Version Negotiation (RFC 9000 17.2.1): version 0, connection ids, then a list of 4-byte versions. */
function quicVersionNegotiation(b: Uint8Array, o: number, n: number): boolean {
  const dcil = b[o + 5];
  if (dcil > 20 || 6 + dcil >= n) return false;
  const scil = b[o + 6 + dcil];
  const vo = o + 7 + dcil + scil;
  const rest = o + n - vo;
  if (scil > 20 || rest < 4 || rest % 4 !== 0) return false;
  // Every listed version is a known one or a reserved one.
  for (let p = vo; p < o + n; p += 4) {
    const v = u32(b, p);
    const ok = v === 1 || v === 0x6b3343cf || v === 0x709a50c4 || (v >= 0xff000000 && v <= 0xff0000ff) || (v & 0x0f0f0f0f) === 0x0a0a0a0a ||
      (v >= 0xfaceb001 && v <= 0xfaceb003) || ((b[p] === 0x51 || b[p] === 0x54) && b[p + 1] === 0x30);
    if (!ok) return false;
  }
  return true;
}

/** Google QUIC up to Q043: public flags with the version bit, 8-byte connection id, version "Q0dd". */
function gquicLegacy(f: ClassifiedFlow, b: Uint8Array, o: number, n: number): boolean {
  const flags = b[o];
  if ((flags & 0x0c) !== 0x08) return false;
  const v = o + 9;
  return b[v] === 0x51 && b[v + 1] === 0x30 && isDigit(b[v + 2]) && isDigit(b[v + 3]) && (hasPort(f, 443) || hasPort(f, 80) || n >= 1000);
}

/** STUN (RFC 8489 5): type with the two top bits zero, length = rest (multiple of 4), magic cookie; or RFC 3489 on 3478. */
function stun(b: Uint8Array, o: number, n: number): boolean {
  if (n < 20 || (b[o] & 0xc0) !== 0) return false;
  const l = u16(b, o + 2);
  if (l + 20 !== n || (l & 3) !== 0) return false;
  const type = u16(b, o);
  if (b[o + 4] === 0x21 && b[o + 5] === 0x12 && b[o + 6] === 0xa4 && b[o + 7] === 0x42) {
    // Attributes tile the body.
    let p = o + 20;
    const end = o + n;
    while (p + 4 <= end) {
      const al = u16(b, p + 2);
      p += 4 + ((al + 3) & ~3);
    }
    return p === end;
  }
  // RFC 3489: Binding / Shared Secret requests and responses.
  if (type !== 0x0001 && type !== 0x0101 && type !== 0x0111 && type !== 0x0002 && type !== 0x0102 && type !== 0x0112) return false;
  let p = o + 20;
  const end = o + n;
  let attrs = 0;
  while (p + 4 <= end) {
    if (u16(b, p) === 0) return false;
    p += 4 + u16(b, p + 2);
    attrs++;
  }
  return p === end && (attrs > 0 || type === 0x0001);
}

/** DHCP / BOOTP (RFC 2131): op, htype, hlen, magic cookie 99.130.83.99 at 236. */
function dhcp(b: Uint8Array, o: number, n: number): boolean {
  if (n < 240) return false;
  if (b[o + 2] > 16) return false;
  return b[o + 236] === 0x63 && b[o + 237] === 0x82 && b[o + 238] === 0x53 && b[o + 239] === 0x63;
}

/** DHCPv6 (RFC 8415 8/9): message type, then options that tile the message. */
function dhcpv6(b: Uint8Array, o: number, n: number): boolean {
  if (n < 4) return false;
  const t = b[o];
  if (t === 0 || t > 36) return false;
  let p: number;
  if (t === 12 || t === 13) {
    // Relay-forward / relay-reply: hop count, link address, peer address.
    if (n < 34) return false;
    p = o + 34;
  } else {
    p = o + 4;
  }
  const end = o + n;
  let opts = 0;
  while (p + 4 <= end) {
    const code = u16(b, p);
    if (code === 0 || code > 150) return false;
    p += 4 + u16(b, p + 2);
    opts++;
  }
  return p === end && opts > 0;
}

/** Skips a domain name at p; returns the offset after it or -1. Pointers must point backwards. */
function skipName(b: Uint8Array, p: number, end: number, msg: number): number {
  let total = 0;
  for (let labels = 0; labels < 128; labels++) {
    if (p >= end) return -1;
    const l = b[p];
    if (l === 0) return p + 1;
    if ((l & 0xc0) === 0xc0) {
      if (p + 2 > end) return -1;
      const ptr = ((l & 0x3f) << 8) | b[p + 1];
      if (ptr < 12 || msg + ptr >= p) return -1;
      return p + 2;
    }
    if (l > 63) return -1;
    total += l + 1;
    if (total > 255) return -1;
    p += 1 + l;
  }
  return -1;
}

function dnsClassOk(c: number): boolean {
  const k = c & 0x7fff; // mDNS uses the top bit (unicast response / cache flush)
  return k === 1 || k === 3 || k === 4 || k === 254 || k === 255;
}

/** The DNS message layout (RFC 1035 4.1) shared by DNS, MDNS and LLMNR: sane header, first question or record parses. */
function dnsMessage(b: Uint8Array, o: number, n: number, tcpFramed: boolean): boolean {
  if (n < 12) return false;
  const flags = u16(b, o + 2);
  const opcode = (flags >> 11) & 0xf;
  if (opcode === 3 || opcode > 6) return false;
  const qd = u16(b, o + 4);
  const an = u16(b, o + 6);
  const ns = u16(b, o + 8);
  const ar = u16(b, o + 10);
  if (qd > 64 || an > 512 || ns > 512 || ar > 512) return false;
  if (qd + an + ns + ar === 0) return (flags & 0x8000) !== 0 && n === 12; // an empty answer
  const end = o + n;
  const p = skipName(b, o + 12, end, o);
  if (p < 0) return false;
  if (qd > 0) {
    if (p + 4 > end) return tcpFramed;
    return dnsClassOk(u16(b, p + 2)) && u16(b, p) !== 0;
  }
  if (p + 10 > end) return tcpFramed;
  return u16(b, p) !== 0 && (dnsClassOk(u16(b, p + 2)) || u16(b, p) === 41);
}

/** A DNS query on a port that is not DNS's: one question, nothing else but an optional OPT record. */
function dnsStrictQuery(b: Uint8Array, o: number, n: number): boolean {
  const flags = u16(b, o + 2);
  if ((flags & 0xf800) !== 0 || (flags & 0x0070) !== 0 || (flags & 0x000f) !== 0) return false;
  if (u16(b, o + 4) !== 1 || u16(b, o + 6) !== 0 || u16(b, o + 8) !== 0) return false;
  const ar = u16(b, o + 10);
  if (ar > 1) return false;
  const end = o + n;
  const p = skipName(b, o + 12, end, o);
  if (p < 0 || p === o + 13 || p + 4 > end) return false;
  // Host names: letters, digits, '-', '_' in each label.
  for (let q = o + 12; q < p - 1; ) {
    const l = b[q];
    for (let i = 1; i <= l; i++) {
      const c = b[q + i];
      if (!(isAlpha(c) || isDigit(c) || c === 0x2d || c === 0x5f)) return false;
    }
    q += 1 + l;
  }
  const type = u16(b, p);
  if (type === 0 || (type > 65 && type < 249) || type > 257) return false;
  if (u16(b, p + 2) !== 1) return false;
  if (ar === 0) return p + 4 === end;
  return p + 4 + 11 <= end && b[p + 4] === 0 && u16(b, p + 5) === 41;
}

/** NetBIOS name service (RFC 1002 4.2): DNS-like header, a 32-byte encoded name (letters A-P). */
function nbns(b: Uint8Array, o: number, n: number): boolean {
  if (n < 12 + 34) return false;
  const flags = u16(b, o + 2);
  const opcode = (flags >> 11) & 0xf;
  if (!(opcode === 0 || (opcode >= 5 && opcode <= 9))) return false;
  const qd = u16(b, o + 4);
  const an = u16(b, o + 6);
  if (qd > 1 || an > 1 || qd + an === 0 || u16(b, o + 8) > 1 || u16(b, o + 10) > 1) return false;
  if (b[o + 12] !== 0x20) return false;
  for (let i = 0; i < 32; i++) {
    const c = b[o + 13 + i];
    if (c < 0x41 || c > 0x50) return false;
  }
  return true;
}

/** NetBIOS datagram service (RFC 1002 4.4): message type, flags, then the source name for data messages. */
function nbds(b: Uint8Array, o: number, n: number): boolean {
  if (n < 10) return false;
  const t = b[o];
  if (t < 0x10 || t > 0x16 || (b[o + 1] & 0xf0) !== 0) return false;
  if (t <= 0x12) return n >= 14 + 34 && b[o + 14] === 0x20 && b[o + 15] >= 0x41 && b[o + 15] <= 0x50;
  if (t === 0x13) return n === 11;
  return n >= 10 + 34 && b[o + 10] === 0x20;
}

/** NTP (RFC 5905 7.3): version 1-4, mode 1-5, 48-byte header (+ extensions / MAC); control and private modes. */
function ntp(b: Uint8Array, o: number, n: number): boolean {
  const vn = (b[o] >> 3) & 7;
  const mode = b[o] & 7;
  if (vn < 1 || vn > 4) return false;
  if (mode >= 1 && mode <= 5) {
    // 48-byte header, then extension fields (4-byte aligned) and/or a MAC (key id + 16 or 20 bytes).
    if (n < 48 || (n - 48) % 4 !== 0 || n > 48 + 1024) return false;
    // Stratum 0-16; poll 0 or 3-17 (log2 seconds); precision 0 or -32..-1.
    const poll = b[o + 2];
    const precision = b[o + 3];
    return b[o + 1] <= 16 && (poll === 0 || (poll >= 3 && poll <= 17)) && (precision === 0 || precision >= 0xe0);
  }
  if (mode === 6) {
    // Control message (RFC 1305 appendix B): opcode 0-31, data count fits, padded to 4 bytes.
    const count = u16(b, o + 10);
    return n >= 12 && 12 + count <= n && n - (12 + count) < 4 + 24;
  }
  if (mode === 7) return n >= 8 && (b[o + 2] === 0 || b[o + 2] === 2 || b[o + 2] === 3) && b[o + 3] <= 45;
  return false;
}

/** IKE (RFC 2408 / RFC 7296) header: SPIs, next payload, version 1.0 or 2.0, exchange type, length; NAT-T on 4500. */
function ike(f: ClassifiedFlow, fwd: boolean, b: Uint8Array, o: number, n: number, natt: boolean): boolean {
  if (natt) {
    if (n === 1 && b[o] === 0xff) return true; // NAT-keepalive (RFC 3948 2.3)
    if (n >= 4 && u32(b, o) === 0) return ike(f, fwd, b, o + 4, n - 4, false);
    // ESP in UDP (RFC 3948 2.1): SPI > 255, then a sequence number that the next packet of that side increments.
    if (n < 16 || u32(b, o) <= 255) return false;
    const spi = u16(b, o + 2);
    const seq = u16(b, o + 6);
    const dir = fwd ? 1 : 0;
    const state = f.appState;
    if (stKind(state) === ST_ESP) {
      const d = stData(state);
      if (d % 2 === dir && Math.floor(d / 2) % 65536 === spi && (seq - Math.floor(d / 131072) + 65536) % 65536 === 1) return true;
    }
    if (stKind(state) === ST_NONE || (stKind(state) === ST_ESP && stData(state) % 2 === dir)) f.appState = st(ST_ESP, dir + 2 * spi + 131072 * seq);
    return false;
  }
  if (n < 28) return false;
  const ver = b[o + 17];
  const np = b[o + 16];
  const xchg = b[o + 18];
  if (u32(b, o + 24) !== n) return false;
  if (ver === 0x10) return np <= 20 || np >= 128 ? xchg <= 6 || (xchg >= 32 && xchg <= 35) : false;
  if (ver === 0x20) return (np === 0 || (np >= 33 && np <= 54)) && xchg >= 34 && xchg <= 43;
  return false;
}

/** HSRP (RFC 2281 5.1): version 0, op code 0-2, state, 20-byte message. */
function hsrp(b: Uint8Array, o: number, n: number): boolean {
  if (n < 20) return false;
  const st = b[o + 2];
  return b[o] === 0 && b[o + 1] <= 2 && (st === 0 || st === 1 || st === 2 || st === 4 || st === 8 || st === 16);
}

/** TFTP request (RFC 1350): RRQ/WRQ, file name, mode "netascii" / "octet" / "mail". */
function tftpRequest(b: Uint8Array, o: number, n: number): boolean {
  if (n < 4 || b[o] !== 0) return false;
  const op = b[o + 1];
  if (op === 1 || op === 2) {
    let i = o + 2;
    const end = o + n;
    while (i < end && b[i] !== 0) {
      if (!isPrintable(b[i])) return false;
      i++;
    }
    if (i === o + 2 || i + 2 > end) return false;
    const c = lower(b[i + 1]);
    return c === 0x6e || c === 0x6f || c === 0x6d; // n(etascii) o(ctet) m(ail)
  }
  if (op === 3) return n >= 4 && u16(b, o + 2) >= 1 && n <= 516 + 4096;
  if (op === 4) return n === 4;
  if (op === 5) return n >= 5 && u16(b, o + 2) <= 8 && b[o + n - 1] === 0;
  return false;
}

/** A SIP request (RFC 3261 7.1): "METHOD sip:... SIP/2.0" (also sips: and tel: URIs). */
function sipRequest(b: Uint8Array, o: number, n: number, ml: number): boolean {
  const line = lineLength(b, o, n, 1024);
  if (line < 0) return false;
  const c = lower(b[o + ml]);
  if (c !== 0x73 && c !== 0x74) return false; // sip: sips: tel:
  return line >= 7 && startsCI(b, o + line - 7, 7, P_SIP_VER_LC);
}

/** Syslog (RFC 5424 6 / RFC 3164 4.1): "<PRI>" with PRI <= 191, then a version or a timestamp / text. */
function syslog(f: ClassifiedFlow, b: Uint8Array, o: number, n: number): boolean {
  if (n < 5) return false;
  let i = o + 1;
  let pri = 0;
  const end = Math.min(o + n, o + 5);
  while (i < end && isDigit(b[i])) pri = pri * 10 + (b[i++] - 0x30);
  if (i === o + 1 || i - o > 4 || i >= o + n || b[i] !== 0x3e || pri > 191) return false;
  const rest = o + n - i - 1;
  if (rest <= 0) return false;
  const k = Math.min(rest, 16);
  if (!allPrintable(b, i + 1, k)) return false;
  if (hasPort(f, 514)) return true;
  // Elsewhere: RFC 5424 "1 " or an RFC 3164 month name.
  if (b[i + 1] === 0x31 && b[i + 2] === 0x20) return true;
  if (rest >= 4 && isAlpha(b[i + 1]) && isAlpha(b[i + 2]) && isAlpha(b[i + 3]) && b[i + 4] === 0x20) return true;
  // An RFC 3339 timestamp right after the PRI ("<167>2016-05-24T09:50:52...").
  return rest >= 11 && isDigit(b[i + 1]) && isDigit(b[i + 2]) && isDigit(b[i + 3]) && isDigit(b[i + 4]) && b[i + 5] === 0x2d && b[i + 8] === 0x2d && b[i + 11] === 0x54;
}

/** SNMP (RFC 3416 / 3412): SEQUENCE spanning the datagram, INTEGER version 0/1/3, then community + PDU or v3 header. */
function snmp(b: Uint8Array, o: number, n: number): boolean {
  if (n < 12) return false;
  const l = berLength(b, o + 1, n - 1);
  const hs = 1 + berLengthSize(b[o + 1]);
  if (l < 0 || hs + l !== n) return false;
  let p = o + hs;
  if (b[p] !== 0x02 || b[p + 1] !== 1) return false;
  const ver = b[p + 2];
  p += 3;
  if (ver === 0 || ver === 1) {
    if (b[p] !== 0x04) return false;
    const cl = berLength(b, p + 1, o + n - p - 1);
    if (cl < 0) return false;
    p += 1 + berLengthSize(b[p + 1]) + cl;
    if (p >= o + n) return false;
    const pdu = b[p];
    return pdu >= 0xa0 && pdu <= 0xa8;
  }
  if (ver === 3) return b[p] === 0x30;
  return false;
}

/** RADIUS (RFC 2865 3): code, identifier, length = datagram, attributes tile the rest. */
function radius(f: ClassifiedFlow, b: Uint8Array, o: number, n: number): boolean {
  if (n < 20 || n > 4096) return false;
  const code = b[o];
  if (!((code >= 1 && code <= 5) || (code >= 11 && code <= 13) || (code >= 40 && code <= 45))) return false;
  if (u16(b, o + 2) !== n) return false;
  let p = o + 20;
  const end = o + n;
  let attrs = 0;
  while (p + 2 <= end) {
    const al = b[p + 1];
    if (b[p] === 0 || al < 2) return false;
    p += al;
    attrs++;
  }
  if (p !== end) return false;
  const port = hasPort(f, 1812) || hasPort(f, 1813) || hasPort(f, 1645) || hasPort(f, 1646) || hasPort(f, 3799);
  return port || attrs >= 2;
}

/** GTP (3GPP TS 29.281 5, TS 29.060 6, TS 29.274 5): version, flags, length = rest. */
function gtp(f: ClassifiedFlow, b: Uint8Array, o: number, n: number): number {
  if (n < 8) return 0;
  const flags = b[o];
  const version = flags >> 5;
  const type = b[o + 1];
  const l = u16(b, o + 2);
  const port = hasPort(f, 2152) || hasPort(f, 2123) || hasPort(f, 3386);
  if (version === 1) {
    if ((flags & 0x10) === 0 || (flags & 0x08) !== 0) {
      // PT = 0: GTP' (TS 32.295 6.1, charging): spare bits 111, 6-byte header.
      if ((flags & 0x1e) !== 0x0e || !hasPort(f, 3386) || l + 6 !== n) return 0;
      return (type >= 1 && type <= 7) || type === 240 || type === 241 ? APP_GTP : 0;
    }
    if (l + 8 !== n) return 0;
    if (type === 0) return 0;
    if ((flags & 0x07) !== 0 && n < 12) return 0;
    return port ? APP_GTP : 0;
  }
  if (version === 2) {
    if ((flags & 0x07) !== 0) return 0;
    if (l + 4 !== n || type === 0) return 0;
    return port ? APP_GTP : 0;
  }
  return 0;
}

/** Service Location Protocol v2 (RFC 2608 8) and v1 (RFC 2165 7): version, function, length = datagram, language tag. */
function slp(b: Uint8Array, o: number, n: number): boolean {
  if (n < 12) return false;
  const ver = b[o];
  const fn = b[o + 1];
  if (ver === 2) {
    if (fn < 1 || fn > 11 || u24(b, o + 2) !== n || n < 16) return false;
    if ((b[o + 5] & 0x1f) !== 0 || b[o + 6] !== 0) return false;
    const tl = u16(b, o + 12);
    if (tl < 2 || tl > 32 || 14 + tl > n) return false;
    for (let i = 0; i < tl; i++) {
      const c = b[o + 14 + i];
      if (!(isAlpha(c) || c === 0x2d || isDigit(c))) return false;
    }
    return isAlpha(b[o + 14]);
  }
  if (ver === 1) {
    if (fn < 1 || fn > 10 || u16(b, o + 2) !== n) return false;
    if ((b[o + 4] & 0x07) !== 0 || b[o + 5] !== 0) return false;
    return isAlpha(b[o + 6]) && isAlpha(b[o + 7]);
  }
  return false;
}

/** DTLS record (RFC 6347 4.1 / RFC 9147): content type, version 1.0/1.2, epoch, sequence, length fits. */
function dtls(b: Uint8Array, o: number, n: number): boolean {
  if (n < 13 + 1) return false;
  const type = b[o];
  if (type < 0x14 || type > 0x17) return false;
  // DTLS 1.0 / 1.2 / 1.3 (0xfeff, 0xfefd, 0xfefc) and Cisco's pre-standard 0x0100 (AnyConnect).
  const v = u16(b, o + 1);
  if (v !== 0xfeff && v !== 0xfefd && v !== 0xfefc && v !== 0x0100) return false;
  const l = u16(b, o + 11);
  if (l === 0 || 13 + l > n) return false;
  if (type === 0x16) {
    // Handshake: type (ClientHello 1, ServerHello 2, HelloVerifyRequest 3, ...), 3-byte length, message_seq, fragment offset/length.
    const ht = b[o + 13];
    return l >= 12 && ((ht >= 1 && ht <= 4) || (ht >= 11 && ht <= 16) || ht === 20) ? true : u16(b, o + 3) !== 0;
  }
  return true;
}

/** WireGuard (whitepaper 5.4): message type 1-4, three reserved zero bytes, fixed sizes. */
function wireguard(b: Uint8Array, o: number, n: number): boolean {
  if (b[o + 1] !== 0 || b[o + 2] !== 0 || b[o + 3] !== 0) return false;
  const t = b[o];
  if (t === 1) return n === 148;
  if (t === 2) return n === 92;
  if (t === 3) return n === 64;
  return false;
}

/**
 * RTP (RFC 3550 5.1): version 2, a payload type outside the RTCP range; two
 * packets of one direction with the same SSRC and consecutive sequence
 * numbers. RTCP (RFC 3550 6.4): a compound packet of well-formed SR/RR/SDES/
 * BYE/APP packets that add up to the datagram.
 */
function rtp(f: ClassifiedFlow, fwd: boolean, b: Uint8Array, o: number, n: number): number {
  if (n < 12) return 0;
  const pt = b[o + 1] & 0x7f;
  if (pt >= 72 && pt <= 79) {
    if (b[o + 1] !== 200 && b[o + 1] !== 201) return 0;
    let p = o;
    const end = o + n;
    let k = 0;
    while (p + 4 <= end) {
      if ((b[p] & 0xc0) !== 0x80 || b[p + 1] < 200 || b[p + 1] > 207) return 0;
      p += 4 + 4 * u16(b, p + 2);
      k++;
    }
    return p === end ? APP_RTCP : 0;
  }
  if (!(pt <= 34 || pt >= 96)) return 0;
  if (b[o] & 0x10) {
    // Header extension must fit.
    const cc = b[o] & 0x0f;
    const xo = o + 12 + 4 * cc;
    if (xo + 4 > o + n || xo + 4 + 4 * u16(b, xo + 2) > o + n) return 0;
  }
  const seq = u16(b, o + 2);
  const ssrc = u16(b, o + 10);
  const dir = fwd ? 1 : 0;
  const state = f.appState;
  if (stKind(state) === ST_RTP) {
    const d = stData(state);
    const pdir = d % 2;
    const pseq = Math.floor(d / 2) % 65536;
    const pssrc = Math.floor(d / 131072);
    if (pdir === dir && pssrc === ssrc) {
      const delta = (seq - pseq + 65536) % 65536;
      if (delta >= 1 && delta <= 8) return APP_RTP;
    }
  }
  // One candidate slot: a packet of the other direction does not replace it.
  if (stKind(state) === ST_NONE || (stKind(state) === ST_RTP && stData(state) % 2 === dir)) {
    f.appState = st(ST_RTP, dir + 2 * seq + 131072 * ssrc);
  }
  return 0;
}

/** MS-RDPEUDP SYN (2.2.2.1, 3.1.5.1.1): snSourceAck -1, receive window, SYN flag, padded to 1232 bytes. */
function rdpUdpSyn(b: Uint8Array, o: number, n: number): boolean {
  if (n < 1232 || u32(b, o) !== 0xffffffff) return false;
  return (u16(b, o + 6) & 0x0001) !== 0;
}

/** HSRPv2 (Cisco): a Group State TLV (type 1, length 40, version 2) first. */
function hsrp2(b: Uint8Array, o: number, n: number): boolean {
  return n >= 42 && b[o] === 1 && b[o + 1] === 40 && b[o + 2] === 2 && b[o + 3] <= 2;
}

/**
 * uTP (BEP 29): type 0-4 with version 1, extension 0-2, connection id,
 * sequence number. Two headers of one direction with the same connection id
 * and close sequence numbers, or a SYN answered by a STATE with its id.
 */
function utp(f: ClassifiedFlow, fwd: boolean, b: Uint8Array, o: number, n: number): boolean {
  if (n < 20 || b[o + 1] > 2) return false;
  const type = b[o] >> 4;
  const conn = u16(b, o + 2);
  const seq = u16(b, o + 16);
  const dir = fwd ? 1 : 0;
  const state = f.appState;
  if (stKind(state) === ST_UTP) {
    const d = stData(state);
    const pdir = d % 2;
    const pconn = Math.floor(d / 2) % 65536;
    const pseq = Math.floor(d / 131072) % 65536;
    const psyn = d >= 8589934592;
    // The next packets of one side: same connection, sequence number one or two further (not a duplicate).
    const delta = (seq - pseq + 65536) % 65536;
    if (pdir === dir && pconn === conn && (delta === 1 || delta === 2)) return true;
    // A SYN answered by a STATE packet carrying its connection id.
    if (psyn && pdir !== dir && type === 2 && pconn === conn) return true;
  }
  if (stKind(state) === ST_NONE || stKind(state) === ST_UTP) {
    f.appState = st(ST_UTP, dir + 2 * conn + 131072 * seq + (type === 4 ? 8589934592 : 0));
  }
  return false;
}

/**
 * A TFTP transfer on its own ports (RFC 1350 / RFC 2347): a DATA block or an
 * OACK, answered by an ACK of that block from the other side.
 */
function tftpTransfer(f: ClassifiedFlow, fwd: boolean, b: Uint8Array, o: number, n: number): boolean {
  const op = b[o + 1];
  const dir = fwd ? 1 : 0;
  const state = f.appState;
  if (op === 4) {
    if (n !== 4 || stKind(state) !== ST_TFTP) return false;
    const d = stData(state);
    return d % 2 !== dir && Math.floor(d / 2) === u16(b, o + 2);
  }
  let block = -1;
  if (op === 3 && n <= 4 + 65464) block = u16(b, o + 2);
  else if (op === 6 && n >= 6 && b[o + n - 1] === 0 && allPrintableOrNul(b, o + 2, n - 2)) {
    // OACK (RFC 2347) naming an option of RFC 2348 / 2349 / 7440.
    const q = o + 2;
    const r = n - 2;
    if (startsCI(b, q, r, P_BLKSIZE) || startsCI(b, q, r, P_TSIZE) || startsCI(b, q, r, P_TIMEOUT) || startsCI(b, q, r, P_WINDOWSIZE)) return true;
    block = 0;
  }
  if (block >= 0 && (stKind(state) === ST_NONE || stKind(state) === ST_TFTP)) f.appState = st(ST_TFTP, dir + 2 * block);
  return false;
}

function allPrintableOrNul(b: Uint8Array, o: number, k: number): boolean {
  for (let i = 0; i < k; i++) {
    const c = b[o + i];
    if (!(isPrintable(c) || c === 0)) return false;
  }
  return true;
}

/** DNSCrypt: a DNS message asking for "2.dnscrypt-cert.*", or a response that starts with the resolver magic. */
function dnscrypt(b: Uint8Array, o: number, n: number): boolean {
  if (n >= 12 + 16 && u16(b, o + 4) === 1 && starts(b, o + 12, n - 12, P_DNSCRYPT_CERT)) return true;
  // Encrypted response: magic, 24-byte nonce, then at least a padded DNS message.
  return n >= 8 + 24 + 16 && b[o] === 0x72 && starts(b, o, n, P_DNSCRYPT_RESOLVER_MAGIC);
}

/**
 * A Gnutella message (Gnutella 0.6 protocol spec, 2.2): 16-byte GUID, payload
 * type, TTL, hops, payload length (little endian) = the rest of the datagram.
 */
function gnutellaUdp(b: Uint8Array, o: number, n: number): boolean {
  if (u32le(b, o + 19) !== n - 23) return false;
  const type = b[o + 16];
  const ttl = b[o + 17];
  const hops = b[o + 18];
  // ping, pong, bye, route table update, vendor messages, push, DHT (0x44), query, query hit
  const known = type === 0x00 || type === 0x01 || type === 0x02 || type === 0x30 || type === 0x31 || type === 0x32 || type === 0x40 ||
    type === 0x41 || type === 0x44 || type === 0x80 || type === 0x81;
  return known && ttl + hops <= 16;
}

/** BACnet/IP (ASHRAE 135 annex J): BVLC type 0x81, function 0-12, length = datagram; an NPDU (version 1) where one is carried. */
function bacnet(b: Uint8Array, o: number, n: number): boolean {
  if (n < 6 || b[o + 1] > 0x0c || u16(b, o + 2) !== n) return false;
  const fn = b[o + 1];
  if (fn === 0x04) return n >= 12 && b[o + 10] === 0x01;
  if (fn === 0x09 || fn === 0x0a || fn === 0x0b) return b[o + 4] === 0x01;
  return true;
}

/**
 * DNP3 data link frame (IEEE 1815 9.2): start bytes 0x05 0x64, length (5..255:
 * control, addresses and user data), then 16-byte blocks each with a CRC.
 */
function dnp3(b: Uint8Array, o: number, n: number): boolean {
  if (n < 10 || b[o + 1] !== 0x64) return false;
  const len = b[o + 2];
  if (len < 5) return false;
  const data = len - 5;
  const frame = 10 + data + 2 * Math.ceil(data / 16);
  return frame <= n && (frame === n || (b[o + frame] === 0x05 && b[o + frame + 1] === 0x64));
}

/** IEC 60870-5-104 APDUs (IEC 60870-5-104 5): start 0x68, length 4-253, control fields; the frames tile the segment. */
function iec104(b: Uint8Array, o: number, n: number): boolean {
  let p = o;
  const end = o + n;
  while (p < end) {
    if (p + 6 > end || b[p] !== 0x68) return false;
    const l = b[p + 1];
    if (l < 4 || l > 253) return false;
    const c1 = b[p + 2];
    if ((c1 & 3) === 3) {
      // U format: exactly one function bit, length 4
      if (l !== 4 || !(c1 === 0x07 || c1 === 0x0b || c1 === 0x13 || c1 === 0x23 || c1 === 0x43 || c1 === 0x83)) return false;
    } else if ((c1 & 3) === 1) {
      if (l !== 4 || c1 !== 1) return false; // S format
    } else if (l < 4 + 6) {
      return false; // I format carries an ASDU
    }
    p += 2 + l;
  }
  return p === end;
}

/** NAT-PMP (RFC 6886 3): version 0; requests (opcode 0-2) and responses (128+) of fixed sizes. */
function natPmp(b: Uint8Array, o: number, n: number): boolean {
  if (n < 2 || b[o] !== 0) return false;
  const op = b[o + 1];
  if (op === 0) return n === 2;
  if (op === 1 || op === 2) return n === 12 && b[o + 2] === 0 && b[o + 3] === 0;
  if (op === 128) return n === 12 && u16(b, o + 2) <= 5;
  if (op === 129 || op === 130) return n === 16 && u16(b, o + 2) <= 5;
  return false;
}

/** CoAP (RFC 7252 3): version 1, type, token length 0-8, a defined code, options that parse up to the payload marker. */
function coap(b: Uint8Array, o: number, n: number): boolean {
  if (n < 4 || b[o] >> 6 !== 1) return false;
  const tkl = b[o] & 0x0f;
  if (tkl > 8 || 4 + tkl > n) return false;
  const code = b[o + 1];
  if (code === 0) return n === 4 && tkl === 0; // empty message
  const cls = code >> 5;
  const detail = code & 0x1f;
  const defined =
    (cls === 0 && detail >= 1 && detail <= 7) ||
    (cls === 2 && ((detail >= 1 && detail <= 5) || detail === 31)) ||
    (cls === 4 && (detail <= 6 || detail === 8 || detail === 9 || detail === 12 || detail === 13 || detail === 15 || detail === 29)) ||
    (cls === 5 && detail <= 5);
  if (!defined) return false;
  let p = o + 4 + tkl;
  const end = o + n;
  while (p < end) {
    const c = b[p++];
    if (c === 0xff) return p < end; // payload marker: a payload follows
    let delta = c >> 4;
    let len = c & 0x0f;
    if (delta === 15 || len === 15) return false;
    if (delta === 13) delta = 13 + b[p++];
    else if (delta === 14) {
      delta = 269 + u16(b, p);
      p += 2;
    }
    if (len === 13) len = 13 + b[p++];
    else if (len === 14) {
      len = 269 + u16(b, p);
      p += 2;
    }
    p += len;
  }
  return p === end;
}
