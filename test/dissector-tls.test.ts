/**
 * dissectors/tls.ts (ClientHello over TCP) and dissectors/quic.ts (client
 * Initial decryption, ClientHello from the CRYPTO stream).
 *
 * 1. Generated: ClientHellos from test/gen/app/tls.ts and hand-built ones
 *    (GREASE, no extensions, TLS 1.3 drafts, SSLv2 framing) through the
 *    parser and the reader, the reader fed split at every byte and with the
 *    hello cut into many records; truncations and random mutations never
 *    throw. QUIC: the RFC 9001 and RFC 9369 appendix A keys and client
 *    Initials; Initials protected here (the protection code is checked to
 *    reproduce RFC 9001 A.2 byte for byte) with CRYPTO frames out of order,
 *    split over packets and datagrams, coalesced with 0-RTT, after a Retry,
 *    after a forced version negotiation, for the draft versions; mutations.
 *    The generated flows also go, as a capture, through the tshark
 *    comparison below.
 * 2. Real captures: nDPI captures whose result mentions TLS or QUIC (all the
 *    QUIC ones and every second TLS-only one; MICROCLOUD_FULL_CORPUS=1 takes
 *    all) and every Zeek capture, compared per TCP/UDP stream with tshark's
 *    first ClientHello: server name, ALPN list, highest version.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureFile } from '../capture/capture-file';
import { Decap, PacketDecoder } from '../capture/decoder';
import { DecodedPacket, DecodeStatus } from '../capture/decoded-packet';
import { clientInitialKeys, clientInitialSecret, initialProtections, MAX_DATAGRAMS, QuicInitialReader, quicVersionParams, VersionParams } from '../dissectors/quic';
import { SegmentVerdict, TcpSequence } from '../dissectors/tcp-sequence';
import { ClientHelloInfo, HelloProgress, isGrease, parseClientHello, TlsClientHelloReader, tlsVersionName } from '../dissectors/tls';
import { ndpiPcapDir, ndpiResultDir, sharedDir, zeekDir } from './corpus/paths';
import { tlsApplicationData, tlsClientHello, tlsServerHello } from './gen/app/tls';
import { cat, u16, u24, u32, u8 } from './gen/bytes';
import { IpProto, ipv4 } from './gen/ip';
import { ethernet } from './gen/link';
import { LinkType, writeCaptureFile, writePcap } from './gen/pcap-writer';
import { SeededRandom } from './gen/rng';
import { tcp, udp } from './gen/transport';
import { mapLimited, TSHARK, tsharkAvailable } from './gen/tshark';

// ---------------------------------------------------------------------------
// TLS builders (RFC 8446 4.1.2), for what the generator does not make

const vec8 = (b: Buffer): Buffer => cat(u8(b.length), b);
const vec16 = (b: Buffer): Buffer => cat(u16(b.length), b);
const ext = (type: number, body: Buffer): Buffer => cat(u16(type), vec16(body));
const sniExt = (...names: Array<[number, string]>): Buffer =>
  ext(0, vec16(cat(...names.map(([type, n]) => cat(u8(type), vec16(Buffer.from(n, 'latin1')))))));
const alpnExt = (...names: string[]): Buffer => ext(16, vec16(cat(...names.map((n) => vec8(Buffer.from(n, 'latin1'))))));
const versionsExt = (...versions: number[]): Buffer => ext(43, vec8(cat(...versions.map(u16))));

interface BodyOptions {
  legacy?: number;
  sessionId?: Buffer;
  suites?: number[];
  /** null: no extensions block at all (SSLv3 / early TLS). */
  exts?: Buffer[] | null;
}
function helloBody(o: BodyOptions): Buffer {
  const base = cat(
    u16(o.legacy ?? 0x0303),
    Buffer.alloc(32, 0x5a),
    vec8(o.sessionId ?? Buffer.alloc(32, 0x22)),
    vec16(cat(...(o.suites ?? [0x1301, 0xc02f]).map(u16))),
    vec8(Buffer.from([0])),
  );
  return o.exts === null ? base : cat(base, vec16(cat(...(o.exts ?? []))));
}
const handshake = (body: Buffer, type = 1): Buffer => cat(u8(type), u24(body.length), body);
/** A handshake message cut into records of at most `size` bytes. */
function records(hs: Buffer, size = 16384, recordVersion = 0x0301): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < hs.length; i += size) {
    const frag = hs.subarray(i, Math.min(hs.length, i + size));
    out.push(cat(u8(22), u16(recordVersion), vec16(frag)));
  }
  return cat(...out);
}

const parse = (b: Buffer): ClientHelloInfo | null => parseClientHello(b, 0, b.length);
function readAll(chunks: Buffer[]): { progress: HelloProgress; hello: ClientHelloInfo | null } {
  const r = new TlsClientHelloReader();
  let progress = HelloProgress.More;
  for (const c of chunks) progress = r.feed(c, 0, c.length);
  return { progress, hello: r.hello };
}

const GEN_CASES: Array<{ what: string; record: Buffer; expect: ClientHelloInfo }> = [
  { what: 'TLS 1.3, SNI, two ALPN', record: tlsClientHello({ serverName: 'www.example.com', alpn: ['h2', 'http/1.1'] }), expect: { serverName: 'www.example.com', alpn: ['h2', 'http/1.1'], version: 0x0304 } },
  { what: 'TLS 1.2, SNI, no ALPN', record: tlsClientHello({ serverName: 'a.b', version: '1.2' }), expect: { serverName: 'a.b', alpn: [], version: 0x0303 } },
  { what: 'TLS 1.3, no SNI', record: tlsClientHello({ alpn: ['h3'] }), expect: { serverName: null, alpn: ['h3'], version: 0x0304 } },
  { what: 'TLS 1.2, empty session id', record: tlsClientHello({ serverName: 'x.test', version: '1.2', sessionId: Buffer.alloc(0) }), expect: { serverName: 'x.test', alpn: [], version: 0x0303 } },
];

