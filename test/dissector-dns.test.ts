/**
 * dissectors/dns.ts: the DNS message parser and the DNS-over-TCP framer.
 *
 * 1. Generated messages (test/gen/app/dns.ts and hand-built ones for what the
 *    generator does not make): every field asserted; compression pointers,
 *    pointer loops, name and label limits, the QDCOUNT = 0 policy; every
 *    truncation and random mutations never throw and, when accepted, agree
 *    with the whole message. The framer: every split of a stream, random
 *    segmentations, prefixes split across segments, reset.
 * 2. Names as tshark shows them: a generated capture with every octet value,
 *    UTF-8 edge cases, 1500 random names and the structural cases, compared
 *    with tshark's dns.qry.name; a generated DNS-over-TCP capture
 *    (coalesced messages, split prefixes, retransmissions, a lost segment)
 *    compared stream by stream with tshark's reassembled PDUs.
 * 3. Real captures: every nDPI capture whose result file mentions DNS (mDNS
 *    and LLMNR frames included) and Zeek's captures that carry DNS, compared
 *    with tshark frame by frame (UDP) and direction by direction (TCP).
 *    Differences are allowed only in the documented categories below, each
 *    counted and printed.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureFile } from '../capture/capture-file';
import { Decap, PacketDecoder } from '../capture/decoder';
import { DecodedPacket, DecodeStatus } from '../capture/decoded-packet';
import { DNS_PORT, DnsMessage, DnsTcpFramer, parseDns } from '../dissectors/dns';
import { SegmentVerdict, TcpSequence } from '../dissectors/tcp-sequence';
import { ndpiPcapDir, ndpiResultDir, sharedDir, zeekDir } from './corpus/paths';
import { dnsQuery, dnsResponse, DnsRcode, DnsType } from './gen/app/dns';
import { cat, labels, u16, u32, u8 } from './gen/bytes';
import { ConversationPacket, tcpSession } from './gen/conversation';
import { IpProto, ipv4, ipv6 } from './gen/ip';
import { ethernet } from './gen/link';
import { LinkType, nsFromIso, writeCaptureFile, writePcap } from './gen/pcap-writer';
import { SeededRandom } from './gen/rng';
import { udp } from './gen/transport';
import { mapLimited, TSHARK, tsharkAvailable } from './gen/tshark';

// ---------------------------------------------------------------------------
// Building messages

type Fields = Omit<DnsMessage, never>;
const EMPTY: Fields = {
  id: 0,
  isResponse: false,
  opcode: 0,
  rcode: 0,
  truncated: false,
  questionCount: 0,
  answerCount: 0,
  authorityCount: 0,
  additionalCount: 0,
  queryName: null,
  queryType: 0,
  queryClass: 0,
};
const expected = (f: Partial<Fields>): Fields => ({ ...EMPTY, ...f });

function snapshot(m: DnsMessage): Fields {
  return { ...m };
}

/** parseDns into a fresh object: the fields, or null when rejected. */
function parse(b: Uint8Array, wantName = true): Fields | null {
  const m = new DnsMessage();
  return parseDns(b, 0, b.length, m, wantName) ? snapshot(m) : null;
}

const Op = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5, DSO: 6 } as const;
const QR = 0x8000;
const TC = 0x0200;
const RD = 0x0100;
const CLASS_IN = 1;
const TYPE_OPT = 41;
const TYPE_SOA = 6;

function header(id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0): Buffer {
  return cat(u16(id), u16(flags), u16(qd), u16(an), u16(ns), u16(ar));
}
const opFlags = (opcode: number, extra = 0): number => (opcode << 11) | extra;
/** Labels given as raw octets, then the root. */
const rawName = (...ls: Array<Buffer | string>): Buffer => cat(...ls.map((l) => (typeof l === 'string' ? Buffer.from(l, 'latin1') : l)).map((l) => cat(u8(l.length), l)), u8(0));
const dotted = (name: string): Buffer => cat(labels(name), u8(0));
const question = (name: Buffer, type: number = DnsType.A, klass: number = CLASS_IN): Buffer => cat(name, u16(type), u16(klass));
const record = (name: Buffer, type: number, klass: number, ttl: number, rdata: Buffer): Buffer => cat(name, u16(type), u16(klass), u32(ttl), u16(rdata.length), rdata);
const pointer = (offset: number): Buffer => u16(0xc000 | offset);
const optRecord = (options: Buffer = Buffer.alloc(0)): Buffer => record(u8(0), TYPE_OPT, 1232, 0, options);
const B = (...octets: number[]): Buffer => Buffer.from(octets);

interface Case {
  what: string;
  bytes: Buffer;
  /** null: parseDns must reject it. */
  expect: Fields | null;
}

const L63 = 'a'.repeat(63);

function generatorCases(): Case[] {
  const q = (id: number, name: string, type?: number): Case => ({
    what: `dnsQuery ${name} type ${type ?? 1}`,
    bytes: dnsQuery({ id, name, type }),
    expect: expected({ id, questionCount: 1, queryName: name, queryType: type ?? DnsType.A, queryClass: CLASS_IN }),
  });
  const r = (id: number, name: string, answers: string[], rcode = 0, type?: number): Case => ({
    what: `dnsResponse ${name} rcode ${rcode} with ${answers.length} answers`,
    bytes: dnsResponse({ id, name, answers, rcode, type }),
    expect: expected({ id, isResponse: true, rcode, questionCount: 1, answerCount: answers.length, queryName: name, queryType: type ?? DnsType.A, queryClass: CLASS_IN }),
  });
  return [
    q(0x1234, 'www.example.com'),
    q(0, 'a.b', DnsType.AAAA),
    q(0xffff, 'mail-01.sub_domain.example.org', DnsType.CNAME),
    q(7, 'x'),
    q(8, `${L63}.${L63}.${L63}.${'b'.repeat(61)}`, DnsType.NS),
    r(0x1234, 'www.example.com', ['192.0.2.1', '192.0.2.2']),
    r(0xbeef, 'v6.example.net', ['2001:db8::1', '192.0.2.9', '::ffff:10.0.0.1'], 0, DnsType.AAAA),
    r(0x0102, 'nope.example', [], DnsRcode.NXDOMAIN),
    r(0x0103, 'broken.example', [], DnsRcode.SERVFAIL),
    r(0x0104, 'refused.example', [], DnsRcode.REFUSED),
    r(0x0105, 'formerr.example', [], DnsRcode.FORMERR),
    r(0x0106, 'many.example', Array.from({ length: 40 }, (_, i) => `198.51.100.${i}`)),
  ];
}

