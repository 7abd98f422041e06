// TLS handshake records (RFC 5246 / RFC 8446): a ClientHello with SNI and ALPN
// and a matching ServerHello. Enough for dissectors that read names and
// versions; no cryptography happens after them.

import { cat, u16, u24, u8 } from '../bytes';

const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const HANDSHAKE_SERVER_HELLO = 2;
const TLS10 = 0x0301; // record-layer version clients put on a ClientHello
const TLS12 = 0x0303;
const TLS13 = 0x0304;

const EXT_SERVER_NAME = 0;
const EXT_SUPPORTED_GROUPS = 10;
const EXT_SIGNATURE_ALGORITHMS = 13;
const EXT_ALPN = 16;
const EXT_SUPPORTED_VERSIONS = 43;
const EXT_KEY_SHARE = 51;
const GROUP_X25519 = 0x001d;

function vec8(b: Buffer): Buffer {
  return cat(u8(b.length), b);
}
function vec16(b: Buffer): Buffer {
  return cat(u16(b.length), b);
}
function extension(type: number, body: Buffer): Buffer {
  return cat(u16(type), vec16(body));
}
function record(handshakeType: number, body: Buffer, recordVersion: number): Buffer {
  const handshake = cat(u8(handshakeType), u24(body.length), body);
  return cat(u8(CONTENT_HANDSHAKE), u16(recordVersion), vec16(handshake));
}

export interface ClientHelloOptions {
  serverName?: string;
  alpn?: readonly string[];
  /** '1.3' adds supported_versions and key_share, as every TLS 1.3 client does. */
  version?: '1.2' | '1.3';
  /** 32 bytes; deterministic callers pass their own. */
  random?: Buffer;
  sessionId?: Buffer;
}

const CIPHER_SUITES_12 = [0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8];
const CIPHER_SUITES_13 = [0x1301, 0x1302, 0x1303];

export function tlsClientHello(o: ClientHelloOptions): Buffer {
  const is13 = o.version !== '1.2';
  const suites = [...(is13 ? CIPHER_SUITES_13 : []), ...CIPHER_SUITES_12];
  const exts: Buffer[] = [];
  if (o.serverName) {
    const HOST_NAME = 0;
    exts.push(extension(EXT_SERVER_NAME, vec16(cat(u8(HOST_NAME), vec16(Buffer.from(o.serverName, 'ascii'))))));
  }
  exts.push(extension(EXT_SUPPORTED_GROUPS, vec16(cat(u16(GROUP_X25519), u16(0x0017)))));
  exts.push(extension(EXT_SIGNATURE_ALGORITHMS, vec16(cat(u16(0x0403), u16(0x0804), u16(0x0401)))));
  if (o.alpn && o.alpn.length > 0) {
    exts.push(extension(EXT_ALPN, vec16(cat(...o.alpn.map((p) => vec8(Buffer.from(p, 'ascii')))))));
  }
  if (is13) {
    exts.push(extension(EXT_SUPPORTED_VERSIONS, vec8(cat(u16(TLS13), u16(TLS12)))));
    const keyShare = cat(u16(GROUP_X25519), vec16(Buffer.alloc(32, 0x42)));
    exts.push(extension(EXT_KEY_SHARE, vec16(keyShare)));
  }
  const NULL_COMPRESSION = Buffer.from([0]);
  const body = cat(
    u16(TLS12), // legacy_version: TLS 1.3 clients also say 1.2 here
    o.random ?? Buffer.alloc(32, 0x11),
    vec8(o.sessionId ?? Buffer.alloc(32, 0x22)),
    vec16(cat(...suites.map(u16))),
    vec8(NULL_COMPRESSION),
    vec16(cat(...exts)),
  );
  return record(HANDSHAKE_CLIENT_HELLO, body, TLS10);
}

export interface ServerHelloOptions {
  version?: '1.2' | '1.3';
  cipherSuite?: number;
  random?: Buffer;
  sessionId?: Buffer;
  alpn?: string;
}

export function tlsServerHello(o: ServerHelloOptions): Buffer {
  const is13 = o.version !== '1.2';
  const exts: Buffer[] = [];
  if (o.alpn) exts.push(extension(EXT_ALPN, vec16(vec8(Buffer.from(o.alpn, 'ascii')))));
  if (is13) {
    exts.push(extension(EXT_SUPPORTED_VERSIONS, u16(TLS13)));
    exts.push(extension(EXT_KEY_SHARE, cat(u16(GROUP_X25519), vec16(Buffer.alloc(32, 0x43)))));
  }
  const body = cat(
    u16(TLS12),
    o.random ?? Buffer.alloc(32, 0x33),
    vec8(o.sessionId ?? Buffer.alloc(32, 0x22)),
    u16(o.cipherSuite ?? (is13 ? 0x1301 : 0xc02f)),
    u8(0), // null compression
    vec16(cat(...exts)),
  );
  return record(HANDSHAKE_SERVER_HELLO, body, TLS12);
}

/** An opaque application_data record (content type 23) of `length` bytes, standing in for encrypted traffic. */
export function tlsApplicationData(length: number, fill: (n: number) => Buffer = (n) => Buffer.alloc(n, 0x5a)): Buffer {
  const CONTENT_APPLICATION_DATA = 23;
  return cat(u8(CONTENT_APPLICATION_DATA), u16(TLS12), u16(length), fill(length));
}