t.test('generated ClientHellos: parser', async (t) => {
  for (const c of GEN_CASES) t.same(parse(c.record.subarray(9)), c.expect, c.what);

  const grease = helloBody({
    exts: [ext(0x2a2a, Buffer.alloc(0)), sniExt([0, 'grease.test']), alpnExt('h2'), versionsExt(0xfafa, 0x0304, 0x0303), ext(0x3a3a, Buffer.from([0]))],
  });
  t.same(parse(grease), { serverName: 'grease.test', alpn: ['h2'], version: 0x0304 }, 'GREASE extension types and versions are skipped (0xfafa is not the highest)');
  t.same(parse(helloBody({ exts: [versionsExt(0x0a0a, 0x1a1a)] })), { serverName: null, alpn: [], version: 0x0303 }, 'only GREASE in supported_versions: legacy_version');
  t.same(parse(helloBody({ exts: [versionsExt(0x7f1c, 0x0304, 0x0303)] })), { serverName: null, alpn: [], version: 0x0304 }, 'TLS 1.3 draft code point ranks below the final TLS 1.3');
  t.same(parse(helloBody({ exts: [versionsExt(0x7f1c, 0x0303)] })), { serverName: null, alpn: [], version: 0x7f1c }, 'TLS 1.3 draft ranks above TLS 1.2');
  t.same(parse(helloBody({ legacy: 0x0300, exts: null })), { serverName: null, alpn: [], version: 0x0300 }, 'SSLv3 hello without an extensions block');
  t.same(parse(helloBody({ legacy: 0x0301, exts: [] })), { serverName: null, alpn: [], version: 0x0301 }, 'empty extensions block');
  t.same(parse(helloBody({ exts: [sniExt([1, 'other'], [0, 'second.test'], [0, 'third.test'])] }))?.serverName, 'second.test', 'first host_name entry of the list');
  t.same(parse(helloBody({ exts: [sniExt([0, 'first.test']), sniExt([0, 'dup.test'])] }))?.serverName, 'first.test', 'a repeated extension: the first counts');
  t.same(parse(helloBody({ exts: [ext(0, Buffer.alloc(0))] })), { serverName: null, alpn: [], version: 0x0303 }, 'empty server_name extension');
  t.equal(parse(helloBody({ exts: [sniExt([0, 'caf\u00e9.test'])] }))?.serverName, 'caf\ufffd.test', 'a non-ASCII byte decodes as UTF-8 (replacement character)');
  t.equal(parse(helloBody({ exts: [ext(0, Buffer.from([0, 10, 0, 0, 20]))] })), null, 'host_name running past its list: null');
  t.equal(parse(helloBody({ exts: [ext(16, Buffer.from([0, 3, 2, 0x68]))] })), null, 'ALPN name running past its list: null');
  t.equal(parse(helloBody({ exts: [ext(16, Buffer.from([0, 1, 0]))] })), null, 'empty ALPN name: null');
  t.equal(parse(helloBody({ exts: [ext(43, Buffer.from([3, 3, 4, 3]))] })), null, 'odd supported_versions length: null');
  t.equal(parse(helloBody({ sessionId: Buffer.alloc(33) })), null, 'session id longer than 32: null');
  t.equal(parse(helloBody({ suites: [] })), null, 'no cipher suites: null');
  const body = helloBody({ exts: [sniExt([0, 'ok.test'])] });
  t.equal(parseClientHello(body, 0, body.length - 1), null, 'extensions block one byte short: null');
  t.equal(parseClientHello(body, 1, body.length), null, 'range beyond the buffer: null');
  const shifted = cat(Buffer.alloc(7, 0xee), body, Buffer.alloc(5, 0xee));
  t.same(parseClientHello(shifted, 7, body.length), { serverName: 'ok.test', alpn: [], version: 0x0303 }, 'parses at an offset, ignores what follows');
});

t.test('generated ClientHellos: reader, split at every byte and over records', async (t) => {
  for (const c of GEN_CASES) {
    const rec = c.record;
    let splitOk = 0;
    for (let i = 0; i <= rec.length; i++) {
      const r = readAll([rec.subarray(0, i), rec.subarray(i)]);
      if (r.progress === HelloProgress.Done && JSON.stringify(r.hello) === JSON.stringify(c.expect)) splitOk++;
    }
    t.equal(splitOk, rec.length + 1, `${c.what}: split in two at each of ${rec.length + 1} points`);
    const bytes = [...rec].map((b) => Buffer.from([b]));
    const r1 = readAll(bytes);
    t.same([r1.progress, r1.hello], [HelloProgress.Done, c.expect], `${c.what}: one byte at a time`);
    const hs = rec.subarray(5);
    for (const size of [1, 2, 3, 4, 5, 17, 100]) {
      const multi = records(hs, size);
      const whole = readAll([multi]);
      let ok = whole.progress === HelloProgress.Done && JSON.stringify(whole.hello) === JSON.stringify(c.expect);
      // Every split point of the multi-record stream as well.
      for (let i = 0; i <= multi.length && ok; i += 1) {
        const r = readAll([multi.subarray(0, i), multi.subarray(i)]);
        ok = r.progress === HelloProgress.Done && JSON.stringify(r.hello) === JSON.stringify(c.expect);
      }
      t.ok(ok, `${c.what}: ${Math.ceil(hs.length / size)} records of ${size} bytes, fed whole and split at each of ${multi.length + 1} points`);
    }
    // More progress stays More until the last byte, then Done; bytes after the hello are ignored.
    const r = new TlsClientHelloReader();
    t.equal(r.feed(rec, 0, rec.length - 1), HelloProgress.More, `${c.what}: More before the last byte`);
    t.equal(r.hello, null);
    const tail = cat(rec.subarray(rec.length - 1), tlsApplicationData(50));
    t.equal(r.feed(tail, 0, tail.length), HelloProgress.Done, `${c.what}: Done with the last byte, later records ignored`);
    t.equal(r.feed(tail, 0, tail.length), HelloProgress.Done, 'stays Done');
  }

  // A record-layer header and a handshake header split across records and segments, with a zero-length record between.
  const hs = tlsClientHello({ serverName: 'zero.test', alpn: ['h2'] }).subarray(5);
  const withEmpty = cat(records(hs.subarray(0, 2)), cat(u8(22), u16(0x0303), u16(0)), records(hs.subarray(2)));
  t.same(readAll([withEmpty]).hello, { serverName: 'zero.test', alpn: ['h2'], version: 0x0304 }, 'an empty handshake record in between');
  const big = helloBody({ exts: [sniExt([0, 'big.test']), ext(21, Buffer.alloc(40000)), alpnExt('h2', 'http/1.1')] });
  const bigRecords = records(handshake(big), 16384, 0x0303);
  const segments: Buffer[] = [];
  for (let i = 0; i < bigRecords.length; i += 1448) segments.push(bigRecords.subarray(i, i + 1448));
  t.same(readAll(segments), { progress: HelloProgress.Done, hello: { serverName: 'big.test', alpn: ['h2', 'http/1.1'], version: 0x0303 } }, `a ${big.length}-byte hello in 3 records and ${segments.length} segments`);
});

t.test('reader: what is not a ClientHello, gaps, bounds, SSLv2', async (t) => {
  const hello = tlsClientHello({ serverName: 'gap.test' });
  t.equal(readAll([tlsServerHello({})]).progress, HelloProgress.Fail, 'a ServerHello: Fail');
  t.equal(readAll([tlsApplicationData(100)]).progress, HelloProgress.Fail, 'application data: Fail');
  t.equal(readAll([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]).progress, HelloProgress.Fail, 'HTTP: Fail');
  t.equal(readAll([cat(u8(22), u16(0x0303), u16(20000), Buffer.alloc(10))]).progress, HelloProgress.Fail, 'record longer than 2^14 + 2048: Fail');
  t.equal(readAll([records(cat(u8(1), u24(70000), Buffer.alloc(100)))]).progress, HelloProgress.Fail, 'ClientHello longer than 64 KB: Fail');
  t.equal(readAll([records(handshake(Buffer.alloc(60, 0)))]).progress, HelloProgress.Fail, 'a malformed body: Fail');
  const mixed = cat(records(hello.subarray(5, 20)), tlsApplicationData(10), records(hello.subarray(20)));
  t.equal(readAll([mixed]).progress, HelloProgress.Fail, 'another content type inside the hello: Fail');

  const r = new TlsClientHelloReader();
  r.gap();
  t.equal(r.feed(hello, 0, hello.length), HelloProgress.Done, 'a gap before any byte: nothing lost');
  const r2 = new TlsClientHelloReader();
  r2.feed(hello, 0, 10);
  r2.gap();
  t.equal(r2.feed(hello, 10, hello.length - 10), HelloProgress.Fail, 'a gap inside the hello: Fail');
  t.equal(r2.hello, null);
  const r3 = new TlsClientHelloReader();
  r3.feed(hello, 0, hello.length);
  r3.gap();
  t.equal(r3.feed(hello, 0, 1), HelloProgress.Done, 'a gap after Done changes nothing');
  t.equal(new TlsClientHelloReader().feed(hello, 10, hello.length), HelloProgress.Fail, 'a range beyond the buffer: Fail, no throw');

  // SSL 2.0 CLIENT-HELLO framing (RFC 6101 E.1 / RFC 5246 E.2): 2-byte length with the top bit, type 1, version, lengths.
  const v2body = cat(u8(1), u16(0x0301), u16(6), u16(0), u16(16), Buffer.from([0, 0, 0x04, 0x01, 0x00, 0x80]), Buffer.alloc(16, 7));
  const v2 = cat(u16(0x8000 | v2body.length), v2body);
  t.same(readAll([v2]), { progress: HelloProgress.Done, hello: { serverName: null, alpn: [], version: 0x0301 } }, 'SSLv2-format hello: its version');
  t.same(readAll([v2.subarray(0, 12), v2.subarray(12)]).hello?.version, 0x0301, 'SSLv2-format hello in two segments');

  t.equal(tlsVersionName(0x0304), 'TLSv1.3');
  t.equal(tlsVersionName(0x0303), 'TLSv1.2');
  t.equal(tlsVersionName(0x0302), 'TLSv1.1');
  t.equal(tlsVersionName(0x0301), 'TLSv1');
  t.equal(tlsVersionName(0x0300), 'SSLv3');
  t.equal(tlsVersionName(0x0002), 'SSLv2');
  t.equal(tlsVersionName(0x7f1c), 'TLSv1.3-draft28');
  t.equal(tlsVersionName(0xfeff), '0xfeff');
  t.equal(tlsVersionName(0x0a0a), '0x0a0a');
  t.ok(isGrease(0x0a0a) && isGrease(0xfafa) && !isGrease(0x0a1a) && !isGrease(0x0304), 'isGrease');
});