function handBuiltCases(): Case[] {
  const zone = dotted('example.com');
  return [
    // Header fields
    {
      what: 'TC flag, rcode 15, every count non-zero',
      bytes: cat(header(9, QR | TC | 15, 1, 2, 3, 4), question(dotted('t.example'), 16, 3)),
      expect: expected({ id: 9, isResponse: true, truncated: true, rcode: 15, questionCount: 1, answerCount: 2, authorityCount: 3, additionalCount: 4, queryName: 't.example', queryType: 16, queryClass: 3 }),
    },
    {
      what: 'UPDATE (RFC 2136): zone, prerequisite and update counts',
      bytes: cat(header(10, opFlags(Op.UPDATE), 1, 0, 1), question(zone, TYPE_SOA), record(pointer(12), DnsType.A, CLASS_IN, 300, B(192, 0, 2, 1))),
      expect: expected({ id: 10, opcode: Op.UPDATE, questionCount: 1, authorityCount: 1, queryName: 'example.com', queryType: TYPE_SOA, queryClass: CLASS_IN }),
    },
    {
      what: 'UPDATE response NXDOMAIN',
      bytes: cat(header(11, opFlags(Op.UPDATE, QR | 3), 1), question(zone, TYPE_SOA)),
      expect: expected({ id: 11, isResponse: true, opcode: Op.UPDATE, rcode: 3, questionCount: 1, queryName: 'example.com', queryType: TYPE_SOA, queryClass: CLASS_IN }),
    },
    {
      what: 'NOTIFY (RFC 1996) with AA',
      bytes: cat(header(12, opFlags(Op.NOTIFY, 0x0400), 1), question(zone, TYPE_SOA)),
      expect: expected({ id: 12, opcode: Op.NOTIFY, questionCount: 1, queryName: 'example.com', queryType: TYPE_SOA, queryClass: CLASS_IN }),
    },
    {
      what: 'STATUS',
      bytes: cat(header(13, opFlags(Op.STATUS), 1), question(dotted('x'))),
      expect: expected({ id: 13, opcode: Op.STATUS, questionCount: 1, queryName: 'x', queryType: 1, queryClass: 1 }),
    },
    {
      what: 'mDNS query with the unicast-response bit in QCLASS (RFC 6762 5.4), two questions',
      bytes: cat(header(0, 0, 2), question(dotted('_http._tcp.local'), 12, 0x8001), question(cat(u8(4), Buffer.from('_ipp'), pointer(18)), 12, 0x8001)),
      expect: expected({ questionCount: 2, queryName: '_http._tcp.local', queryType: 12, queryClass: 0x8001 }),
    },
    {
      what: 'root name',
      bytes: cat(header(14, RD, 1), question(u8(0), 2)),
      expect: expected({ id: 14, opcode: 0, questionCount: 1, queryName: '<Root>', queryType: 2, queryClass: 1 }),
    },
    {
      what: 'octets after the last record are ignored',
      bytes: cat(header(15, RD, 1), question(dotted('pad.example')), Buffer.alloc(40, 0xee)),
      expect: expected({ id: 15, questionCount: 1, queryName: 'pad.example', queryType: 1, queryClass: 1 }),
    },
    // QDCOUNT = 0
    {
      what: 'FORMERR response without question or records',
      bytes: header(16, QR | 1, 0),
      expect: expected({ id: 16, isResponse: true, rcode: 1 }),
    },
    {
      what: 'response without question, one answer (AXFR continuation, RFC 5936 2.2.1)',
      bytes: cat(header(17, QR, 0, 1), record(zone, DnsType.A, CLASS_IN, 60, B(192, 0, 2, 7))),
      expect: expected({ id: 17, isResponse: true, answerCount: 1 }),
    },
    {
      what: 'inverse query (RFC 1035 6.4.1): empty question, one answer',
      bytes: cat(header(18, opFlags(Op.IQUERY), 0, 1), record(u8(0), DnsType.A, CLASS_IN, 0, B(192, 0, 2, 1))),
      expect: expected({ id: 18, opcode: Op.IQUERY, answerCount: 1 }),
    },
    {
      what: 'DSO message (RFC 8490): all counts zero, TLVs follow',
      bytes: cat(header(19, opFlags(Op.DSO), 0), u16(1), u16(8), u32(15000), u32(15000)),
      expect: expected({ id: 19, opcode: Op.DSO }),
    },
    {
      what: 'cookie-only query (RFC 7873 5.4): no question, one OPT record',
      bytes: cat(header(20, 0, 0, 0, 0, 1), optRecord(cat(u16(10), u16(8), Buffer.alloc(8, 7)))),
      expect: expected({ id: 20, additionalCount: 1 }),
    },
    { what: 'query without question or records', bytes: header(21, RD, 0), expect: null },
    { what: 'query without question, answer count 1', bytes: cat(header(22, 0, 0, 1), record(u8(0), 1, 1, 0, B(1, 2, 3, 4))), expect: null },
    { what: 'query without question whose additional record is not OPT', bytes: cat(header(23, 0, 0, 0, 0, 1), record(u8(0), 1, 1, 0, B(1, 2, 3, 4))), expect: null },
    { what: 'cookie query whose OPT record is cut', bytes: cat(header(24, 0, 0, 0, 0, 1), optRecord(Buffer.alloc(12))).subarray(0, 12 + 11 + 5), expect: null },
    { what: 'UPDATE without zone (RFC 2136 3.1.1 requires one)', bytes: header(25, opFlags(Op.UPDATE), 0, 0, 1), expect: null },
    { what: 'NOTIFY without question', bytes: header(26, opFlags(Op.NOTIFY), 0), expect: null },
    { what: 'inverse query without answer', bytes: header(27, opFlags(Op.IQUERY), 0), expect: null },
    { what: 'DSO message with a record count', bytes: header(28, opFlags(Op.DSO), 0, 0, 0, 1), expect: null },
    { what: 'response without question whose first answer is cut', bytes: cat(header(29, QR, 0, 1), record(zone, 1, 1, 60, B(1, 2, 3, 4))).subarray(0, 12 + 13 + 10 + 3), expect: null },
    // Opcodes
    ...[3, 7, 8, 9, 10, 11, 12, 13, 14, 15].map((op): Case => ({ what: `unassigned opcode ${op}`, bytes: cat(header(30 + op, opFlags(op), 1), question(dotted('x'))), expect: null })),
    // Length and arguments
    { what: 'empty', bytes: Buffer.alloc(0), expect: null },
    { what: '11 octets', bytes: header(1, 0, 1).subarray(0, 11), expect: null },
    { what: 'header only, QDCOUNT 1', bytes: header(1, 0, 1), expect: null },
    { what: 'question without QCLASS', bytes: cat(header(1, 0, 1), dotted('x'), u16(1)), expect: null },
    { what: 'question name cut inside a label', bytes: cat(header(1, 0, 1), B(5, 0x61, 0x62)), expect: null },
    { what: 'question name without its root octet', bytes: cat(header(1, 0, 1), B(1, 0x61)), expect: null },
  ];
}

/** Names: compression, loops, limits, label types, escaping. */
function nameCases(): Case[] {
  const q = (what: string, name: Buffer, queryName: string | null, extra: Buffer = Buffer.alloc(0), qd = 1): Case => {
    const bytes = cat(header(0x4e00, RD, qd), question(name), extra);
    return { what, bytes, expect: queryName === null ? null : expected({ id: 0x4e00, questionCount: qd, queryName, queryType: 1, queryClass: 1 }) };
  };
  // Compression in the first question can only point into the header (it starts at 12), so the
  // header's count fields are chosen to read as labels, pointers or a root octet there.
  const withCounts = (an: number, ns: number, ar: number, rest: Buffer): Buffer => cat(header(0x4e01, RD, 1, an, ns, ar), rest);
  const headerCase = (what: string, an: number, ns: number, ar: number, name: Buffer, queryName: string | null): Case => ({
    what,
    bytes: withCounts(an, ns, ar, question(name)),
    expect: queryName === null ? null : expected({ id: 0x4e01, questionCount: 1, answerCount: an, authorityCount: ns, additionalCount: ar, queryName, queryType: 1, queryClass: 1 }),
  });
  return [
    q('label of 63 octets', rawName(L63, 'x'), `${L63}.x`),
    q('name of 255 octets on the wire (253 characters)', rawName(L63, L63, L63, 'b'.repeat(61)), `${L63}.${L63}.${L63}.${'b'.repeat(61)}`),
    q('name of 256 octets on the wire', rawName(L63, L63, L63, 'b'.repeat(62)), null),
    q('127 one-octet labels (255 octets)', rawName(...Array<string>(127).fill('a')), Array(127).fill('a').join('.')),
    q('128 one-octet labels (257 octets)', rawName(...Array<string>(128).fill('a')), null),
    q('label type 0x40 (extended, RFC 6891)', B(0x41, 8, 0xff, 0), null),
    q('label type 0x40 alone', B(0x40, 1, 0x61, 0), null),
    q('label type 0x80 (reserved)', B(0x80, 1, 0x61, 0), null),
    q('pointer to itself', pointer(12), null),
    q('pointer back to the start of its own name', cat(B(1, 0x61), pointer(12)), null),
    q('pointer forward to a later name', pointer(18), null, dotted('z')),
    q('pointer beyond the message', pointer(0x3fff), null),
    q('pointer cut after its first octet', B(0xc0), null),
    q('pointer into the header: offset 4 is QDCOUNT 00 01, a root octet', pointer(4), '<Root>'),
    q('label then pointer into the header', cat(B(3, 0x77, 0x77, 0x77), pointer(4)), 'www'),
    headerCase('two jumps inside the header: 12 -> 8 (NSCOUNT C0 04) -> 4 (root)', 0, 0xc004, 0, cat(B(1, 0x61), pointer(8)), 'a'),
    headerCase('labels read from the header: 12 -> 6 (ANCOUNT 01 62 = "b") then 8 (NSCOUNT 00 00 = root)', 0x0162, 0, 0, cat(B(1, 0x61), pointer(6)), 'a.b'),
    headerCase('loop inside the header: 8 (C0 0A) -> 10 (C0 08) -> 8', 0, 0xc00a, 0xc008, pointer(8), null),
    headerCase('pointer in the header to itself', 0, 0xc008, 0, pointer(8), null),
    q('dot and backslash inside labels are not escaped', rawName('a.b', 'c\\d'), 'a.b.c\\d'),
    q('control octets: C escapes and octal', rawName(B(0, 1, 7, 8, 9, 10, 11, 12, 13, 14, 27, 31, 127)), '\\000\\001\\a\\b\\t\\n\\v\\f\\r\\016\\033\\037\\177'),
    q('space and punctuation kept', rawName(' !"#$%&\'()*+,-/:;<=>?@[]^_`{|}~'), ' !"#$%&\'()*+,-/:;<=>?@[]^_`{|}~'),
    q('UTF-8 kept (LLMNR names)', rawName(Buffer.from('小佛專機', 'utf8'), Buffer.from('café', 'utf8')), '小佛專機.café'),
    q('invalid UTF-8: one U+FFFD per octet that starts nothing', rawName(B(0x61, 0x80, 0xbf, 0xfe, 0xff, 0x62)), 'a\ufffd\ufffd\ufffd\ufffdb'),
    q('invalid UTF-8: a sequence that breaks off is one U+FFFD', rawName(B(0x61, 0xe4, 0xb0, 0x41, 0xf0, 0x9f, 0x98), 'b'), 'a\ufffdA\ufffd.b'),
    q('a label boundary breaks a sequence', rawName(B(0x61, 0xe4, 0xb0), B(0xbf, 0x62)), 'a\ufffd.\ufffdb'),
    q('overlong forms are decoded, then escaped when not printable', rawName(B(0xc1, 0x81, 0xc0, 0x80, 0xe0, 0x80, 0x80, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x80)), 'A\\u0000\\u0000\\u0000'),
    q('surrogates and code points beyond U+10FFFF are one U+FFFD', rawName(B(0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xf8, 0x88, 0x80, 0x80, 0x80)), '\ufffd\ufffd\ufffd'),
    q('non-printable code points: \\u and \\U escapes', rawName(B(0xc2, 0x80, 0xe2, 0x80, 0x8b, 0xef, 0xbb, 0xbf, 0xef, 0xb7, 0x90, 0xf4, 0x8f, 0xbf, 0xbf, 0xf3, 0xa0, 0x80, 0x81)), '\\u0080\\u200B\\uFEFF\\uFDD0\\U0010FFFF\\U000E0001'),
    q('printable non-ASCII: no-break space, private use, combining mark, line separator', rawName(B(0xc2, 0xa0, 0xee, 0x80, 0x80, 0xcc, 0x81, 0xe2, 0x80, 0xa8)), '\u00a0\ue000\u0301\u2028'),
    q('63 escaped octets', rawName(Buffer.alloc(63, 1), 'x'), '\\001'.repeat(63) + '.x'),
    // Only the first question is read: a broken second one does not reject the message.
    q('second question cut', dotted('first'), 'first', B(5, 0x61), 2),
  ];
}

const allCases = (): Case[] => [...generatorCases(), ...handBuiltCases(), ...nameCases()];

// ---------------------------------------------------------------------------
// 1. Generated messages

t.test('API', async (t) => {
  t.equal(DNS_PORT, 53);
  t.strictSame(snapshot(new DnsMessage()), EMPTY, 'a new DnsMessage is all zero');
});

t.test('generated messages: every field', async (t) => {
  for (const c of allCases()) {
    t.strictSame(parse(c.bytes), c.expect, c.what);
    if (c.expect !== null) {
      t.strictSame(parse(c.bytes, false), { ...c.expect, queryName: null }, `${c.what}: without the name`);
    }
  }
});

t.test('one DnsMessage reused: every field overwritten', async (t) => {
  const m = new DnsMessage();
  const cases = allCases();
  for (let i = 0; i < cases.length * 3; i++) {
    const c = cases[(i * 7) % cases.length];
    const ok = parseDns(c.bytes, 0, c.bytes.length, m, true);
    t.equal(ok, c.expect !== null, `${c.what}: verdict`);
    if (ok) t.strictSame(snapshot(m), c.expect, `${c.what}: after other messages`);
    else t.equal(m.queryName, null, `${c.what}: rejected, no name left over`);
  }
  parseDns(Buffer.alloc(3), 0, 3, m, true);
  t.strictSame(snapshot(m), EMPTY, 'shorter than a header: all fields reset');
});

t.test('position in the buffer and bad arguments', async (t) => {
  const c = generatorCases()[5];
  const before = Buffer.from('garbage before');
  const framed = cat(before, c.bytes, Buffer.from('after'));
  const m = new DnsMessage();
  t.ok(parseDns(framed, before.length, c.bytes.length, m, true), 'message inside a larger buffer');
  t.strictSame(snapshot(m), c.expect);
  t.ok(parseDns(new Uint8Array(framed), before.length, c.bytes.length, m, true), 'plain Uint8Array');
  t.strictSame(snapshot(m), c.expect);
  // A message whose only name is a pointer to the header must resolve against its own start.
  const ptr = nameCases().find((x) => x.what.startsWith('pointer into the header'))!;
  t.ok(parseDns(cat(Buffer.alloc(5, 0xc0), ptr.bytes), 5, ptr.bytes.length, m, true), 'pointers are relative to the message start');
  t.equal(m.queryName, '<Root>');
  t.notOk(parseDns(c.bytes, 0, c.bytes.length + 1, m, true), 'len beyond the buffer');
  t.notOk(parseDns(c.bytes, -1, 20, m, true), 'negative offset');
  t.notOk(parseDns(c.bytes, 0, -5, m, true), 'negative length');
  t.notOk(parseDns(c.bytes, 1.5, 20, m, true), 'fractional offset');
  t.notOk(parseDns(c.bytes, 0, NaN, m, true), 'NaN length');
});

t.test('every truncation: never throws, accepted prefixes agree with the whole message', async (t) => {
  let prefixes = 0;
  for (const c of allCases()) {
    const whole = parse(c.bytes);
    let firstAccepted = -1;
    let monotonic = true;
    let consistent = true;
    for (let n = 0; n <= c.bytes.length; n++) {
      prefixes++;
      const m = new DnsMessage();
      const ok = parseDns(c.bytes, 0, n, m, true);
      if (ok && firstAccepted < 0) firstAccepted = n;
      if (!ok && firstAccepted >= 0) monotonic = false;
      if (ok && whole !== null && JSON.stringify(snapshot(m)) !== JSON.stringify(whole)) consistent = false;
    }
    t.ok(monotonic, `${c.what}: once a prefix is accepted, every longer one is`);
    if (whole === null) {
      // A rejected message may have an accepted prefix only when what breaks it lies after the question.
      if (firstAccepted >= 0) t.fail(`${c.what}: rejected whole, accepted at ${firstAccepted} octets`);
    } else {
      t.ok(consistent, `${c.what}: accepted prefixes give the same fields`);
      t.ok(firstAccepted >= 12, `${c.what}: shortest accepted prefix ${firstAccepted} holds the header`);
    }
  }
  // Generator queries end with their question: nothing shorter may be accepted.
  for (const c of generatorCases().filter((x) => !x.expect!.isResponse)) {
    t.notOk(parse(c.bytes.subarray(0, c.bytes.length - 1)), `${c.what}: one octet short of QCLASS`);
  }
  t.comment(`${prefixes} prefixes parsed`);
});