t.test('fuzz: truncations and mutations never throw', async (t) => {
  const rng = new SeededRandom(0x715);
  const samples = [
    ...GEN_CASES.map((c) => c.record),
    records(handshake(helloBody({ exts: [sniExt([0, 'fuzz.test']), alpnExt('h2', 'h3'), versionsExt(0x0a0a, 0x0304)] })), 40),
  ];
  let threw = 0;
  let readerAcceptedTruncation = 0;
  let parserAccepted = 0;
  let parserInvented = 0;
  let runs = 0;
  for (const s of samples) {
    const body = s.subarray(9);
    for (let n = 0; n <= s.length; n++) {
      runs++;
      try {
        if (n < body.length) {
          // A body cut right after its compression methods is a valid extension-less hello (SSLv3 style):
          // the only cut the parser may accept, and then without any extension value.
          const h = parseClientHello(body, 0, n);
          if (h) {
            parserAccepted++;
            if (h.serverName !== null || h.alpn.length > 0) parserInvented++;
          }
        }
        const r = readAll([s.subarray(0, n)]);
        if (n < s.length && r.progress !== HelloProgress.More) readerAcceptedTruncation++;
      } catch {
        threw++;
      }
    }
  }
  t.equal(threw, 0, `${runs} truncations: no throw`);
  t.equal(readerAcceptedTruncation, 0, 'the reader says More for every truncated stream (never Done, never Fail)');
  t.ok(parserAccepted <= samples.length && parserInvented === 0, `a truncated body parses only when cut after the compression methods, without extension values (${parserAccepted} of ${samples.length} samples)`);
  let accepted = 0;
  for (let i = 0; i < 20000; i++) {
    const s = Buffer.from(rng.pick(samples));
    const flips = rng.int(1, 4);
    for (let k = 0; k < flips; k++) s[rng.int(0, s.length - 1)] = rng.int(0, 255);
    try {
      const whole = parseClientHello(s, 9, s.length - 9);
      const r = new TlsClientHelloReader();
      let at = 0;
      while (at < s.length) {
        const n = rng.int(1, 300);
        r.feed(s, at, Math.min(n, s.length - at));
        at += n;
        if (rng.int(0, 50) === 0) r.gap();
      }
      if (whole && r.hello) accepted++;
      if (r.hello) {
        // Whatever is accepted is well-formed: strings, a 16-bit version.
        if (typeof r.hello.version !== 'number' || r.hello.version < 0 || r.hello.version > 0xffff) threw++;
      }
    } catch {
      threw++;
    }
  }
  t.equal(threw, 0, '20000 mutated streams fed in random pieces with random gaps: no throw, sane values');
  t.comment(`${accepted} of 20000 mutations still parse as a ClientHello`);
});

// ---------------------------------------------------------------------------
// QUIC: RFC vectors and Initials protected here

/** RFC 9001 A.2 / RFC 9369 A.2: the client's CRYPTO frame (the ClientHello), then PADDING up to 1162 bytes. */
const RFC_CLIENT_FRAMES = Buffer.concat([
  Buffer.from(
    '060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868' +
      '04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578' +
      '616d706c652e636f6dff01000100000a00080006001d00170018001000070005' +
      '04616c706e000500050100000000003300260024001d00209370b2c9caa47fba' +
      'baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400' +
      '0d0010000e0403050306030203080408050806002d00020101001c0002400100' +
      '3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000' +
      '75300901100f088394c8f03e51570806048000ffff',
    'hex',
  ),
  Buffer.alloc(917),
]);
const RFC_DCID = Buffer.from('8394c8f03e515708', 'hex');
const RFC_HELLO: ClientHelloInfo = { serverName: 'example.com', alpn: ['alpn'], version: 0x0304 };

/** RFC 9001 A.2: the protected client Initial, 1200 bytes. */
const RFC9001_CLIENT_INITIAL = Buffer.from(
  'c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399' +
    '1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212' +
    '30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208' +
    '4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3' +
    '485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c' +
    '7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f89937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556' +
    'be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c7468449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a' +
    'c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632' +
    '291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe5896425c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd' +
    '14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ffef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198' +
    'e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009ddc324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73' +
    '203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77fcb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e' +
    'fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03adea2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047' +
    '90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4' +
    '40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca06948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e' +
    '8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400' +
    '54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9' +
    'f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064' +
    '7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241e221af44860018ab0856972e194cd934',
  'hex',
);

/** RFC 9369 A.2: the same client Initial under QUIC v2. */
const RFC9369_CLIENT_INITIAL = Buffer.from(
  'd76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04' +
    '9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a' +
    '12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68' +
    '18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff3312ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3' +
    'd396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520' +
    'bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f' +
    'ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c1216ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5' +
    '4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b' +
    '8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de714d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9' +
    '9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd' +
    '80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18' +
    'd703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc' +
    '7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710' +
    '10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e' +
    '06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1' +
    '34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd' +
    '5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e38d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89' +
    'd5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b536f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19' +
    '9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96ba18b2faa745b6fe189cf772a9f84cbfc',
  'hex',
);

/** RFC 9000 16: the shortest encoding unless `width` forces one. */
function varint(v: number, width?: 1 | 2 | 4 | 8): Buffer {
  const w = width ?? (v < 64 ? 1 : v < 16384 ? 2 : v < 2 ** 30 ? 4 : 8);
  const b = Buffer.alloc(w);
  let x = v;
  for (let i = w - 1; i >= 0; i--) {
    b[i] = x % 256;
    x = Math.floor(x / 256);
  }
  b[0] |= { 1: 0, 2: 0x40, 4: 0x80, 8: 0xc0 }[w];
  return b;
}
const cryptoFrame = (offset: number, data: Buffer): Buffer => cat(u8(6), varint(offset), varint(data.length), data);
const ackFrame = (): Buffer => cat(u8(2), varint(3), varint(10), varint(1), varint(0), varint(1), varint(0));
const PING = Buffer.from([1]);
const padding = (n: number): Buffer => Buffer.alloc(n);

interface InitialOptions {
  version?: number;
  dcid?: Buffer;
  scid?: Buffer;
  /** The DCID the keys come from (the client's first one), when it is not this packet's. */
  keysFrom?: Buffer;
  token?: Buffer;
  pn?: number;
  pnLen?: 1 | 2 | 3 | 4;
  frames: Buffer;
  /** The protection to apply, when not the version's most likely one (reserved versions). */
  params?: VersionParams;
}

/** Protects a client Initial as RFC 9001 5.3-5.4 (and RFC 9369 for v2) say. */
function protectInitial(o: InitialOptions): Buffer {
  const version = o.version ?? 1;
  const dcid = o.dcid ?? RFC_DCID;
  const pnLen = o.pnLen ?? 4;
  const pn = o.pn ?? 0;
  const params = o.params ?? quicVersionParams(version);
  const keys = clientInitialKeys(version, o.keysFrom ?? dcid, params);
  if (!keys || !params) throw new Error(`no keys for version ${version.toString(16)}`);
  const frames = o.frames.length + pnLen < 4 ? cat(o.frames, padding(4 - pnLen - o.frames.length)) : o.frames;
  const pnBytes = Buffer.alloc(pnLen);
  for (let i = 0, x = pn; i < pnLen; i++, x = Math.floor(x / 256)) pnBytes[pnLen - 1 - i] = x % 256;
  const header = cat(
    u8(0xc0 | (params.initialType << 4) | (pnLen - 1)),
    u32(version),
    vec8(dcid),
    vec8(o.scid ?? Buffer.alloc(0)),
    varint((o.token ?? Buffer.alloc(0)).length),
    o.token ?? Buffer.alloc(0),
    varint(pnLen + frames.length + 16, 2),
    pnBytes,
  );
  const nonce = Buffer.from(keys.iv);
  for (let i = 0, x = pn; i < 8; i++, x = Math.floor(x / 256)) nonce[11 - i] ^= x % 256;
  const gcm = createCipheriv('aes-128-gcm', keys.key, nonce);
  gcm.setAAD(header);
  const sealed = cat(gcm.update(frames), gcm.final(), gcm.getAuthTag());
  const packet = cat(header, sealed);
  const pnOffset = header.length - pnLen;
  const ecb = createCipheriv('aes-128-ecb', keys.hp, null);
  ecb.setAutoPadding(false);
  const mask = ecb.update(packet.subarray(pnOffset + 4, pnOffset + 20));
  packet[0] ^= mask[0] & 0x0f;
  for (let i = 0; i < pnLen; i++) packet[pnOffset + i] ^= mask[1 + i];
  return packet;
}

/** A long-header packet of another type (0-RTT, Handshake) with opaque contents, to be skipped by its Length. */
function otherLongPacket(type: number, version = 1, body = Buffer.alloc(40, 0x77)): Buffer {
  return cat(u8(0xc0 | (type << 4) | 3), u32(version), vec8(RFC_DCID), vec8(Buffer.alloc(0)), varint(body.length, 2), body);
}

function readQuic(datagrams: Buffer[]): { progress: HelloProgress; hello: ClientHelloInfo | null; version: number; steps: HelloProgress[] } {
  const r = new QuicInitialReader();
  const steps = datagrams.map((d) => r.feed(d, 0, d.length));
  return { progress: steps[steps.length - 1] ?? HelloProgress.More, hello: r.hello, version: r.quicVersion, steps };
}

/** The ClientHello handshake message used by the generated QUIC flows (a QUIC client offers only TLS 1.3). */
const QUIC_HELLO_MSG = tlsClientHello({ serverName: 'quic.example.net', alpn: ['h3', 'h3-29'] }).subarray(5);
const QUIC_HELLO: ClientHelloInfo = { serverName: 'quic.example.net', alpn: ['h3', 'h3-29'], version: 0x0304 };

t.test('QUIC: RFC 9001 and RFC 9369 appendix A', async (t) => {
  t.equal(clientInitialSecret(1, RFC_DCID)?.toString('hex'), 'c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea', 'RFC 9001 A.1 client_initial_secret');
  const k1 = clientInitialKeys(1, RFC_DCID);
  t.same(
    [k1?.key.toString('hex'), k1?.iv.toString('hex'), k1?.hp.toString('hex')],
    ['1f369613dd76d5467730efcbe3b1a22d', 'fa044b2f42a3fd3b46fb255c', '9f50449e04a0e810283a1e9933adedd2'],
    'RFC 9001 A.1 client key, iv, hp',
  );
  t.equal(clientInitialSecret(0x6b3343cf, RFC_DCID)?.toString('hex'), '14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b', 'RFC 9369 A.1 client_initial_secret');
  const k2 = clientInitialKeys(0x6b3343cf, RFC_DCID);
  t.same(
    [k2?.key.toString('hex'), k2?.iv.toString('hex'), k2?.hp.toString('hex')],
    ['8b1a0bc121284290a29e0971b5cd045d', '91f73e2351d8fa91660e909f', '45b95e15235d6f45a6b19cbcb0294ba9'],
    'RFC 9369 A.1 client key, iv, hp',
  );
  t.equal(clientInitialKeys(0x51303436, RFC_DCID), null, 'Google QUIC Q046: no keys');

  for (const [name, packet, version] of [['RFC 9001 A.2 (v1)', RFC9001_CLIENT_INITIAL, 1], ['RFC 9369 A.2 (v2)', RFC9369_CLIENT_INITIAL, 0x6b3343cf]] as const) {
    t.equal(packet.length, 1200, `${name}: 1200 bytes`);
    const r = readQuic([packet]);
    t.same([r.progress, r.hello, r.version], [HelloProgress.Done, RFC_HELLO, version], `${name} decrypts to its ClientHello`);
    // The protection written in this test reproduces the RFC's packet: it can be trusted for the cases below.
    t.ok(protectInitial({ version, pn: 2, frames: RFC_CLIENT_FRAMES }).equals(packet), `${name}: this test's packet protection gives the RFC's bytes`);
    const copy = Buffer.from(packet);
    readQuic([copy]);
    t.ok(copy.equals(packet), `${name}: the caller's buffer is left as it was`);
  }
});