t.test('random mutations and pointer soup: never throw, deterministic', async (t) => {
  const rng = new SeededRandom(0xd25);
  const cases = allCases().filter((c) => c.bytes.length >= 12);
  let accepted = 0;
  let runs = 0;
  const m = new DnsMessage();
  for (let i = 0; i < 20000; i++) {
    const base = Buffer.from(rng.pick(cases).bytes);
    const flips = rng.int(1, 6);
    for (let k = 0; k < flips; k++) base[rng.int(0, base.length - 1)] = rng.next() < 0.3 ? 0xc0 | rng.int(0, 3) : rng.int(0, 255);
    const len = rng.next() < 0.2 ? rng.int(0, base.length) : base.length;
    runs++;
    const a = parseDns(base, 0, len, m, true) ? snapshot(m) : null;
    const b = parseDns(base, 0, len, m, true) ? snapshot(m) : null;
    if (JSON.stringify(a) !== JSON.stringify(b)) t.fail(`mutation ${i}: two parses differ`);
    if (a !== null) {
      accepted++;
      if (a.questionCount > 0 && (a.queryName === null || a.queryName.length === 0)) t.fail(`mutation ${i}: accepted with a question but no name`);
    }
  }
  // Names made only of pointers into a region of pointers and small labels: loops everywhere.
  const started = process.hrtime.bigint();
  for (let i = 0; i < 5000; i++) {
    const body = Buffer.alloc(rng.int(12, 300));
    for (let k = 0; k < body.length; k++) body[k] = rng.next() < 0.5 ? 0xc0 | rng.int(0, 1) : rng.int(0, 3);
    body[4] = 0;
    body[5] = 1;
    body[2] = 0;
    runs++;
    if (parseDns(body, 0, body.length, m, true)) accepted++;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.comment(`${runs} random inputs, ${accepted} accepted; 5000 pointer-soup messages in ${ms.toFixed(0)} ms`);
  t.ok(ms < 2000, 'pointer soup stays cheap (every jump goes backward)');
  t.pass('no exception');
});

// ---------------------------------------------------------------------------
// 1b. The TCP framer

/** RFC 1035 4.2.2: two-octet length, then the message. */
const framed = (msg: Buffer): Buffer => cat(u16(msg.length), msg);

interface Delivered {
  bytes: Buffer;
  fromInput: boolean;
}

/** Feeds `pieces` in order and records what comes out, noting whether each message was passed from the input buffer. */
function runFramer(pieces: Buffer[], between?: (framer: DnsTcpFramer, i: number) => void): Delivered[] {
  const out: Delivered[] = [];
  let current: Uint8Array | null = null;
  const framer = new DnsTcpFramer((buf, off, len) => out.push({ bytes: Buffer.from(buf.subarray(off, off + len)), fromInput: buf === current }));
  pieces.forEach((p, i) => {
    between?.(framer, i);
    current = p;
    framer.feed(p, 0, p.length);
  });
  return out;
}

t.test('TCP framer: every split of a stream gives the same messages', async (t) => {
  const msgs = [dnsQuery({ id: 1, name: 'a.example' }), dnsResponse({ id: 1, name: 'a.example', answers: ['192.0.2.1'] }), dnsQuery({ id: 2, name: 'b.example', type: DnsType.AAAA })];
  const stream = cat(...msgs.map(framed));
  const want = msgs.map((m) => m.toString('hex'));
  let splits = 0;
  let bad = 0;
  for (let a = 0; a <= stream.length; a++) {
    for (let b = a; b <= stream.length; b += 3) {
      splits++;
      const got = runFramer([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]).map((d) => d.bytes.toString('hex'));
      if (JSON.stringify(got) !== JSON.stringify(want)) bad++;
    }
  }
  t.equal(bad, 0, `${splits} three-piece splits, every one yields the three messages in order`);

  const whole = runFramer([stream]);
  t.strictSame(whole.map((d) => d.fromInput), [true, true, true], 'messages whole inside a segment come from the input buffer');
  const split = runFramer([stream.subarray(0, 20), stream.subarray(20)]);
  t.strictSame(split.map((d) => d.fromInput), [false, true, true], 'a message split across segments comes from the internal copy');
  const prefixSplit = runFramer([stream.subarray(0, 1), stream.subarray(1)]);
  t.strictSame(prefixSplit.map((d) => d.bytes.toString('hex')), want, 'length prefix split after its first octet');

  // Offsets inside a larger buffer.
  const padded = cat(Buffer.from('xxxx'), stream, Buffer.from('yy'));
  const got: string[] = [];
  const f = new DnsTcpFramer((buf, off, len) => got.push(Buffer.from(buf.subarray(off, off + len)).toString('hex')));
  f.feed(padded, 4, stream.length);
  t.strictSame(got, want, 'feed(buf, off, len) reads only [off, off+len)');
});

t.test('TCP framer: random segmentations, large messages, reset', async (t) => {
  const rng = new SeededRandom(53);
  const msgs = Array.from({ length: 30 }, (_, i) =>
    i % 3 === 0 ? dnsResponse({ id: i, name: `r${i}.example`, answers: Array.from({ length: rng.int(0, 300) }, (_, k) => `10.0.${k >> 8}.${k & 255}`) }) : dnsQuery({ id: i, name: `q${i}.example` }),
  );
  const stream = cat(...msgs.map(framed));
  const want = msgs.map((m) => m.toString('hex'));
  let bad = 0;
  for (let run = 0; run < 300; run++) {
    const pieces: Buffer[] = [];
    for (let p = 0; p < stream.length;) {
      const n = rng.pick([1, 2, 3, rng.int(1, 100), rng.int(1, 1460), rng.int(1, 9000)]);
      pieces.push(stream.subarray(p, p + n));
      p += n;
    }
    if (JSON.stringify(runFramer(pieces).map((d) => d.bytes.toString('hex'))) !== JSON.stringify(want)) bad++;
  }
  t.equal(bad, 0, '300 random segmentations of 30 messages (up to 4.8 kB each)');

  const big = Buffer.alloc(0xffff, 0x5a);
  const bigStream = cat(framed(big), framed(msgs[1]));
  const pieces: Buffer[] = [];
  for (let p = 0; p < bigStream.length; p += 1460) pieces.push(bigStream.subarray(p, p + 1460));
  const out = runFramer(pieces);
  t.equal(out.length, 2, 'a 65535-octet message in 1460-octet segments, then a small one');
  t.ok(out[0].bytes.equals(big), 'the largest message intact');
  t.ok(out[1].bytes.equals(msgs[1]), 'the next one too');

  // reset() drops the partial message; the next segment starts a new one.
  const a = framed(msgs[0]);
  const b = framed(msgs[1]);
  const afterReset = runFramer([a.subarray(0, 30), b], (f, i) => i === 1 && f.reset());
  t.strictSame(afterReset.map((d) => d.bytes.toString('hex')), [msgs[1].toString('hex')], 'reset in the middle of a message');
  const afterPrefixReset = runFramer([a.subarray(0, 1), b], (f, i) => i === 1 && f.reset());
  t.strictSame(afterPrefixReset.map((d) => d.bytes.toString('hex')), [msgs[1].toString('hex')], 'reset after half a length prefix');
  const noReset = runFramer([a.subarray(0, 30), b]);
  t.notSame(noReset.map((d) => d.bytes.toString('hex')), [msgs[1].toString('hex')], 'without reset the stream is read as a continuation (why reset exists)');

  // Odd lengths are framing, not the framer's business: they reach onMessage and parseDns rejects them.
  const odd = runFramer([cat(u16(0), u16(3), B(1, 2, 3), b)]);
  t.strictSame(odd.map((d) => d.bytes.length), [0, 3, msgs[1].length], 'zero- and three-octet messages are passed on');
  t.strictSame(odd.map((d) => parse(d.bytes) !== null), [false, false, true], '... and parseDns rejects them');
  const ignored = runFramer([Buffer.alloc(0)]);
  t.equal(ignored.length, 0, 'empty feed');
  const f = new DnsTcpFramer(() => t.fail('no message expected'));
  f.feed(a, 5, -1);
  f.feed(a, -1, 3);
  f.feed(a, 0, a.length + 1);
  t.pass('bad feed arguments are ignored');
});

// ---------------------------------------------------------------------------
// tshark

/** One DNS PDU as tshark shows it. */
interface TsharkPdu {
  id: number;
  isResponse: boolean;
  opcode: number;
  /** Absent for queries (tshark shows no RCODE there). */
  rcode: number | null;
  truncated: boolean;
  questionCount: number;
  answerCount: number;
  authorityCount: number;
  additionalCount: number;
  queryName: string | null;
  queryType: number | null;
  queryClass: number | null;
}

interface TsharkFrame {
  number: number;
  protocols: string;
  malformed: boolean;
  expert: string[];
  /** Frames of the IP fragments tshark reassembled into this one (empty when not fragmented). */
  fragments: number[];
  isTcp: boolean;
  /** Innermost UDP/TCP ports. */
  sport: number;
  dport: number;
  pdus: TsharkPdu[];
}

const AGG = '\u001f';
const TSHARK_FIELDS = [
  'frame.number', 'frame.protocols', '_ws.malformed', '_ws.expert.message', 'ip.fragment', 'ipv6.fragment',
  'udp.srcport', 'udp.dstport', 'tcp.srcport', 'tcp.dstport',
  'dns.id', 'dns.flags.response', 'dns.flags.opcode', 'dns.flags.rcode', 'dns.flags.truncated',
  'dns.count.queries', 'dns.count.zones', 'dns.count.answers', 'dns.count.prerequisites', 'dns.count.auth_rr', 'dns.count.updates', 'dns.count.add_rr',
  'dns.qry.name', 'dns.qry.type', 'dns.qry.class',
];

function runTshark(file: string): Promise<string> {
  const args = ['-n', '-r', file, '-Y', 'dns.id', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', `aggregator=${AGG}`];
  for (const f of TSHARK_FIELDS) args.push('-e', f);
  return new Promise((resolve, reject) => {
    execFile(TSHARK, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`tshark failed on ${file}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Rows to frames. A frame may hold several DNS PDUs (DNS over TCP); tshark
 * lists each field's occurrences in PDU order, so they are dealt out per PDU:
 * the UPDATE counts (zones, prerequisites, updates) stand in for the others
 * when the opcode is 5, RCODE only for responses, and the first question of a
 * PDU follows all the questions of the PDUs before it.
 */
function parseTsharkOutput(stdout: string): TsharkFrame[] {
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const cols = line.split('\t');
      const v: Record<string, string[]> = {};
      TSHARK_FIELDS.forEach((n, i) => (v[n] = (cols[i] ?? '') === '' ? [] : cols[i].split(AGG)));
      // Fields that not every PDU has are consumed in order, one cursor per field.
      const cursor = new Map<string, number>();
      const next = (name: string): string | undefined => {
        const i = cursor.get(name) ?? 0;
        cursor.set(name, i + 1);
        return v[name][i];
      };
      let questionsBefore = 0;
      const pdus: TsharkPdu[] = v['dns.id'].map((id, i) => {
        const opcode = Number(v['dns.flags.opcode'][i]);
        const isResponse = v['dns.flags.response'][i] === '1' || v['dns.flags.response'][i] === 'True';
        const update = opcode === 5;
        const num = (s: string | undefined): number => (s === undefined ? NaN : Number(s));
        const pdu: TsharkPdu = {
          id: parseInt(id, 16),
          isResponse,
          opcode,
          rcode: isResponse ? num(next('dns.flags.rcode')) : null,
          truncated: v['dns.flags.truncated'][i] === '1' || v['dns.flags.truncated'][i] === 'True',
          questionCount: num(next(update ? 'dns.count.zones' : 'dns.count.queries')),
          answerCount: num(next(update ? 'dns.count.prerequisites' : 'dns.count.answers')),
          authorityCount: num(next(update ? 'dns.count.updates' : 'dns.count.auth_rr')),
          additionalCount: num(next('dns.count.add_rr')),
          queryName: null,
          queryType: null,
          queryClass: null,
        };
        if (pdu.questionCount > 0 && questionsBefore < v['dns.qry.name'].length) {
          pdu.queryName = v['dns.qry.name'][questionsBefore];
          const ty = v['dns.qry.type'][questionsBefore];
          const cl = v['dns.qry.class'][questionsBefore];
          pdu.queryType = ty === undefined ? null : Number(ty);
          pdu.queryClass = cl === undefined ? null : parseInt(cl, 16);
        }
        questionsBefore += Number.isNaN(pdu.questionCount) ? 0 : pdu.questionCount;
        return pdu;
      });
      const isTcp = v['tcp.srcport'].length > 0 && /:tcp:(dns|mdns|llmnr)/.test(v['frame.protocols'][0] ?? '');
      const last = (name: string): number => Number(v[name][v[name].length - 1]);
      return {
        number: Number(v['frame.number'][0]),
        protocols: v['frame.protocols'][0] ?? '',
        malformed: v['_ws.malformed'].length > 0,
        expert: v['_ws.expert.message'],
        fragments: [...v['ip.fragment'], ...v['ipv6.fragment']].map(Number),
        isTcp,
        sport: isTcp ? last('tcp.srcport') : last('udp.srcport'),
        dport: isTcp ? last('tcp.dstport') : last('udp.dstport'),
        pdus,
      };
    });
}

// ---------------------------------------------------------------------------
// Comparing one message with tshark

/**
 * Names tshark shows instead of the text when a name is invalid; we reject
 * the message instead, since its first question does not parse.
 */
const TSHARK_PLACEHOLDERS = ['<Name contains a pointer that loops>', '<Name too long>', '<Unknown extended label>'];

/**
 * Why we may reject a message tshark decodes: the documented differences.
 * Checked here independently of the parser, from the octets and tshark's view.
 */
function rejectionReason(msg: Uint8Array, pdu: TsharkPdu, frame: TsharkFrame): string | null {
  if (frame.malformed) return 'malformed for tshark too';
  if (pdu.queryName !== null && TSHARK_PLACEHOLDERS.includes(pdu.queryName)) return `tshark shows the first name as ${pdu.queryName}`;
  const opcode = (msg[2] >> 3) & 0xf;
  if (![0, 1, 2, 4, 5, 6].includes(opcode)) return 'unassigned opcode (tshark: "Unknown operation")';
  if (pdu.questionCount === 0) return 'no question in a message that needs one (QDCOUNT = 0 policy)';
  // The first compression pointer of the first name: tshark follows one that points forward.
  let p = 12;
  while (p < msg.length && msg[p] !== 0 && msg[p] < 0x40) p += msg[p] + 1;
  if (p + 1 < msg.length && msg[p] >= 0xc0 && (((msg[p] & 0x3f) << 8) | msg[p + 1]) >= 12) return 'compression pointer that does not point backward (tshark follows it)';
  return null;
}

/**
 * Where tshark's name differs from ours only because a code point tshark's
 * GLib (Unicode 15.0) calls unassigned has been assigned since, so this
 * runtime prints it: tshark's \u or \U escape turned back into the character
 * gives our text.
 */
function differsOnlyByUnicodeVersion(ours: string, theirs: string): boolean {
  const unescaped = theirs.replace(/\\u([0-9A-F]{4})|\\U([0-9A-F]{8})/g, (all, a: string | undefined, b: string | undefined) => {
    const ch = String.fromCodePoint(parseInt(a ?? b ?? '0', 16));
    return /[\p{Cc}\p{Cf}\p{Cn}]/u.test(ch) ? all : ch;
  });
  return unescaped !== theirs && unescaped === ours;
}

interface Tally {
  /** PDUs tshark decodes that were looked at. */
  pdus: number;
  compared: number;
  fieldsCompared: number;
  fieldsEqual: number;
  perField: Map<string, [number, number]>;
  /** Documented differences and frames not compared, by reason. */
  exceptions: Map<string, number>;
  examples: Map<string, string[]>;
  /** Differences no documented reason explains: the test fails on each. */
  unexplained: string[];
}
const newTally = (): Tally => ({ pdus: 0, compared: 0, fieldsCompared: 0, fieldsEqual: 0, perField: new Map(), exceptions: new Map(), examples: new Map(), unexplained: [] });

function count(tally: Tally, reason: string, where: string): void {
  tally.exceptions.set(reason, (tally.exceptions.get(reason) ?? 0) + 1);
  const ex = tally.examples.get(reason) ?? [];
  if (ex.length < 3) ex.push(where);
  tally.examples.set(reason, ex);
}

function mergeInto(total: Tally, t: Tally): void {
  total.pdus += t.pdus;
  total.compared += t.compared;
  total.fieldsCompared += t.fieldsCompared;
  total.fieldsEqual += t.fieldsEqual;
  for (const [k, [e, c]] of t.perField) {
    const [e0, c0] = total.perField.get(k) ?? [0, 0];
    total.perField.set(k, [e0 + e, c0 + c]);
  }
  for (const [k, n] of t.exceptions) total.exceptions.set(k, (total.exceptions.get(k) ?? 0) + n);
  for (const [k, ex] of t.examples) total.examples.set(k, [...(total.examples.get(k) ?? []), ...ex].slice(0, 3));
  total.unexplained.push(...t.unexplained);
}

const COMPARED_FIELDS: Array<keyof TsharkPdu & keyof Fields> = [
  'id', 'isResponse', 'opcode', 'rcode', 'truncated', 'questionCount', 'answerCount', 'authorityCount', 'additionalCount', 'queryName', 'queryType', 'queryClass',
];

/** One message (`msg`, the octets the probe would see) against tshark's PDU. */
function compareMessage(tally: Tally, where: string, msg: Uint8Array, pdu: TsharkPdu, frame: TsharkFrame): void {
  tally.pdus++;
  const m = new DnsMessage();
  if (!parseDns(msg, 0, msg.length, m, true)) {
    const reason = rejectionReason(msg, pdu, frame);
    if (reason === null) tally.unexplained.push(`${where}: rejected, tshark decodes it (${JSON.stringify(pdu)})`);
    else count(tally, `rejected: ${reason}`, where);
    return;
  }
  tally.compared++;
  for (const field of COMPARED_FIELDS) {
    const theirs = pdu[field];
    // tshark shows no RCODE for queries, nor QTYPE/QCLASS when it shows no question.
    if (theirs === null && (field === 'rcode' || ((field === 'queryType' || field === 'queryClass') && m.questionCount === 0))) continue;
    const ours = m[field];
    const [e, c] = tally.perField.get(field) ?? [0, 0];
    tally.fieldsCompared++;
    let equal = ours === theirs;
    if (!equal && field === 'queryClass' && /:mdns/.test(frame.protocols) && typeof ours === 'number' && (ours & 0x7fff) === theirs) {
      // RFC 6762 5.4: in mDNS the top bit of QCLASS asks for a unicast response. tshark shows it
      // apart (dns.qry.unicast_response); parseDns does not know the port and returns the 16 bits.
      count(tally, 'mDNS QCLASS: tshark shows it without the unicast-response bit, parseDns returns the 16 bits as sent', where);
      equal = true;
    }
    if (!equal && field === 'queryName' && typeof ours === 'string' && typeof theirs === 'string' && differsOnlyByUnicodeVersion(ours, theirs)) {
      count(tally, 'query name: a code point unassigned in tshark\'s Unicode 15.0 is printable here', where);
      equal = true;
    }
    if (equal) tally.fieldsEqual++;
    else tally.unexplained.push(`${where}: ${field} ours ${JSON.stringify(ours)} tshark ${JSON.stringify(theirs)}`);
    tally.perField.set(field, [e + (equal ? 1 : 0), c + 1]);
  }
  if (frame.malformed) count(tally, 'accepted and compared although tshark finds the frame malformed (after the first question)', where);
}

// ---------------------------------------------------------------------------
// One capture: our decoder and parser against tshark

const DNS_PORTS = new Set([DNS_PORT, 5353, 5355]);

/** The UDP payload as UDP sees it: captured octets, bounded by the UDP length field. */
function udpPayload(buf: Uint8Array, p: DecodedPacket): Uint8Array {
  const udpLength = (buf[p.payloadOffset - 4] << 8) | buf[p.payloadOffset - 3];
  const len = udpLength >= 8 && udpLength - 8 < p.payloadLength ? udpLength - 8 : p.payloadLength;
  return buf.subarray(p.payloadOffset, p.payloadOffset + len);
}

interface Direction {
  seq: TcpSequence;
  framer: DnsTcpFramer;
  messages: Buffer[];
}

/**
 * Reads `file` with the probe's decoder: UDP payloads of the frames tshark
 * decodes as DNS (or of their first IP fragment) are compared with tshark's
 * PDU; TCP segments on DNS ports go through TcpSequence and a DnsTcpFramer
 * per direction, and each direction's messages are compared in order with
 * the PDUs tshark reassembled in that direction.
 */
function checkCapture(file: string, name: string, frames: TsharkFrame[], tally: Tally, onTcpMessage?: (msg: Buffer) => void): void {
  const byFrame = new Map<number, TsharkFrame>();
  /** First-fragment frame number -> the reassembled frame tshark decoded. */
  const byFirstFragment = new Map<number, TsharkFrame>();
  for (const f of frames) {
    if (f.isTcp) continue;
    byFrame.set(f.number, f);
    if (f.fragments.length > 1) byFirstFragment.set(f.fragments[0], f);
  }
  const directions = new Map<string, Direction>();
  const frameDirection = new Map<number, string>();

  const cf = CaptureFile.open(file);
  const decoder = new PacketDecoder(Decap.All);
  const p = new DecodedPacket();
  const seenUdp = new Set<number>();
  let frameNo = 0;
  try {
    while (
      cf.read(4096, (buf, off, capLen, wireLen, _ts, linkType) => {
        frameNo++;
        const fragmentOf = byFirstFragment.get(frameNo);
        const udpFrame = byFrame.get(frameNo);
        const status = decoder.decode(buf, off, capLen, wireLen, linkType, p);
        if (status === DecodeStatus.Ok && p.protocol === 6 && (DNS_PORTS.has(p.srcPort) || DNS_PORTS.has(p.dstPort))) {
          const key = `${p.ipVersion} ${Array.from(p.addr).join(',')} ${p.srcPort} ${p.dstPort}`;
          let d = directions.get(key);
          if (d === undefined) {
            const messages: Buffer[] = [];
            const onMessage = (b: Uint8Array, o: number, l: number): void => {
              const msg = Buffer.from(b.subarray(o, o + l)); // a copy: b is the capture buffer or the framer's own
              messages.push(msg);
              onTcpMessage?.(msg);
            };
            d = { seq: new TcpSequence(), framer: new DnsTcpFramer(onMessage), messages };
            directions.set(key, d);
          }
          frameDirection.set(frameNo, key);
          const SYN = 0x02;
          let skip = d.seq.accept(p.tcpSeq, p.payloadLength, (p.tcpFlags & SYN) !== 0);
          if (skip === SegmentVerdict.Gap) {
            d.framer.reset();
            skip = 0;
          }
          if (skip >= 0) d.framer.feed(buf, p.payloadOffset + skip, p.payloadLength - skip);
          return;
        }
        const f = fragmentOf ?? udpFrame;
        if (f === undefined) return;
        if (udpFrame !== undefined && udpFrame.fragments.length > 1) return; // compared at its first fragment
        seenUdp.add(f.number);
        const where = `${name} frame ${f.number}`;
        if (/icmp/.test(f.protocols)) {
          count(tally, 'not compared: DNS quoted inside an ICMP error (the probe sees an ICMP packet)', where);
          return;
        }
        if (status !== DecodeStatus.Ok) {
          count(tally, 'not compared: the probe\'s decoder rejects the frame (e.g. IP total length beyond the captured frame)', where);
          return;
        }
        if (p.protocol !== 17 || p.srcPort !== f.sport || p.dstPort !== f.dport || p.isLaterFragment) {
          count(tally, `not compared: inside an encapsulation the probe does not open (${f.protocols})`, where);
          return;
        }
        const pdu = f.pdus[0];
        if (fragmentOf !== undefined) count(tally, 'compared on the first IP fragment (tshark reassembles IP, the probe does not)', where);
        compareMessage(tally, where, udpPayload(buf, p), pdu, f);
      })
    ) {
      /* keep reading */
    }
  } finally {
    cf.close();
  }
  for (const f of byFrame.values()) {
    if (!seenUdp.has(f.number)) tally.unexplained.push(`${name} frame ${f.number}: tshark decodes DNS, the frame was not compared`);
  }

  // TCP: tshark's PDUs per direction, in frame order.
  const tsharkByDirection = new Map<string, Array<{ pdu: TsharkPdu; frame: TsharkFrame }>>();
  for (const f of frames) {
    if (!f.isTcp) continue;
    const key = frameDirection.get(f.number);
    if (key === undefined) {
      tally.unexplained.push(`${name} frame ${f.number}: DNS over TCP for tshark on ports ${f.sport}->${f.dport}, not followed here`);
      continue;
    }
    const list = tsharkByDirection.get(key) ?? [];
    for (const pdu of f.pdus) list.push({ pdu, frame: f });
    tsharkByDirection.set(key, list);
  }
  for (const [key, d] of directions) {
    const theirs = tsharkByDirection.get(key) ?? [];
    const where = `${name} TCP ${key}`;
    if (d.messages.length !== theirs.length) {
      tally.unexplained.push(`${where}: ${d.messages.length} messages framed, tshark has ${theirs.length} PDUs`);
      continue;
    }
    if (d.messages.length === 0) {
      count(tally, 'TCP directions on a DNS port without DNS data on either side (handshakes, ACKs, scans)', where);
      continue;
    }
    count(tally, 'TCP directions whose message sequence matches tshark', where);
    d.messages.forEach((msg, i) => compareMessage(tally, `${where} message ${i}`, msg, theirs[i].pdu, theirs[i].frame));
  }
}

function report(t: tap.Test, label: string, tally: Tally): void {
  t.comment(`${label}: ${tally.pdus} DNS PDUs for tshark, ${tally.compared} compared field by field: ${tally.fieldsEqual}/${tally.fieldsCompared} fields equal`);
  const fields = [...tally.perField].map(([k, [e, c]]) => `${k} ${e}/${c}`).join(', ');
  if (fields) t.comment(`  per field: ${fields}`);
  for (const [reason, n] of [...tally.exceptions].sort()) t.comment(`  ${n} × ${reason} (e.g. ${tally.examples.get(reason)?.join('; ')})`);
}

// ---------------------------------------------------------------------------
// 2. Generated captures against tshark

const haveTshark = tsharkAvailable();
const T0 = nsFromIso('2026-01-01T00:00:00Z');
const MAC = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };

/** Encodes `cp` in `n` octets the pre-RFC 3629 way (n larger than needed gives an overlong form). */
function utf8Form(cp: number, n: number): number[] {
  if (n === 1) return [cp & 0x7f];
  const out: number[] = [];
  let rest = cp;
  for (let i = 1; i < n; i++) {
    out.unshift(0x80 | (rest & 0x3f));
    rest = Math.floor(rest / 64);
  }
  out.unshift(((0xff << (8 - n)) & 0xff) | rest);
  return out;
}

function randomLabel(rng: SeededRandom): Buffer {
  const octets: number[] = [];
  const want = rng.int(1, 24);
  while (octets.length < want) {
    const r = rng.next();
    if (r < 0.3) octets.push(rng.int(0x20, 0x7e));
    else if (r < 0.4) octets.push(rng.pick([0, 1, 7, 8, 9, 10, 13, 27, 31, 127]));
    else if (r < 0.55) octets.push(rng.int(0x80, 0xff));
    else if (r < 0.85) {
      const cp = rng.pick([rng.int(0x80, 0x7ff), rng.int(0x800, 0xffff), rng.int(0x10000, 0x10ffff), rng.int(0x80, 0x3000), rng.int(0x1f000, 0x1faff)]);
      const n = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      octets.push(...utf8Form(cp, n));
    } else if (r < 0.9) {
      octets.push(...utf8Form(rng.int(0, 0x7ff), rng.int(2, 6))); // overlong
    } else if (r < 0.95) {
      octets.push(...utf8Form(rng.pick([rng.int(0xd800, 0xdfff), rng.int(0x110000, 0x3ffffff)]), rng.pick([3, 5, 6]))); // surrogate or too large
    } else {
      const seq = utf8Form(rng.int(0x800, 0x10ffff), 4);
      octets.push(...seq.slice(0, rng.int(1, 3))); // broken off
    }
  }
  return Buffer.from(octets.slice(0, 63));
}

t.test('generated UDP capture: names and fields as tshark shows them', { skip: haveTshark ? false : `tshark not found at ${TSHARK}` }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'microcloud-dns-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rng = new SeededRandom(1035);
  const messages: Buffer[] = allCases().filter((c) => c.bytes.length >= 12).map((c) => c.bytes);
  for (let v = 0; v < 256; v++) messages.push(cat(header(v, RD, 1), question(rawName(B(0x61, v, 0x62), 'x'))));
  for (let i = 0; i < 1500; i++) {
    const parts: Buffer[] = [];
    let wire = 1;
    for (let k = rng.int(1, 4); k > 0; k--) {
      const l = randomLabel(rng);
      if (wire + 1 + l.length > 255) break;
      parts.push(l);
      wire += 1 + l.length;
    }
    messages.push(cat(header(0x8000 + i, RD, 1), question(rawName(...parts), rng.int(1, 300))));
  }
  const file = join(dir, 'names.pcap');
  const records = messages.map((m, i) => {
    const l4 = udp({ sport: 40000 + (i % 1000), dport: i % 5 === 4 ? 5353 : 53 }, m);
    const ip = i % 2 === 0 ? ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.UDP }, l4) : ipv6({ src: '2001:db8::1', dst: '2001:db8::2', proto: IpProto.UDP }, l4);
    return { timeNs: T0 + BigInt(i) * 1_000_000n, data: ethernet(MAC, ip) };
  });
  writeCaptureFile(file, writePcap(records, { linkType: LinkType.ETHERNET }));
  const frames = parseTsharkOutput(await runTshark(file));
  t.equal(frames.length, messages.length, 'tshark decodes every generated datagram as DNS');
  const tally = newTally();
  checkCapture(file, 'generated', frames, tally);
  report(t, 'generated UDP', tally);
  t.strictSame(tally.unexplained, [], 'no unexplained difference');
  t.ok(tally.compared > 1700, 'most generated messages compared');
  t.equal(tally.fieldsEqual, tally.fieldsCompared, 'every compared field equal (Unicode-version differences counted above)');
});

/** Every message sent in one direction, in order, for the framer's own check. */
function sentMessages(messages: readonly { fromClient: boolean; data: Buffer }[], fromClient: boolean): string[] {
  const out: string[] = [];
  for (const m of messages) {
    if (m.fromClient !== fromClient) continue;
    for (let p = 0; p < m.data.length; p += 2 + m.data.readUInt16BE(p)) out.push(m.data.subarray(p + 2, p + 2 + m.data.readUInt16BE(p)).toString('hex'));
  }
  return out;
}

t.test('generated TCP capture: DnsTcpFramer against tshark reassembly', { skip: haveTshark ? false : `tshark not found at ${TSHARK}` }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'microcloud-dns-tcp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const q = (id: number, name: string) => dnsQuery({ id, name });
  const r = (id: number, name: string, n: number) => dnsResponse({ id, name, answers: Array.from({ length: n }, (_, k) => `10.${k >> 16}.${(k >> 8) & 255}.${k & 255}`) });
  const packets: ConversationPacket[][] = [];
  // 1: three queries in one segment; three responses whose second length prefix is split by the MSS.
  const r1 = [r(1, 'one.example', 2), r(2, 'two.example', 1), r(3, 'three.example', 3)];
  const s1 = [
    { fromClient: true, data: cat(framed(q(1, 'one.example')), framed(q(2, 'two.example')), framed(q(3, 'three.example'))) },
    { fromClient: false, data: cat(...r1.map(framed)) },
  ];
  packets.push(tcpSession({ client: { ip: '10.0.0.1', port: 40001 }, server: { ip: '10.0.0.53', port: 53 }, messages: s1, mss: framed(r1[0]).length + 1 }));
  // 2: a 4.8 kB response over four segments, with the second segment retransmitted after the third.
  const s2 = [
    { fromClient: true, data: framed(q(4, 'big.example')) },
    { fromClient: false, data: framed(r(4, 'big.example', 300)) },
  ];
  const session2 = tcpSession({ client: { ip: '10.0.0.1', port: 40002 }, server: { ip: '10.0.0.53', port: 53 }, messages: s2, mss: 1460 });
  const serverData = session2.map((c, i) => ({ c, i })).filter(({ c }) => !c.fromClient && c.packet.length > 60);
  session2.splice(serverData[2].i + 1, 0, serverData[1].c);
  packets.push(session2);
  // 3: tiny segments (7 octets) over IPv6, two messages each way.
  const s3 = [
    { fromClient: true, data: cat(framed(q(5, 'v6.example')), framed(q(6, 'v6b.example'))) },
    { fromClient: false, data: cat(framed(r(5, 'v6.example', 1)), framed(r(6, 'v6b.example', 2))) },
  ];
  packets.push(tcpSession({ client: { ip: '2001:db8::1', port: 40003 }, server: { ip: '2001:db8::53', port: 53 }, messages: s3, mss: 7 }));
  // 4: the last segment of a 3.2 kB response is lost (data segments alternate with the client's
  // ACKs); the next segment starts a new response, where both we (TcpSequence gap, reset) and
  // tshark pick up again.
  const s4 = [
    { fromClient: false, data: framed(r(7, 'lost.example', 200)) },
    { fromClient: false, data: framed(r(8, 'after.example', 1)) },
    { fromClient: false, data: framed(r(9, 'after2.example', 1)) },
  ];
  const lost = tcpSession({ client: { ip: '10.0.0.1', port: 40004 }, server: { ip: '10.0.0.53', port: 53 }, messages: s4, mss: 1460 });
  const firstData = lost.findIndex((c) => !c.fromClient && c.packet.length > 60);
  lost.splice(firstData + 4, 1);
  packets.push(lost);
  const records = packets.flat().map((c, i) => ({ timeNs: T0 + BigInt(i) * 1_000_000n, data: ethernet(MAC, c.packet) }));
  const file = join(dir, 'tcp.pcap');
  writeCaptureFile(file, writePcap(records, { linkType: LinkType.ETHERNET }));

  const frames = parseTsharkOutput(await runTshark(file));
  const tally = newTally();
  const framedHere: string[] = [];
  checkCapture(file, 'generated TCP', frames, tally, (msg) => framedHere.push(msg.toString('hex')));
  report(t, 'generated TCP', tally);
  // Independent of tshark: every message sent comes out of the framer, except the one with the hole.
  const sent = [s1, s2, s3, s4].flatMap((s) => [...sentMessages(s, true), ...sentMessages(s, false)]);
  const lostMessage = r(7, 'lost.example', 200).toString('hex');
  t.strictSame([...framedHere].sort(), sent.filter((m) => m !== lostMessage).sort(), 'the framer yields every message sent but the one with a lost segment');
  t.equal(tally.pdus, sent.length - 1, `tshark sees the same ${sent.length - 1} messages`);
  t.equal(tally.exceptions.get('TCP directions whose message sequence matches tshark'), 7, 'seven directions with data, each sequence equal to tshark');
  t.strictSame(tally.unexplained, [], 'no unexplained difference');
  t.equal(tally.fieldsEqual, tally.fieldsCompared, 'every compared field equal');
});

// ---------------------------------------------------------------------------
// 3. Real captures

const haveShared = existsSync(sharedDir());

/** nDPI captures whose expected output mentions DNS (MDNS included: the same format). */
function ndpiCaptures(): Array<{ name: string; path: string }> {
  if (!existsSync(ndpiResultDir())) return [];
  return readdirSync(ndpiResultDir())
    .filter((n) => n.endsWith('.out') && readFileSync(join(ndpiResultDir(), n), 'utf8').includes('DNS'))
    .map((n) => n.slice(0, -'.out'.length))
    .sort()
    .map((n) => ({ name: `ndpi/${n}`, path: join(ndpiPcapDir(), n) }))
    .filter((c) => existsSync(c.path));
}

/**
 * Zeek's captures that carry DNS: found by reading each one (they are small)
 * with our decoder, looking for UDP or TCP on ports 53, 5353 or 5355 at any
 * tunnel depth, instead of by name.
 */
function zeekCaptures(): Array<{ name: string; path: string }> {
  if (!existsSync(zeekDir())) return [];
  const out: Array<{ name: string; path: string }> = [];
  const decoder = new PacketDecoder(Decap.All);
  const p = new DecodedPacket();
  for (const n of readdirSync(zeekDir()).filter((x) => /\.pcap(ng)?$/.test(x)).sort()) {
    const path = join(zeekDir(), n);
    let found = false;
    const cf = CaptureFile.open(path);
    try {
      while (
        !found &&
        cf.read(4096, (buf, off, capLen, wireLen, _ts, linkType) => {
          if (decoder.decode(buf, off, capLen, wireLen, linkType, p) !== DecodeStatus.Ok) return;
          if ((p.protocol === 17 || p.protocol === 6) && (DNS_PORTS.has(p.srcPort) || DNS_PORTS.has(p.dstPort))) found = true;
        })
      ) {
        /* keep reading */
      }
    } finally {
      cf.close();
    }
    if (found) out.push({ name: `zeek/${n}`, path });
  }
  return out;
}

t.test('real captures agree with tshark', { skip: !haveShared ? `shared data not found at ${sharedDir()} (set MICROCLOUD_SHARED)` : !haveTshark ? `tshark not found at ${TSHARK}` : false }, async (t) => {
  const started = Date.now();
  const captures = [...ndpiCaptures(), ...zeekCaptures()];
  t.comment(`${captures.length} captures: ${captures.map((c) => c.name).join(' ')}`);
  t.ok(captures.length > 0, 'captures found');
  const total = newTally();
  // One tshark per capture, two at a time, while this process compares the ones done.
  const outputs = mapLimited(captures, 2, (c) => runTshark(c.path));
  let waitedMs = 0;
  for (let i = 0; i < captures.length; i++) {
    const c = captures[i];
    const waitStart = Date.now();
    const stdout = await outputs[i];
    waitedMs += Date.now() - waitStart;
    const tally = newTally();
    checkCapture(c.path, c.name, parseTsharkOutput(stdout), tally);
    mergeInto(total, tally);
  }
  report(t, `${captures.length} real captures`, total);
  t.comment(`in ${((Date.now() - started) / 1000).toFixed(1)} s, ${(waitedMs / 1000).toFixed(1)} s of it waiting for tshark`);
  for (const u of total.unexplained.slice(0, 40)) t.comment(`  UNEXPLAINED ${u}`);
  t.strictSame(total.unexplained.length, 0, 'every difference from tshark has a documented reason');
  t.ok(total.compared > 2500, 'thousands of DNS messages compared');
  t.equal(total.fieldsEqual, total.fieldsCompared, 'every compared field equal');
  t.ok((total.exceptions.get('TCP directions whose message sequence matches tshark') ?? 0) > 0, 'DNS over TCP compared');
});