t.test('QUIC: CRYPTO reassembly, coalesced packets, key changes, versions', async (t) => {
  const m = QUIC_HELLO_MSG;
  const a = m.subarray(0, 100);
  const b = m.subarray(100, 180);
  const c = m.subarray(180);
  const scid = Buffer.from('c0ffee01', 'hex');
  const serverCid = Buffer.from('5e4e4e4e4e4e4e4e', 'hex');

  t.same(readQuic([protectInitial({ frames: cat(cryptoFrame(0, m), padding(900)) })]).hello, QUIC_HELLO, 'one CRYPTO frame');
  t.same(
    readQuic([protectInitial({ frames: cat(padding(3), cryptoFrame(180, c), PING, cryptoFrame(0, a), ackFrame(), cryptoFrame(100, b), padding(500)) })]).hello,
    QUIC_HELLO,
    'three CRYPTO frames out of order in one packet, with PADDING, PING and ACK between',
  );
  t.same(
    readQuic([protectInitial({ frames: cat(cryptoFrame(0, m.subarray(0, 150)), cryptoFrame(50, m.subarray(50, 200)), cryptoFrame(120, m.subarray(120))) })]).hello,
    QUIC_HELLO,
    'overlapping CRYPTO frames',
  );
  const coalesced = cat(
    protectInitial({ pn: 0, pnLen: 1, frames: cryptoFrame(100, m.subarray(100)) }),
    protectInitial({ pn: 1, pnLen: 2, frames: cryptoFrame(0, a) }),
    otherLongPacket(1),
    Buffer.alloc(200), // zeros after the last packet (some clients pad the datagram outside any packet)
  );
  t.same(readQuic([coalesced]).hello, QUIC_HELLO, 'two Initials and a 0-RTT packet coalesced in one datagram');
  const threeDatagrams = readQuic([
    protectInitial({ pn: 0, pnLen: 1, scid, frames: cat(cryptoFrame(0, a), padding(1000)) }),
    cat(otherLongPacket(2), protectInitial({ pn: 2, pnLen: 3, dcid: serverCid, keysFrom: RFC_DCID, scid, frames: cryptoFrame(180, c) })),
    protectInitial({ pn: 3, pnLen: 4, dcid: serverCid, keysFrom: RFC_DCID, scid, frames: cat(ackFrame(), cryptoFrame(100, b)) }),
  ]);
  t.same(
    [threeDatagrams.steps, threeDatagrams.hello],
    [[HelloProgress.More, HelloProgress.More, HelloProgress.Done], QUIC_HELLO],
    'over three datagrams, the later Initials to the server-chosen DCID under the first DCID\'s keys',
  );
  const afterRetry = readQuic([
    protectInitial({ pn: 0, frames: cat(cryptoFrame(0, a), padding(1000)) }),
    protectInitial({ pn: 1, dcid: serverCid, frames: cat(cryptoFrame(0, m), padding(900)) }),
  ]);
  t.same([afterRetry.steps, afterRetry.hello], [[HelloProgress.More, HelloProgress.Done], QUIC_HELLO], 'after a Retry: keys from the new DCID, the hello again from offset 0');
  const forcedVn = readQuic([
    cat(u8(0xc0), u32(0x1a2a3a4a), vec8(RFC_DCID), vec8(Buffer.alloc(0)), Buffer.alloc(1150, 0x33)),
    protectInitial({ frames: cat(cryptoFrame(0, m), padding(900)) }),
  ]);
  t.same([forcedVn.steps, forcedVn.hello, forcedVn.version], [[HelloProgress.More, HelloProgress.Done], QUIC_HELLO, 1], 'a reserved version first (forcing Version Negotiation), then v1');
  const versions: Array<[string, number, VersionParams?]> = [
    ['v2', 0x6b3343cf],
    ['draft-34', 0xff000022],
    ['draft-32', 0xff000020],
    ['draft-29', 0xff00001d],
    ['draft-28', 0xff00001c],
    ['draft-27', 0xff00001b],
    ['draft-23', 0xff000017],
    ['draft-22', 0xff000016],
    ['draft-21', 0xff000015],
    ['mvfst draft-22', 0xfaceb001],
    ['mvfst draft-27', 0xfaceb002],
    ['mvfst experimental', 0xfaceb00e],
    ['reserved, v1 keys', 0x0a0a0a0a],
    ['reserved, draft-29 keys', 0x4a5a6a7a, initialProtections(0xff00001d)[0]],
  ];
  for (const [name, version, params] of versions) {
    const r = readQuic([protectInitial({ version, params, frames: cryptoFrame(0, a) }), protectInitial({ version, params, pn: 1, frames: cat(cryptoFrame(100, m.subarray(100)), padding(300)) })]);
    t.same([r.hello, r.version], [QUIC_HELLO, version], `${name} (0x${version.toString(16)}) over two datagrams`);
  }
  // The salts of different versions differ: keys of one do not open another's packets.
  const salts = new Set(versions.map(([, v, params]) => (params ?? quicVersionParams(v))?.salt.toString('hex')));
  t.equal(salts.size, 5, 'five distinct salts: v1, v2, draft-29, draft-23, draft-21 (drafts 33-34 share v1\'s)');
  t.equal(readQuic([protectInitial({ version: 0xff00001b, params: initialProtections(0xff00001d)[0], frames: cryptoFrame(0, m) })]).hello, null, 'draft-27 protected with the draft-29 salt: not opened (27 and 28 use the draft-23 salt)');
  t.same(initialProtections(0xff000014), [], 'draft-20: not decrypted');
  t.same(initialProtections(0x54303531), [], 'Google T051: not decrypted');
  const tokenPacket = protectInitial({ token: Buffer.alloc(70, 0x7a), pnLen: 2, pn: 300, frames: cryptoFrame(0, m) });
  t.same(readQuic([tokenPacket]).hello, QUIC_HELLO, 'an Initial with a token, 2-byte packet number 300');

  const unknown = cat(u8(0xc0), u32(0x51303530), vec8(RFC_DCID), vec8(Buffer.alloc(0)), Buffer.alloc(1150, 0x33));
  const gquic = readQuic(Array.from({ length: MAX_DATAGRAMS }, () => unknown));
  t.same([gquic.progress, gquic.hello, gquic.version], [HelloProgress.Fail, null, 0x51303530], `an unsupported version: Fail after ${MAX_DATAGRAMS} datagrams, version still reported`);
  const incomplete = readQuic(Array.from({ length: MAX_DATAGRAMS }, (_, i) => protectInitial({ pn: i, frames: cryptoFrame(0, a) })));
  t.same([incomplete.steps.slice(-2), incomplete.hello], [[HelloProgress.More, HelloProgress.Fail], null], `a hello never completed: Fail at datagram ${MAX_DATAGRAMS}`);
  t.equal(readQuic([protectInitial({ frames: cryptoFrame(0, handshake(Buffer.alloc(10), 2)) })]).progress, HelloProgress.Fail, 'a CRYPTO stream that starts with another handshake message: Fail');
  t.equal(readQuic([protectInitial({ frames: cryptoFrame(0, cat(u8(1), u24(200000))) })]).progress, HelloProgress.Fail, 'a ClientHello longer than 64 KB: Fail');
  t.equal(readQuic([protectInitial({ frames: cryptoFrame(70000, a) })]).progress, HelloProgress.Fail, 'CRYPTO data beyond the bound: Fail');
  t.equal(readQuic([protectInitial({ frames: cryptoFrame(0, handshake(Buffer.alloc(60))) })]).progress, HelloProgress.Fail, 'a malformed ClientHello: Fail');
  const notMine = protectInitial({ frames: cryptoFrame(0, m), keysFrom: Buffer.from('0102030405060708', 'hex') });
  t.same(readQuic([notMine]).steps, [HelloProgress.More], 'keys that do not match the DCID: nothing decrypts, no hello');
  const shortHeader = cat(u8(0x40), RFC_DCID, Buffer.alloc(100, 1));
  t.same(readQuic([shortHeader, protectInitial({ frames: cryptoFrame(0, m) })]).hello, QUIC_HELLO, 'a short-header datagram is skipped');
});

t.test('QUIC: truncations and mutations never throw, never invent a hello', async (t) => {
  const rng = new SeededRandom(0x9001);
  let threw = 0;
  let wrong = 0;
  let decrypted = 0;
  const rfc = RFC9001_CLIENT_INITIAL;
  for (let n = 0; n < rfc.length; n += 7) {
    try {
      if (readQuic([rfc.subarray(0, n)]).hello !== null) wrong++;
    } catch {
      threw++;
    }
  }
  t.equal(threw, 0, 'truncations of the RFC Initial: no throw');
  t.equal(wrong, 0, 'no truncation of the RFC Initial yields a hello');
  const sources = [rfc, RFC9369_CLIENT_INITIAL, protectInitial({ version: 0xff00001d, frames: cat(cryptoFrame(0, QUIC_HELLO_MSG), padding(100)) })];
  for (let i = 0; i < 2000; i++) {
    const src = rng.pick(sources);
    const d = Buffer.from(src);
    const flips = rng.int(1, 3);
    for (let k = 0; k < flips; k++) d[rng.int(0, d.length - 1)] ^= 1 << rng.int(0, 7);
    try {
      const r = readQuic([d]);
      if (r.hello) {
        decrypted++;
        if (JSON.stringify(r.hello) !== JSON.stringify(src === sources[2] ? QUIC_HELLO : RFC_HELLO)) wrong++;
      }
    } catch {
      threw++;
    }
  }
  for (let i = 0; i < 2000; i++) {
    try {
      const d = rng.bytes(rng.int(0, 1300));
      if (d.length > 0 && rng.int(0, 1)) d[0] |= 0xc0;
      if (d.length >= 5 && rng.int(0, 1)) d.writeUInt32BE(rng.pick([1, 0x6b3343cf, 0xff00001d, 0x0a1a2a3a]), 1);
      readQuic([d, d]);
    } catch {
      threw++;
    }
  }
  t.equal(threw, 0, '2000 bit-flipped Initials and 2000 random datagrams: no throw');
  t.equal(wrong, 0, `a flipped Initial is authenticated or rejected, never read wrongly (${decrypted} unchanged in meaning: flips in bytes the packet does not cover)`);
});

// ---------------------------------------------------------------------------
// Comparison with tshark, per TCP or UDP stream

const FIELDS = [
  'frame.number',
  'tcp.stream',
  'udp.stream',
  'tls.handshake.type',
  'tls.handshake.extensions_server_name',
  'tls.handshake.extensions_alpn_str',
  'tls.handshake.version',
  'tls.handshake.extensions.supported_version',
  'quic.version',
  '_ws.malformed',
  '_ws.expert.message',
] as const;
const SEP = '\u001f';

interface TsharkHello {
  frame: number;
  /** tshark reports the frame malformed (a length running past its vector, say). */
  malformed: boolean;
  serverName: string | null;
  alpn: string[];
  version: number;
}
interface TsharkStreams {
  /** frame number -> 't<tcp.stream>' / 'u<udp.stream>' */
  streamOf: Map<number, string>;
  /** first ClientHello per stream */
  hellos: Map<string, TsharkHello>;
  /** UDP streams with a QUIC long-header packet of a non-zero version (a QUIC handshake tshark saw) */
  quicStreams: Set<string>;
  error: string | null;
}

function runTshark(file: string): Promise<TsharkStreams> {
  const args = ['-n', '-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', `aggregator=${SEP}`];
  for (const f of FIELDS) args.push('-e', f);
  return new Promise((resolve) => {
    execFile(TSHARK, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 }, (err, stdout) => {
      const out: TsharkStreams = { streamOf: new Map(), hellos: new Map(), quicStreams: new Set(), error: null };
      if (err && stdout.length === 0) out.error = String(err.message).split('\n')[0];
      for (const line of stdout.split('\n')) {
        if (line.length === 0) continue;
        const cols = line.split('\t').map((c) => (c === '' ? [] : c.split(SEP)));
        const [frameCol, tcpStream, udpStream, types, sni, alpn, versions, supported, quicVersions, malformed, expert] = cols;
        const frame = Number(frameCol[0]);
        // In a tunnel, the innermost stream is the one the probe's flows are keyed on.
        const stream = tcpStream.length > 0 ? `t${tcpStream[tcpStream.length - 1]}` : udpStream.length > 0 ? `u${udpStream[udpStream.length - 1]}` : null;
        if (stream === null) continue;
        out.streamOf.set(frame, stream);
        if (quicVersions.some((v) => Number(v) !== 0)) out.quicStreams.add(stream);
        const helloIndex = types.indexOf('1');
        if (helloIndex < 0 || out.hellos.has(stream)) continue;
        // Values of the frame's first ClientHello (a client's frame holds no other message with these fields).
        const offered = supported.map(Number).filter((v) => !isGrease(v));
        const legacy = Number(versions[helloIndex] ?? versions[0]);
        // TLS's own vector checks report a broken hello as an expert warning, not always as a malformed packet.
        const broken = malformed.length > 0 || expert.some((m) => /vector length|malformed/i.test(m));
        out.hellos.set(stream, { frame, malformed: broken, serverName: sni[0] ?? null, alpn, version: highestOf(offered, legacy) });
      }
      resolve(out);
    });
  });
}

/** The rule of ClientHelloInfo.version, restated: final TLS versions by value, 1.3 drafts just below 1.3, others below all. */
function highestOf(offered: number[], legacy: number): number {
  if (offered.length === 0) return legacy;
  const rank = (v: number) => (v >= 0x0300 && v <= 0x03ff ? v * 2 : v >> 8 === 0x7f || v >> 8 === 0xfb ? 0x0304 * 2 - 1 : 0);
  return offered.reduce((best, v) => (rank(v) > rank(best) || (rank(v) === rank(best) && v > best) ? v : best));
}

interface OurFlow {
  proto: 'tcp' | 'udp';
  stream: string | undefined;
  tls?: TlsClientHelloReader;
  seq?: TcpSequence;
  quic?: QuicInitialReader;
  doneFrame: number;
  gaps: number;
  fragments: number;
  bytes: number;
  /** First payload byte of the direction, -1 before: 0x16 starts a TLS handshake record. */
  firstByte: number;
}

interface Tally {
  compared: number;
  equal: number;
  mismatches: string[];
  /** tshark saw no ClientHello where we read one (not TLS/QUIC for tshark: port, heuristics). */
  oursOnly: string[];
  /** QUIC handshakes where neither tshark nor we read a ClientHello. */
  neither: string[];
  /** tshark flags the hello malformed, and we reject it. */
  malformed: string[];
  /** The client's stream begins with another protocol (STARTTLS, a SOCKS or proxy preamble): not a hello at a stream's start. */
  preamble: string[];
  /** Of those, read equal to tshark by a reader started at the segment tshark finds the hello in. */
  preambleEqual: number;
}
const newTally = (): Tally => ({ compared: 0, equal: 0, mismatches: [], oursOnly: [], neither: [], malformed: [], preamble: [], preambleEqual: 0 });

function addrKey(p: DecodedPacket, src: boolean): string {
  const a = p.addr;
  const o = src ? 0 : 4;
  return p.ipVersion === 4 ? String(a[o + 3]) : `${a[o]}:${a[o + 1]}:${a[o + 2]}:${a[o + 3]}`;
}

interface OurCapture {
  flows: OurFlow[];
  /** For the frames tshark finds a TCP ClientHello in: a fresh reader fed that segment alone. */
  fromHelloFrame: Map<number, ClientHelloInfo | null>;
}

/** Our readers over a capture: one per direction of every TCP and UDP flow, TCP bytes through TcpSequence. */
function readCapture(file: string, theirs: TsharkStreams): OurCapture {
  const { streamOf } = theirs;
  const helloFrames = new Set([...theirs.hellos.values()].map((h) => h.frame));
  const fromHelloFrame = new Map<number, ClientHelloInfo | null>();
  const flows = new Map<string, OurFlow>();
  const all: OurFlow[] = [];
  const cf = CaptureFile.open(file);
  const decoder = new PacketDecoder(Decap.All);
  const p = new DecodedPacket();
  let frame = 0;
  try {
    while (
      cf.read(4096, (buf, off, capLen, wireLen, _ts, linkType) => {
        frame++;
        if (decoder.decode(buf, off, capLen, wireLen, linkType, p) !== DecodeStatus.Ok) return;
        if (p.protocol !== 6 && p.protocol !== 17) return;
        if (p.isLaterFragment) return;
        const key = `${p.protocol}|${addrKey(p, true)}|${p.srcPort}|${addrKey(p, false)}|${p.dstPort}`;
        let f = flows.get(key);
        const syn = p.protocol === 6 && (p.tcpFlags & 0x02) !== 0;
        // A SYN that does not continue the flow's sequence starts a new connection on the same ports.
        if (f && syn && f.seq && f.seq.next >= 0 && ((p.tcpSeq + 1) >>> 0) !== f.seq.next) f = undefined;
        if (!f) {
          f = { proto: p.protocol === 6 ? 'tcp' : 'udp', stream: streamOf.get(frame), doneFrame: 0, gaps: 0, fragments: 0, bytes: 0, firstByte: -1 };
          if (p.protocol === 6) {
            f.tls = new TlsClientHelloReader();
            f.seq = new TcpSequence();
          } else f.quic = new QuicInitialReader();
          flows.set(key, f);
          all.push(f);
        }
        if (f.stream === undefined) f.stream = streamOf.get(frame);
        if (p.isFragment) f.fragments++;
        if (p.payloadLength > 0 && f.firstByte < 0) f.firstByte = buf[p.payloadOffset];
        if (p.protocol === 6 && helloFrames.has(frame) && p.payloadLength > 0) {
          const fresh = new TlsClientHelloReader();
          fresh.feed(buf, p.payloadOffset, p.payloadLength);
          fromHelloFrame.set(frame, fresh.hello);
        }
        if (f.doneFrame !== 0) return;
        if (f.tls && f.seq) {
          const v = f.seq.accept(p.tcpSeq, p.payloadLength, syn);
          if (v === SegmentVerdict.Old) return;
          let skip = v;
          if (v === SegmentVerdict.Gap) {
            f.gaps++;
            f.tls.gap();
            skip = 0;
          }
          f.bytes += p.payloadLength - skip;
          if (f.tls.feed(buf, p.payloadOffset + skip, p.payloadLength - skip) === HelloProgress.Done) f.doneFrame = frame;
        } else if (f.quic && p.payloadLength > 0) {
          f.bytes += p.payloadLength;
          if (f.quic.feed(buf, p.payloadOffset, p.payloadLength) === HelloProgress.Done) f.doneFrame = frame;
        }
      })
    ) {
      /* keep reading */
    }
  } finally {
    cf.close();
  }
  return { flows: all, fromHelloFrame };
}

const show = (h: { serverName: string | null; alpn: string[]; version: number }): string =>
  `sni=${JSON.stringify(h.serverName)} alpn=${JSON.stringify(h.alpn)} version=0x${h.version.toString(16).padStart(4, '0')}`;

function whyNoHello(f: OurFlow | undefined): string {
  if (!f) return 'no flow of ours carries this stream';
  if (f.fragments > 0) return `IP-fragmented (${f.fragments} fragments): we do not reassemble IP`;
  if (f.quic) {
    const v = f.quic.quicVersion;
    if (v !== 0 && !quicVersionParams(v)) return `QUIC version 0x${v.toString(16)}: its Initial salt is not in a public spec, not decrypted`;
    return `QUIC reader ${f.quic.hello ? 'done' : 'no hello'}, version 0x${v.toString(16)}, ${f.bytes} bytes`;
  }
  if (f.gaps > 0) return `TCP gap (${f.gaps}: lost or out-of-order segment) inside the hello`;
  const state = f.tls?.hello ? 'Done' : f.tls ? 'no hello' : '';
  return `TLS reader ${state} after ${f.bytes} bytes (first byte 0x${f.firstByte.toString(16)})`;
}

/** One capture: our flows and tshark's first ClientHello of each stream. */
function compare(name: string, capture: OurCapture, theirs: TsharkStreams, tallies: { TLS: Tally; QUIC: Tally }): void {
  const oursByStream = new Map<string, OurFlow>();
  for (const f of capture.flows) {
    if (f.stream === undefined) continue;
    const prev = oursByStream.get(f.stream);
    // Both directions share a stream: the one that read a hello (earliest) speaks for it.
    const better = !prev || (f.doneFrame !== 0 && (prev.doneFrame === 0 || f.doneFrame < prev.doneFrame)) || (prev.doneFrame === 0 && f.bytes > prev.bytes && f.doneFrame === 0 && !prev.quic?.quicVersion);
    if (better) oursByStream.set(f.stream, f);
  }
  const streams = new Set<string>([...theirs.hellos.keys(), ...[...oursByStream].filter(([, f]) => f.doneFrame !== 0).map(([s]) => s), ...theirs.quicStreams]);
  for (const s of [...streams].sort()) {
    const tally = s.startsWith('t') ? tallies.TLS : tallies.QUIC;
    const where = `${name} ${s.startsWith('t') ? 'tcp' : 'udp'}.stream ${s.slice(1)}`;
    const their = theirs.hellos.get(s);
    const f = oursByStream.get(s);
    const mine = f && f.doneFrame !== 0 ? (f.tls?.hello ?? f.quic?.hello ?? null) : null;
    if (their) {
      if (!mine && their.malformed) {
        tally.malformed.push(`${where} (frame ${their.frame}, tshark: ${show(their)}, malformed): ${whyNoHello(f)}`);
        continue;
      }
      const handshakeStart = (b: number) => b === 0x16 || (b & 0x80) !== 0;
      if (!mine && f?.tls && f.firstByte >= 0 && !handshakeStart(f.firstByte)) {
        const again = capture.fromHelloFrame.get(their.frame);
        const same = again !== undefined && again !== null && show(again) === show(their);
        if (same) tally.preambleEqual++;
        tally.preamble.push(`${where} (frame ${their.frame}, ${show(their)}): the stream starts with 0x${f.firstByte.toString(16)}; read from that segment: ${again ? (same ? 'equal' : show(again)) : 'no hello'}`);
        continue;
      }
      tally.compared++;
      if (!mine) {
        tally.mismatches.push(`${where} (tshark frame ${their.frame}, ${show(their)}): none read by us: ${whyNoHello(f)}`);
        continue;
      }
      if (show(mine) === show(their)) tally.equal++;
      else tally.mismatches.push(`${where}: ours ${show(mine)} (frame ${f?.doneFrame}), tshark ${show(their)} (frame ${their.frame})`);
    } else if (mine) {
      tally.oursOnly.push(`${where} (frame ${f?.doneFrame}): ${show(mine)}`);
    } else if (theirs.quicStreams.has(s)) {
      tally.neither.push(`${where}: ${whyNoHello(f)}`);
    }
  }
}

function summary(proto: string, tally: Tally): string {
  return (
    `${proto}: ${tally.compared} streams compared with tshark's first ClientHello, ${tally.equal} equal (server name, ALPN, version), ` +
    `${tally.mismatches.length} not; besides: ${tally.malformed.length} hellos tshark reports malformed and we reject, ` +
    `${tally.preamble.length} after another protocol on the stream (STARTTLS, proxy; ${tally.preambleEqual} equal when read from the hello's own segment), ` +
    `${tally.oursOnly.length} read by us only (tshark did not dissect them as ${proto}), ` +
    `${tally.neither.length} QUIC handshakes neither tshark nor we could read`
  );
}

function generatedCapture(): Buffer {
  const frames: Buffer[] = [];
  const eth = (ip: Buffer) => ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip);
  const tcpPacket = (sport: number, seq: number, flags: string, payload: Buffer = Buffer.alloc(0)) =>
    eth(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.TCP }, tcp({ sport, dport: 443, seq, ack: 1, flags }, payload)));
  const udpPacket = (sport: number, payload: Buffer) => eth(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.UDP }, udp({ sport, dport: 443 }, payload)));
  // TLS: a hello in one segment, one split over three segments with a retransmission, one in 7 records.
  const hellos = [
    tlsClientHello({ serverName: 'one.segment.test', alpn: ['h2', 'http/1.1'] }),
    tlsClientHello({ serverName: 'three.segments.test', version: '1.2' }),
    records(tlsClientHello({ serverName: 'seven.records.test', alpn: ['h2'] }).subarray(5), 40),
  ];
  hellos.forEach((h, i) => {
    const sport = 40000 + i;
    frames.push(tcpPacket(sport, 999, 'S'));
    if (i === 1) {
      frames.push(tcpPacket(sport, 1000, 'PA', h.subarray(0, 30)));
      frames.push(tcpPacket(sport, 1000, 'PA', h.subarray(0, 30))); // a retransmission
      frames.push(tcpPacket(sport, 1030, 'PA', h.subarray(30, 90)));
      frames.push(tcpPacket(sport, 1090, 'PA', h.subarray(90)));
    } else frames.push(tcpPacket(sport, 1000, 'PA', h));
  });
  // QUIC: the RFC Initial, and a hello over two datagrams (in order: tshark 4.0 does not reorder CRYPTO data across packets).
  frames.push(udpPacket(50000, RFC9001_CLIENT_INITIAL));
  const m = QUIC_HELLO_MSG;
  // Its own DCID: tshark tells QUIC connections apart by it.
  const dcid = Buffer.from('0011223344556677', 'hex');
  frames.push(udpPacket(50001, protectInitial({ dcid, pn: 0, frames: cat(cryptoFrame(0, m.subarray(0, 150)), padding(1000)) })));
  frames.push(udpPacket(50001, protectInitial({ dcid, pn: 1, frames: cat(PING, cryptoFrame(150, m.subarray(150)), padding(1000)) })));
  return writePcap(frames.map((data, i) => ({ timeNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n, data })), { linkType: LinkType.ETHERNET });
}

const haveShared = existsSync(ndpiPcapDir()) || existsSync(zeekDir());

t.test('generated capture: tshark reads the same hellos', { skip: tsharkAvailable() ? false : `tshark not found at ${TSHARK}` }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tls-gen-'));
  try {
    const file = join(dir, 'generated-tls-quic.pcap');
    writeCaptureFile(file, generatedCapture());
    const theirs = await runTshark(file);
    const tallies = { TLS: newTally(), QUIC: newTally() };
    compare('generated', readCapture(file, theirs), theirs, tallies);
    t.comment(summary('TLS', tallies.TLS));
    t.comment(summary('QUIC', tallies.QUIC));
    t.same([tallies.TLS.compared, tallies.TLS.equal, tallies.TLS.mismatches], [3, 3, []], 'three TLS hellos, equal to tshark');
    t.same([tallies.QUIC.compared, tallies.QUIC.equal, tallies.QUIC.mismatches], [2, 2, []], 'two QUIC hellos, equal to tshark');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.test(
  'real captures agree with tshark',
  { skip: !haveShared ? `shared data not found at ${sharedDir()} (set MICROCLOUD_SHARED)` : !tsharkAvailable() ? `tshark not found at ${TSHARK}` : false },
  async (t) => {
    const started = Date.now();
    const full = process.env.MICROCLOUD_FULL_CORPUS === '1';
    const captures: Array<{ name: string; path: string }> = [];
    if (existsSync(ndpiPcapDir())) {
      const present = new Set(readdirSync(ndpiPcapDir()));
      const quic = new Set([...present].filter((n) => /^quic/i.test(n)));
      const tlsOnly: string[] = [];
      if (existsSync(ndpiResultDir())) {
        for (const r of readdirSync(ndpiResultDir()).filter((n) => n.endsWith('.out')).sort()) {
          const n = r.slice(0, -'.out'.length);
          if (!present.has(n)) continue;
          const text = readFileSync(join(ndpiResultDir(), r), 'utf8');
          if (/QUIC/.test(text)) quic.add(n);
          else if (/TLS/.test(text)) tlsOnly.push(n);
        }
      }
      // Every QUIC capture; every second TLS-only one keeps the run near a minute on two cores.
      const tlsTaken = full ? tlsOnly : tlsOnly.filter((_, i) => i % 2 === 0);
      for (const n of [...quic, ...tlsTaken].sort()) captures.push({ name: `ndpi/${n}`, path: join(ndpiPcapDir(), n) });
      t.comment(`nDPI: ${quic.size} QUIC captures, ${tlsTaken.length} of ${tlsOnly.length} TLS-only captures${full ? '' : ' (every second; MICROCLOUD_FULL_CORPUS=1 for all)'}`);
    }
    if (existsSync(zeekDir())) {
      const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : /\.pcap(ng)?$/.test(e.name) ? [join(d, e.name)] : []));
      for (const p of walk(zeekDir()).sort()) captures.push({ name: `zeek/${p.slice(zeekDir().length + 1)}`, path: p });
    }
    const tallies = { TLS: newTally(), QUIC: newTally() };
    const errors: string[] = [];
    let oursMs = 0;
    await Promise.all(
      mapLimited(captures, 2, async (c) => {
        const theirs = await runTshark(c.path);
        const readStart = Date.now();
        if (theirs.error) {
          errors.push(`${c.name}: ${theirs.error}`);
          return;
        }
        let ours: OurCapture;
        try {
          ours = readCapture(c.path, theirs);
        } catch (err) {
          errors.push(`${c.name}: ${String(err)}`);
          return;
        }
        compare(c.name, ours, theirs, tallies);
        oursMs += Date.now() - readStart;
      }),
    );
    t.comment(`${captures.length} captures in ${((Date.now() - started) / 1000).toFixed(1)} s (our readers: ${(oursMs / 1000).toFixed(1)} s)`);
    for (const e of errors) t.comment(`unreadable: ${e}`);
    for (const [proto, tally] of Object.entries(tallies)) {
      t.comment(summary(proto, tally));
      for (const m of tally.mismatches) t.comment(`  mismatch: ${m}`);
      for (const m of tally.oursOnly.slice(0, 15)) t.comment(`  ours only: ${m}`);
      if (tally.oursOnly.length > 15) t.comment(`  ours only: ... ${tally.oursOnly.length - 15} more`);
      for (const m of tally.neither) t.comment(`  neither: ${m}`);
      for (const m of tally.malformed) t.comment(`  malformed: ${m}`);
      for (const m of tally.preamble) t.comment(`  preamble: ${m}`);
      t.ok(tally.compared > 0, `${proto}: some streams compared`);
      t.ok(tally.equal >= 0.99 * tally.compared, `${proto}: at least 99% of the ${tally.compared} streams equal to tshark (${tally.equal})`);
    }
    t.equal(errors.length, 0, 'every capture read');
  },
);
