/**
 * dissectors/radius.ts: the pure RADIUS parser.
 *
 * 1. Round trips: messages from our generator (test/gen/app/radius.ts) and
 *    messages with the attributes the generator does not make (IPv6, 3GPP
 *    vendor attributes, dynamic authorization codes), every field asserted;
 *    each validation rule with a packet that breaks only that rule.
 * 2. Real captures (../shared): Zeek's radius captures and every nDPI capture
 *    whose result file mentions Radius, compared field by field with tshark
 *    on every frame tshark decodes as RADIUS; Zeek's radius.log baseline;
 *    nDPI's radius_false_positive capture. The generated messages go through
 *    tshark too, which covers the fields no real capture carries.
 * 3. Fuzz: every truncation of each generated message and 20k random
 *    mutations never throw, and what is accepted is consistent.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AcctStatus,
  parseRadius,
  RADIUS_ACCT_PORTS,
  RADIUS_AUTH_PORTS,
  RadiusCode,
  RadiusMessage,
  radiusProblem,
} from '../dissectors/radius';
import { ndpiPcapDir, ndpiResultDir, sharedDir, zeekDir } from './corpus/paths';
import * as gen from './gen/app/radius';
import { cat, ipv4Bytes, ipv6Bytes, u16, u32, u8 } from './gen/bytes';
import { IpProto, ipv4, ipv6 } from './gen/ip';
import { ethernet } from './gen/link';
import { LinkType, nsFromIso, writeCaptureFile, writePcap } from './gen/pcap-writer';
import { SeededRandom } from './gen/rng';
import { udp } from './gen/transport';
import { TSHARK, tsharkAvailable } from './gen/tshark';

// ---------------------------------------------------------------------------
// Building messages

const SECRET = 'testing123';
const AUTH = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

const EMPTY: RadiusMessage = {
  code: 0,
  identifier: 0,
  isRequest: false,
  userName: null,
  framedIpAddress: null,
  framedIpSpecial: null,
  framedIpv6Address: null,
  framedIpv6Prefix: null,
  callingStationId: null,
  calledStationId: null,
  nasIpAddress: null,
  nasIpv6Address: null,
  nasIdentifier: null,
  acctStatusType: null,
  acctSessionId: null,
  acctMultiSessionId: null,
  acctInputOctets: null,
  acctOutputOctets: null,
  acctInputGigawords: null,
  acctOutputGigawords: null,
  acctSessionTime: null,
  terminateCause: null,
  vendor3gppImsi: null,
  vendor3gppImeisv: null,
};
const expected = (fields: Partial<RadiusMessage>): RadiusMessage => ({ ...EMPTY, ...fields });

/** One attribute as on the wire: type, length, value (the length may be forced to lie). */
const avp = (type: number, value: Buffer, length = 2 + value.length): Buffer => cat(u8(type), u8(length), value);
const str = (type: number, s: string): Buffer => avp(type, Buffer.from(s, 'utf8'));
const int = (type: number, v: number): Buffer => avp(type, u32(v));
const v4 = (type: number, a: string): Buffer => avp(type, ipv4Bytes(a));
const v6 = (type: number, a: string): Buffer => avp(type, ipv6Bytes(a));
/** RFC 3162 ipv6prefix: reserved, prefix length, the prefix octets that hold `plen` bits. */
const prefix = (type: number, addr: string, plen: number, octets = Math.ceil(plen / 8)): Buffer =>
  avp(type, cat(u8(0), u8(plen), ipv6Bytes(addr).subarray(0, octets)));
/** Vendor-Specific (26) holding sub-attributes in the RFC 2865 5.26 layout. */
const vsa = (vendor: number, ...subs: Buffer[]): Buffer => avp(26, cat(u32(vendor), ...subs));
const sub = (type: number, s: string): Buffer => cat(u8(type), u8(2 + Buffer.byteLength(s)), Buffer.from(s, 'utf8'));

/** A packet with a fixed authenticator (the parser does not check it). */
function packet(code: number, id: number, ...attrs: Buffer[]): Buffer {
  const body = cat(...attrs);
  return cat(u8(code), u8(id), u16(20 + body.length), AUTH, body);
}

const parse = (b: Uint8Array): RadiusMessage | null => parseRadius(b, 0, b.length);

// Attribute numbers used below (RFC 2865/2866/2869/3162/6911).
const ATTR = {
  USER_NAME: 1,
  NAS_IP: 4,
  NAS_PORT: 5,
  FRAMED_IP: 8,
  REPLY_MESSAGE: 18,
  STATE: 24,
  CALLED: 30,
  CALLING: 31,
  NAS_ID: 32,
  STATUS: 40,
  IN_OCTETS: 42,
  OUT_OCTETS: 43,
  SESSION_ID: 44,
  SESSION_TIME: 46,
  TERMINATE: 49,
  MULTI_SESSION: 50,
  IN_GIGA: 52,
  OUT_GIGA: 53,
  EVENT_TIMESTAMP: 55,
  EAP_MESSAGE: 79,
  MESSAGE_AUTHENTICATOR: 80,
  NAS_IPV6: 95,
  FRAMED_IPV6_PREFIX: 97,
  FRAMED_IPV6_ADDRESS: 168,
} as const;
const VENDOR_3GPP = 10415;
const VENDOR_MICROSOFT = 311;

interface Case {
  what: string;
  bytes: Buffer;
  expect: RadiusMessage;
}

function generatedCases(): Case[] {
  const session = { secret: SECRET, nasIp: '10.255.0.1', userName: 'alice@isp.test', sessionId: 'acct-0001', framedIp: '100.64.1.11', callingStationId: '02-00-00-00-01-11' };
  const user = { userName: 'alice@isp.test', nasIpAddress: '10.255.0.1', framedIpAddress: '100.64.1.11', callingStationId: '02-00-00-00-01-11', acctSessionId: 'acct-0001' };
  const start = gen.radiusAccountingRequest({ ...session, id: 2, statusType: gen.AcctStatusType.START });
  return [
    {
      what: 'Access-Request (generator)',
      bytes: gen.radiusAccessRequest({ id: 1, secret: SECRET, authenticator: AUTH, userName: 'alice@isp.test', password: 'correct horse battery', nasIp: '10.255.0.1', callingStationId: '02-00-00-00-01-11' }),
      expect: expected({ code: 1, identifier: 1, isRequest: true, userName: 'alice@isp.test', nasIpAddress: '10.255.0.1', callingStationId: '02-00-00-00-01-11' }),
    },
    {
      what: 'Access-Request without password (generator)',
      bytes: gen.radiusAccessRequest({ id: 200, secret: SECRET, authenticator: AUTH, userName: 'bob', nasIp: '192.0.2.1' }),
      expect: expected({ code: 1, identifier: 200, isRequest: true, userName: 'bob', nasIpAddress: '192.0.2.1' }),
    },
    {
      what: 'Access-Accept (generator)',
      bytes: gen.radiusAccessAccept({ id: 1, secret: SECRET, requestAuthenticator: AUTH, framedIp: '100.64.1.11' }),
      expect: expected({ code: 2, identifier: 1, framedIpAddress: '100.64.1.11' }),
    },
    {
      what: 'Access-Accept without address (generator)',
      bytes: gen.radiusAccessAccept({ id: 7, secret: SECRET, requestAuthenticator: AUTH }),
      expect: expected({ code: 2, identifier: 7 }),
    },
    {
      // The generator makes no Access-Reject: built here as RFC 2865 4.3 shows it.
      what: 'Access-Reject',
      bytes: packet(RadiusCode.AccessReject, 1, str(ATTR.REPLY_MESSAGE, 'Authentication failed')),
      expect: expected({ code: 3, identifier: 1 }),
    },
    {
      what: 'Accounting-Request Start (generator)',
      bytes: start,
      expect: expected({ code: 4, identifier: 2, isRequest: true, acctStatusType: AcctStatus.Start, ...user }),
    },
    {
      what: 'Accounting-Request Interim-Update (generator)',
      bytes: gen.radiusAccountingRequest({ ...session, id: 3, statusType: gen.AcctStatusType.INTERIM_UPDATE, sessionTime: 60, inputOctets: 123456, outputOctets: 4294967295 }),
      expect: expected({ code: 4, identifier: 3, isRequest: true, acctStatusType: AcctStatus.InterimUpdate, ...user, acctSessionTime: 60, acctInputOctets: 123456, acctOutputOctets: 4294967295 }),
    },
    {
      what: 'Accounting-Request Stop (generator)',
      bytes: gen.radiusAccountingRequest({ ...session, id: 4, statusType: gen.AcctStatusType.STOP, sessionTime: 3600, inputOctets: 0, outputOctets: 99 }),
      expect: expected({ code: 4, identifier: 4, isRequest: true, acctStatusType: AcctStatus.Stop, ...user, acctSessionTime: 3600, acctInputOctets: 0, acctOutputOctets: 99, terminateCause: 1 }),
    },
    {
      what: 'Accounting-Request Accounting-On (generator)',
      bytes: gen.radiusAccountingRequest({ id: 5, secret: SECRET, nasIp: '10.255.0.1', statusType: gen.AcctStatusType.ACCOUNTING_ON }),
      expect: expected({ code: 4, identifier: 5, isRequest: true, acctStatusType: AcctStatus.AccountingOn, nasIpAddress: '10.255.0.1' }),
    },
    {
      what: 'Accounting-Request Accounting-Off (generator)',
      bytes: gen.radiusAccountingRequest({ id: 6, secret: SECRET, nasIp: '10.255.0.1', statusType: gen.AcctStatusType.ACCOUNTING_OFF }),
      expect: expected({ code: 4, identifier: 6, isRequest: true, acctStatusType: AcctStatus.AccountingOff, nasIpAddress: '10.255.0.1' }),
    },
    {
      what: 'Accounting-Response (generator)',
      bytes: gen.radiusAccountingResponse({ secret: SECRET, request: start }),
      expect: expected({ code: 5, identifier: 2 }),
    },
  ];
}

/** What the generator cannot make: every other field, special addresses, the other codes. */
function extraCases(): Case[] {
  return [
    {
      what: 'Accounting-Request with every field (IPv6, 3GPP, gigawords)',
      bytes: packet(
        RadiusCode.AccountingRequest,
        42,
        int(ATTR.STATUS, AcctStatus.InterimUpdate),
        str(ATTR.USER_NAME, '001010123456789'),
        v4(ATTR.NAS_IP, '198.51.100.7'),
        v6(ATTR.NAS_IPV6, '2001:db8:0:0:1:0:0:1'),
        str(ATTR.NAS_ID, 'pgw-1.example'),
        v4(ATTR.FRAMED_IP, '10.20.30.40'),
        v6(ATTR.FRAMED_IPV6_ADDRESS, '2001:DB8:AAAA:0:0:0:0:5'),
        prefix(ATTR.FRAMED_IPV6_PREFIX, '2001:db8:aaaa:bb00::', 56),
        str(ATTR.CALLING, '33612345678'),
        str(ATTR.CALLED, 'internet.apn'),
        str(ATTR.SESSION_ID, '0A1B2C3D'),
        str(ATTR.MULTI_SESSION, 'multi-77'),
        int(ATTR.IN_OCTETS, 1000),
        int(ATTR.OUT_OCTETS, 2000),
        int(ATTR.IN_GIGA, 3),
        int(ATTR.OUT_GIGA, 4),
        int(ATTR.SESSION_TIME, 86400),
        int(ATTR.TERMINATE, 5),
        int(ATTR.EVENT_TIMESTAMP, 1767225600),
        vsa(VENDOR_MICROSOFT, sub(1, 'not ours')),
        vsa(VENDOR_3GPP, sub(1, '001010123456789'), sub(20, '3534560123456701')),
      ),
      expect: expected({
        code: 4,
        identifier: 42,
        isRequest: true,
        acctStatusType: 3,
        userName: '001010123456789',
        nasIpAddress: '198.51.100.7',
        nasIpv6Address: '2001:db8::1:0:0:1',
        nasIdentifier: 'pgw-1.example',
        framedIpAddress: '10.20.30.40',
        framedIpv6Address: '2001:db8:aaaa::5',
        framedIpv6Prefix: '2001:db8:aaaa:bb00::/56',
        callingStationId: '33612345678',
        calledStationId: 'internet.apn',
        acctSessionId: '0A1B2C3D',
        acctMultiSessionId: 'multi-77',
        acctInputOctets: 1000,
        acctOutputOctets: 2000,
        acctInputGigawords: 3,
        acctOutputGigawords: 4,
        acctSessionTime: 86400,
        terminateCause: 5,
        vendor3gppImsi: '001010123456789',
        vendor3gppImeisv: '3534560123456701',
      }),
    },
    {
      what: '3GPP IMSI and IMEISV in separate Vendor-Specific attributes, other 3GPP sub-attributes skipped',
      bytes: packet(
        RadiusCode.AccessRequest,
        9,
        str(ATTR.USER_NAME, 'imsi-user'),
        vsa(VENDOR_3GPP, sub(2, 'charging-id'), sub(20, '3534560123456701')),
        vsa(VENDOR_3GPP, sub(1, '208150000000001')),
      ),
      expect: expected({ code: 1, identifier: 9, isRequest: true, userName: 'imsi-user', vendor3gppImsi: '208150000000001', vendor3gppImeisv: '3534560123456701' }),
    },
    {
      what: 'Framed-IP-Address 255.255.255.254 (NAS selects) is special, not an address',
      bytes: packet(RadiusCode.AccessAccept, 1, v4(ATTR.FRAMED_IP, '255.255.255.254')),
      expect: expected({ code: 2, identifier: 1, framedIpSpecial: '255.255.255.254' }),
    },
    {
      what: 'Framed-IP-Address 255.255.255.255 (user selects) is special, not an address',
      bytes: packet(RadiusCode.AccessRequest, 1, v4(ATTR.FRAMED_IP, '255.255.255.255')),
      expect: expected({ code: 1, identifier: 1, isRequest: true, framedIpSpecial: '255.255.255.255' }),
    },
    {
      what: 'IPv4-mapped Framed-IPv6-Address, /0 and /128 prefixes, host bits cleared, 16 prefix octets for a /33',
      bytes: packet(
        RadiusCode.AccessAccept,
        3,
        v6(ATTR.FRAMED_IPV6_ADDRESS, '::ffff:192.0.2.1'),
        prefix(ATTR.FRAMED_IPV6_PREFIX, '2001:db8:ffff:ffff::1', 33, 16),
      ),
      expect: expected({ code: 2, identifier: 3, framedIpv6Address: '::ffff:192.0.2.1', framedIpv6Prefix: '2001:db8:8000::/33' }),
    },
    { what: 'Framed-IPv6-Prefix ::/0 (no prefix octets)', bytes: packet(2, 4, prefix(ATTR.FRAMED_IPV6_PREFIX, '::', 0)), expect: expected({ code: 2, identifier: 4, framedIpv6Prefix: '::/0' }) },
    {
      what: 'Framed-IPv6-Prefix /128',
      bytes: packet(2, 5, prefix(ATTR.FRAMED_IPV6_PREFIX, '2001:db8::7', 128)),
      expect: expected({ code: 2, identifier: 5, framedIpv6Prefix: '2001:db8::7/128' }),
    },
    { what: 'Access-Challenge', bytes: packet(RadiusCode.AccessChallenge, 11, avp(ATTR.STATE, Buffer.from([1, 2, 3]))), expect: expected({ code: 11, identifier: 11 }) },
    { what: 'Status-Server', bytes: packet(RadiusCode.StatusServer, 12, avp(ATTR.MESSAGE_AUTHENTICATOR, Buffer.alloc(16))), expect: expected({ code: 12, identifier: 12, isRequest: true }) },
    { what: 'Status-Client', bytes: packet(RadiusCode.StatusClient, 13), expect: expected({ code: 13, identifier: 13 }) },
    {
      what: 'Disconnect-Request (RFC 5176)',
      bytes: packet(RadiusCode.DisconnectRequest, 40, str(ATTR.USER_NAME, 'carol'), str(ATTR.SESSION_ID, 's-1')),
      expect: expected({ code: 40, identifier: 40, isRequest: true, userName: 'carol', acctSessionId: 's-1' }),
    },
    { what: 'Disconnect-ACK', bytes: packet(RadiusCode.DisconnectAck, 41), expect: expected({ code: 41, identifier: 41 }) },
    { what: 'Disconnect-NAK', bytes: packet(RadiusCode.DisconnectNak, 42), expect: expected({ code: 42, identifier: 42 }) },
    {
      what: 'CoA-Request',
      bytes: packet(RadiusCode.CoaRequest, 43, v4(ATTR.FRAMED_IP, '100.64.0.9')),
      expect: expected({ code: 43, identifier: 43, isRequest: true, framedIpAddress: '100.64.0.9' }),
    },
    { what: 'CoA-ACK', bytes: packet(RadiusCode.CoaAck, 44), expect: expected({ code: 44, identifier: 44 }) },
    { what: 'CoA-NAK', bytes: packet(RadiusCode.CoaNak, 45), expect: expected({ code: 45, identifier: 45 }) },
    {
      what: 'text: invalid UTF-8 replaced, non-ASCII kept, cut at the first NUL',
      bytes: packet(
        RadiusCode.AccessRequest,
        1,
        avp(ATTR.USER_NAME, Buffer.from([0x6a, 0xc3, 0xa9, 0xff, 0x21])),
        avp(ATTR.CALLING, Buffer.from('00-11-22-33-44-55\0junk', 'latin1')),
        avp(ATTR.NAS_ID, Buffer.from([0])),
      ),
      expect: expected({ code: 1, identifier: 1, isRequest: true, userName: 'jé\ufffd!', callingStationId: '00-11-22-33-44-55' }),
    },
    {
      what: 'repeated attribute: the first occurrence counts',
      bytes: packet(RadiusCode.AccountingRequest, 2, int(ATTR.STATUS, 1), int(ATTR.STATUS, 2), str(ATTR.USER_NAME, 'first'), str(ATTR.USER_NAME, 'second'), v4(ATTR.FRAMED_IP, '255.255.255.254'), v4(ATTR.FRAMED_IP, '10.0.0.1')),
      expect: expected({ code: 4, identifier: 2, isRequest: true, acctStatusType: 1, userName: 'first', framedIpSpecial: '255.255.255.254' }),
    },
    {
      what: 'an empty string attribute is absent',
      bytes: packet(RadiusCode.AccessRequest, 3, avp(ATTR.USER_NAME, Buffer.alloc(0)), avp(ATTR.CALLED, Buffer.alloc(0))),
      expect: expected({ code: 1, identifier: 3, isRequest: true }),
    },
    {
      what: 'largest packet (4096 octets)',
      bytes: packet(RadiusCode.AccessRequest, 4, ...Array.from({ length: 15 }, () => avp(ATTR.EAP_MESSAGE, Buffer.alloc(253, 0x41))), avp(ATTR.EAP_MESSAGE, Buffer.alloc(4096 - 20 - 15 * 255 - 5 - 2, 0x41)), str(ATTR.USER_NAME, 'big')),
      expect: expected({ code: 1, identifier: 4, isRequest: true, userName: 'big' }),
    },
  ];
}

// ---------------------------------------------------------------------------
// 1. Round trips and validation rules

t.test('API constants', async (t) => {
  t.strictSame(RADIUS_AUTH_PORTS, [1812, 1645]);
  t.strictSame(RADIUS_ACCT_PORTS, [1813, 1646]);
  t.strictSame(RadiusCode, { AccessRequest: 1, AccessAccept: 2, AccessReject: 3, AccountingRequest: 4, AccountingResponse: 5, AccessChallenge: 11, StatusServer: 12, StatusClient: 13, DisconnectRequest: 40, DisconnectAck: 41, DisconnectNak: 42, CoaRequest: 43, CoaAck: 44, CoaNak: 45 });
  t.strictSame(AcctStatus, { Start: 1, Stop: 2, InterimUpdate: 3, AccountingOn: 7, AccountingOff: 8 });
  t.equal(gen.RadiusCode.ACCOUNTING_RESPONSE, RadiusCode.AccountingResponse, 'generator and parser agree on codes');
});

t.test('round trips: every field of every message', async (t) => {
  for (const c of [...generatedCases(), ...extraCases()]) {
    t.equal(c.bytes.readUInt16BE(2), c.bytes.length, `${c.what}: Length field matches the bytes`);
    t.strictSame(parse(c.bytes), c.expect, c.what);
    t.equal(radiusProblem(c.bytes, 0, c.bytes.length), null, `${c.what}: no problem reported`);
  }
});

t.test('position in the buffer and padding', async (t) => {
  const c = generatedCases()[5];
  const framed = cat(Buffer.from('garbage before'), c.bytes, Buffer.from('padding after the Length'));
  const off = 'garbage before'.length;
  t.strictSame(parseRadius(framed, off, framed.length - off), c.expect, 'octets after Length are padding');
  t.strictSame(parseRadius(framed, off, c.bytes.length), c.expect, 'payload exactly Length long');
  t.equal(parseRadius(framed, off, c.bytes.length - 1), null, 'payload one octet short of Length');
  t.strictSame(parseRadius(new Uint8Array(framed), off, c.bytes.length), c.expect, 'plain Uint8Array');
  t.equal(parseRadius(c.bytes, 0, c.bytes.length + 1), null, 'len beyond the buffer');
  t.equal(parseRadius(c.bytes, -1, 20), null, 'negative offset');
  t.equal(parseRadius(c.bytes, 0, -5), null, 'negative length');
  t.equal(parseRadius(c.bytes, 1.5, 20), null, 'fractional offset');
});

t.test('validation: one broken rule, one null', async (t) => {
  const ok = packet(RadiusCode.AccessRequest, 1, str(ATTR.USER_NAME, 'u'));
  const withLength = (b: Buffer, length: number): Buffer => {
    const c = Buffer.from(b);
    c.writeUInt16BE(length, 2);
    return c;
  };
  const rejects: Array<[string, Buffer, string]> = [
    ['empty payload', Buffer.alloc(0), 'shorter than the 20-octet header'],
    ['19 octets', ok.subarray(0, 19), 'shorter than the 20-octet header'],
    ['code 0', Buffer.concat([u8(0), ok.subarray(1)]), 'unknown code'],
    ['code 6', Buffer.concat([u8(6), ok.subarray(1)]), 'unknown code'],
    ['code 255', Buffer.concat([u8(255), ok.subarray(1)]), 'unknown code'],
    ['Length 19', withLength(ok, 19), 'Length field < 20, > 4096 or beyond the payload'],
    ['Length beyond the payload', withLength(ok, ok.length + 1), 'Length field < 20, > 4096 or beyond the payload'],
    ['Length 4097 with 4097 octets', withLength(cat(ok, Buffer.alloc(4097 - ok.length)), 4097), 'Length field < 20, > 4096 or beyond the payload'],
    ['attribute header cut (1 octet left)', withLength(cat(ok, u8(1)), ok.length + 1), 'attribute header cut by the end of the packet'],
    ['attribute Length 0', packet(1, 1, avp(ATTR.USER_NAME, Buffer.alloc(0), 0)), 'attribute Length < 2'],
    ['attribute Length 1', packet(1, 1, avp(ATTR.USER_NAME, Buffer.alloc(0), 1)), 'attribute Length < 2'],
    ['attribute past Length', packet(1, 1, avp(ATTR.USER_NAME, Buffer.from('abc'), 6)), 'attribute runs past the packet Length'],
    ['attribute Length one short leaves a lone octet', packet(1, 1, avp(ATTR.USER_NAME, Buffer.from('abcd'), 5)), 'attribute header cut by the end of the packet'],
    ['NAS-IP-Address of 3 octets', packet(1, 1, avp(ATTR.NAS_IP, Buffer.from([10, 0, 0]))), 'attribute does not have its fixed size'],
    ['Framed-IP-Address of 5 octets', packet(2, 1, avp(ATTR.FRAMED_IP, Buffer.from([10, 0, 0, 1, 0]))), 'attribute does not have its fixed size'],
    ['Acct-Status-Type of 2 octets', packet(4, 1, avp(ATTR.STATUS, u16(1))), 'attribute does not have its fixed size'],
    ['Acct-Input-Octets of 8 octets', packet(4, 1, avp(ATTR.IN_OCTETS, Buffer.alloc(8))), 'attribute does not have its fixed size'],
    ['Acct-Input-Gigawords of 0 octets', packet(4, 1, avp(ATTR.IN_GIGA, Buffer.alloc(0))), 'attribute does not have its fixed size'],
    ['NAS-Port (not extracted) of 2 octets', packet(1, 1, avp(ATTR.NAS_PORT, u16(1))), 'attribute does not have its fixed size'],
    ['Framed-IPv6-Address of 15 octets', packet(2, 1, avp(ATTR.FRAMED_IPV6_ADDRESS, Buffer.alloc(15))), 'attribute does not have its fixed size'],
    ['NAS-IPv6-Address of 4 octets', packet(1, 1, avp(ATTR.NAS_IPV6, Buffer.alloc(4))), 'attribute does not have its fixed size'],
    ['Message-Authenticator of 15 octets', packet(1, 1, avp(ATTR.MESSAGE_AUTHENTICATOR, Buffer.alloc(15))), 'attribute does not have its fixed size'],
    ['Framed-IPv6-Prefix of 1 octet', packet(2, 1, avp(ATTR.FRAMED_IPV6_PREFIX, Buffer.alloc(1))), 'IPv6 prefix attribute: size outside 4..20 or prefix length > 128'],
    ['Framed-IPv6-Prefix of 19 octets', packet(2, 1, avp(ATTR.FRAMED_IPV6_PREFIX, cat(u8(0), u8(64), Buffer.alloc(17)))), 'IPv6 prefix attribute: size outside 4..20 or prefix length > 128'],
    ['Framed-IPv6-Prefix /129', packet(2, 1, avp(ATTR.FRAMED_IPV6_PREFIX, cat(u8(0), u8(129), Buffer.alloc(16)))), 'IPv6 prefix attribute: size outside 4..20 or prefix length > 128'],
    ['Vendor-Specific of 6 octets', packet(1, 1, avp(26, u32(VENDOR_3GPP))), 'Vendor-Specific shorter than 7 octets'],
    ['Vendor-Specific vendor id 0x01000000', packet(1, 1, vsa(0x01000000, sub(1, 'x'))), 'Vendor-Specific vendor id with a non-zero high octet'],
    ['3GPP sub-attribute past the attribute', packet(1, 1, vsa(VENDOR_3GPP, cat(u8(1), u8(9), Buffer.from('123')))), '3GPP Vendor-Specific sub-attributes do not tile the attribute'],
    ['3GPP sub-attribute length 1', packet(1, 1, vsa(VENDOR_3GPP, cat(u8(1), u8(1), Buffer.from('123')))), '3GPP Vendor-Specific sub-attributes do not tile the attribute'],
    ['3GPP lone sub-attribute type octet', packet(1, 1, vsa(VENDOR_3GPP, sub(1, '001'), u8(20))), '3GPP Vendor-Specific sub-attributes do not tile the attribute'],
  ];
  for (const [what, bytes, reason] of rejects) {
    t.equal(parse(bytes), null, what);
    t.equal(radiusProblem(bytes, 0, bytes.length)?.reason, reason, `${what}: ${reason}`);
  }
  // The first broken attribute is named, at its offset, with its type and length octets.
  const bad = packet(4, 1, int(ATTR.STATUS, 1), avp(ATTR.SESSION_TIME, u16(5)));
  t.strictSame(radiusProblem(bad, 0, bad.length), { reason: 'attribute does not have its fixed size', at: 26, attrType: ATTR.SESSION_TIME, attrLength: 4 });
  // Other vendors' sub-attribute layouts are theirs (RFC 2865 5.26 only suggests one): not checked.
  const odd = packet(1, 1, vsa(VENDOR_MICROSOFT, cat(u8(1), u8(200), Buffer.from('xyz'))), str(ATTR.USER_NAME, 'dave'));
  t.equal(parse(odd)?.userName, 'dave', 'a non-3GPP vendor sub-attribute that overruns does not reject the packet');
});

// ---------------------------------------------------------------------------
// 2. Real captures, compared with tshark

interface TsharkFrame {
  number: number;
  sport: number;
  dport: number;
  payload: Buffer;
  /** tshark decoded a RADIUS PDU in this frame. */
  radius: boolean;
  /** tshark hit a malformed-packet condition somewhere in the frame. */
  malformed: boolean;
  expert: string[];
  values: Record<string, string[]>;
}

/**
 * What is compared: a name, our value, tshark's value (its first occurrence;
 * null = absent, undefined = tshark cannot tell for this frame).
 */
type Compared = [string, (m: RadiusMessage) => string | null, (v: Record<string, string[]>) => string | null | undefined];
const first = (field: string) => (v: Record<string, string[]>): string | null => v[field]?.[0] ?? null;
const COMPARED: Compared[] = [
  ['code', (m) => String(m.code), first('radius.code')],
  ['identifier', (m) => String(m.identifier), first('radius.id')],
  ['userName', (m) => m.userName, first('radius.User_Name')],
  // tshark shows the special values as the address they are written as.
  ['framedIpAddress ?? framedIpSpecial', (m) => m.framedIpAddress ?? m.framedIpSpecial, first('radius.Framed-IP-Address')],
  ['framedIpv6Address', (m) => m.framedIpv6Address, first('radius.Framed_IPv6_Address')],
  ['framedIpv6Prefix', (m) => m.framedIpv6Prefix, (v) => (v['radius.Framed_IPv6_Prefix'].length > 0 ? prefixFromTshark(v['radius.Framed_IPv6_Prefix'][0]) : null)],
  ['callingStationId', (m) => m.callingStationId, first('radius.Calling_Station_Id')],
  ['calledStationId', (m) => m.calledStationId, first('radius.Called_Station_Id')],
  ['nasIpAddress', (m) => m.nasIpAddress, first('radius.NAS_IP_Address')],
  ['nasIpv6Address', (m) => m.nasIpv6Address, first('radius.NAS_IPv6_Address')],
  ['nasIdentifier', (m) => m.nasIdentifier, first('radius.NAS_Identifier')],
  ['acctStatusType', (m) => num(m.acctStatusType), first('radius.Acct_Status_Type')],
  ['acctSessionId', (m) => m.acctSessionId, first('radius.Acct_Session_Id')],
  ['acctMultiSessionId', (m) => m.acctMultiSessionId, first('radius.Acct_Multi_Session_Id')],
  ['acctInputOctets', (m) => num(m.acctInputOctets), first('radius.Acct_Input_Octets')],
  ['acctOutputOctets', (m) => num(m.acctOutputOctets), first('radius.Acct_Output_Octets')],
  ['acctInputGigawords', (m) => num(m.acctInputGigawords), first('radius.Acct_Input_Gigawords')],
  ['acctOutputGigawords', (m) => num(m.acctOutputGigawords), first('radius.Acct_Output_Gigawords')],
  ['acctSessionTime', (m) => num(m.acctSessionTime), first('radius.Acct_Session_Time')],
  ['terminateCause', (m) => num(m.terminateCause), first('radius.Acct_Terminate_Cause')],
  // tshark hands 3GPP-IMSI to its E.212 dissector (field e212.imsi, not radius.3GPP_IMSI),
  // which EAP-AKA/SIM identities also fill: taken from there only when there is no EAP.
  ['vendor3gppImsi', (m) => m.vendor3gppImsi, (v) => (!v['radius.avp.vendor_id'].includes(String(VENDOR_3GPP)) ? null : v['eap.code'].length > 0 ? undefined : first('e212.imsi')(v))],
  ['vendor3gppImeisv', (m) => m.vendor3gppImeisv, first('radius.3GPP_IMEISV')],
];
const num = (v: number | null): string | null => (v === null ? null : String(v));
const TSHARK_VALUE_FIELDS = [
  'radius.code', 'radius.id', 'radius.User_Name', 'radius.Framed-IP-Address', 'radius.Framed_IPv6_Address', 'radius.Framed_IPv6_Prefix',
  'radius.Calling_Station_Id', 'radius.Called_Station_Id', 'radius.NAS_IP_Address', 'radius.NAS_IPv6_Address', 'radius.NAS_Identifier',
  'radius.Acct_Status_Type', 'radius.Acct_Session_Id', 'radius.Acct_Multi_Session_Id', 'radius.Acct_Input_Octets', 'radius.Acct_Output_Octets',
  'radius.Acct_Input_Gigawords', 'radius.Acct_Output_Gigawords', 'radius.Acct_Session_Time', 'radius.Acct_Terminate_Cause',
  'radius.avp.vendor_id', 'eap.code', 'e212.imsi', 'radius.3GPP_IMEISV',
];

/**
 * tshark's Framed-IPv6-Prefix is raw bytes (reserved, length, prefix octets):
 * made into text here independently of the parser, via the WHATWG URL
 * serializer (RFC 5952 except for IPv4-mapped forms, which do not occur here).
 */
function prefixFromTshark(hex: string): string {
  const b = Buffer.from(hex.replace(/:/g, ''), 'hex');
  const plen = b[1];
  const addr = Buffer.alloc(16);
  b.copy(addr, 0, 2, Math.min(b.length, 18));
  for (let bit = plen; bit < 128; bit++) addr[bit >> 3] &= ~(0x80 >> (bit & 7));
  const groups = Array.from({ length: 8 }, (_, i) => addr.readUInt16BE(2 * i).toString(16));
  return `${new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1)}/${plen}`;
}

const AGG = '\u001f';
const FRAME_FIELDS = ['frame.number', 'udp.srcport', 'udp.dstport', 'udp.payload', 'radius.code', '_ws.malformed', '_ws.expert.message', 'radius.avp.type', 'radius.avp.length'];

function tsharkFrames(file: string, extraArgs: readonly string[] = []): TsharkFrame[] {
  const names = [...FRAME_FIELDS, ...TSHARK_VALUE_FIELDS.filter((f) => !FRAME_FIELDS.includes(f))];
  const args = ['-n', '-r', file, '-Y', 'udp', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', `aggregator=${AGG}`, ...extraArgs];
  for (const n of names) args.push('-e', n);
  const r = spawnSync(TSHARK, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const cols = line.split('\t');
      const values: Record<string, string[]> = {};
      names.forEach((n, i) => (values[n] = (cols[i] ?? '') === '' ? [] : cols[i].split(AGG)));
      return {
        number: Number(values['frame.number'][0]),
        sport: Number(values['udp.srcport'][0]),
        dport: Number(values['udp.dstport'][0]),
        payload: Buffer.from(values['udp.payload'][0] ?? '', 'hex'),
        radius: values['radius.code'].length > 0,
        malformed: values['_ws.malformed'].length > 0,
        expert: values['_ws.expert.message'],
        values,
      };
    });
}

/** Top-level attributes of a well-formed packet as [type, length] pairs. */
function ourAttributes(b: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let p = 20; p < b.readUInt16BE(2); p += b[p + 1]) out.push([b[p], b[p + 1]]);
  return out;
}

function tsharkAttributes(f: TsharkFrame): Array<[number, number]> {
  const types = f.values['radius.avp.type'];
  const lengths = f.values['radius.avp.length'];
  return types.map((ty, i) => [Number(ty), Number(lengths[i])]);
}

/** Does a Vendor-Specific attribute at `p` hold RFC 2865-layout sub-attributes that run past its end? */
function vsaOverruns(b: Buffer, p: number): boolean {
  const end = p + b[p + 1];
  let q = p + 6;
  while (q < end) {
    if (q + 2 > end || b[q + 1] < 2) return true;
    q += b[q + 1];
  }
  return q !== end;
}

interface Tally {
  frames: number;
  radiusFrames: number;
  compared: number;
  fieldsEqual: number;
  fieldsCompared: number;
  bothReject: number;
  stricter: number;
  tsharkOverranVsa: number;
  malformedElsewhere: number;
  tsharkStoppedInEap: number;
  notComparable: number;
  portNotRadiusRejected: number;
  notes: string[];
}
const newTally = (): Tally => ({ frames: 0, radiusFrames: 0, compared: 0, fieldsEqual: 0, fieldsCompared: 0, bothReject: 0, stricter: 0, tsharkOverranVsa: 0, malformedElsewhere: 0, tsharkStoppedInEap: 0, notComparable: 0, portNotRadiusRejected: 0, notes: [] });

/** Rules tshark does not apply: rejecting on them while tshark decodes without complaint is expected. */
const STRICTER_THAN_TSHARK = new Set([
  'attribute does not have its fixed size',
  'IPv6 prefix attribute: size outside 4..20 or prefix length > 128',
  'Vendor-Specific shorter than 7 octets',
  'Vendor-Specific vendor id with a non-zero high octet',
  '3GPP Vendor-Specific sub-attributes do not tile the attribute',
]);

/** Attribute types parseRadius reads a field from. */
const EXTRACTED = new Set([1, 4, 8, 26, 30, 31, 32, 40, 42, 43, 44, 46, 49, 50, 52, 53, 95, 97, 168]);

const RADIUS_PORTS = new Set([...RADIUS_AUTH_PORTS, ...RADIUS_ACCT_PORTS]);

/**
 * One frame tshark decodes as RADIUS: our verdict must agree with tshark's,
 * or the difference must be one of the known, checked kinds.
 */
function checkRadiusFrame(t: tap.Test, file: string, f: TsharkFrame, tally: Tally): void {
  const where = `${file} frame ${f.number}`;
  const m = parse(f.payload);
  tally.radiusFrames++;
  if (m === null) {
    const problem = radiusProblem(f.payload, 0, f.payload.length);
    if (f.malformed) {
      tally.bothReject++;
      return;
    }
    // tshark decodes it without complaint: only a rule tshark does not apply may reject it,
    // and tshark must see the very attribute we object to.
    tally.stricter++;
    tally.notes.push(`${where}: rejected, tshark decodes it (${problem?.reason}: type ${problem?.attrType} length ${problem?.attrLength})`);
    t.ok(problem !== null && STRICTER_THAN_TSHARK.has(problem.reason), `${where}: rejected by a rule stricter than tshark (${problem?.reason})`);
    if (problem !== null && problem.attrType >= 0) {
      t.ok(
        tsharkAttributes(f).some(([ty, len]) => ty === problem.attrType && len === problem.attrLength),
        `${where}: tshark lists the offending attribute type ${problem.attrType} length ${problem.attrLength}`,
      );
    }
    return;
  }
  const ours = ourAttributes(f.payload);
  const theirs = tsharkAttributes(f);
  let comparable = JSON.stringify(ours) === JSON.stringify(theirs);
  if (!comparable) {
    let i = 0;
    while (i < ours.length && i < theirs.length && ours[i][0] === theirs[i][0] && ours[i][1] === theirs[i][1]) i++;
    let p = 20;
    for (let k = 0; k < i - 1; k++) p += ours[k][1];
    const rest = ours.slice(i);
    if (i === theirs.length && i > 0 && ours[i - 1][0] === 79 && f.values['_ws.malformed'].some((v) => /EAP/.test(v))) {
      // An exception in the EAP dissector (called from the EAP-Message attribute) ends
      // tshark's attribute walk: what it lists is a prefix of ours. Fields are
      // comparable when none of the attributes it missed is one we extract.
      tally.tsharkStoppedInEap++;
      comparable = rest.every(([ty]) => !EXTRACTED.has(ty));
      tally.notes.push(`${where}: parsed; tshark's walk stops at an EAP exception after attribute ${i - 1}, missing ${JSON.stringify(rest)}${comparable ? ' (none extracted: fields compared)' : ''}`);
      if (!comparable) return;
    } else {
      // tshark walks a Vendor-Specific's sub-attributes and, when they run past
      // the attribute, resumes the top-level walk where they end: from there its
      // attribute list is shifted. We follow the attribute's own Length (RFC 2865 5.26).
      const explained = i > 0 && ours[i - 1][0] === 26 && vsaOverruns(f.payload, p) && f.malformed;
      t.ok(explained, `${where}: attribute lists differ from index ${i} (ours ${JSON.stringify(ours.slice(i, i + 3))}, tshark ${JSON.stringify(theirs.slice(i, i + 3))})`);
      if (explained) {
        tally.tsharkOverranVsa++;
        tally.notes.push(`${where}: parsed; tshark ran past the Vendor-Specific at offset ${p} (its sub-attributes overrun it) and reports the packet malformed`);
      }
      return;
    }
  } else if (f.malformed) {
    // Same attributes, yet malformed: the problem lies outside the RADIUS framing (UDP length, EAP inside EAP-Message).
    tally.malformedElsewhere++;
    tally.notes.push(`${where}: parsed; tshark's attribute list is identical, its malformation is elsewhere (${f.expert.filter((e) => !/retransmission|stray/i.test(e)).join('; ')})`);
  }
  tally.compared++;
  for (const [field, ourValue, tsharkValue] of COMPARED) {
    const theirValue = tsharkValue(f.values);
    if (theirValue === undefined) {
      tally.notComparable++;
      continue;
    }
    tally.fieldsCompared++;
    if (ourValue(m) === theirValue) tally.fieldsEqual++;
    else t.equal(ourValue(m), theirValue, `${where}: ${field}`);
  }
}

function checkFile(t: tap.Test, path: string, name: string, tally: Tally): TsharkFrame[] {
  const frames = tsharkFrames(path);
  tally.frames += frames.length;
  for (const f of frames) {
    if (f.radius) checkRadiusFrame(t, name, f, tally);
    else if (RADIUS_PORTS.has(f.sport) || RADIUS_PORTS.has(f.dport)) {
      // On a RADIUS port, yet tshark's RADIUS dissector refused it: so must we.
      const m = parse(f.payload);
      t.equal(m, null, `${name} frame ${f.number}: port ${f.sport}->${f.dport}, not RADIUS for tshark: rejected`);
      if (m === null) tally.portNotRadiusRejected++;
    }
  }
  // Frames we accept that tshark did not try (not on a RADIUS port): ask tshark again with
  // those ports decoded as RADIUS, and compare them like the others.
  const unseen = frames.filter((f) => !f.radius && !RADIUS_PORTS.has(f.sport) && !RADIUS_PORTS.has(f.dport) && parse(f.payload) !== null);
  if (unseen.length > 0) {
    const ports = [...new Set(unseen.flatMap((f) => [f.sport, f.dport]))];
    const again = new Map(tsharkFrames(path, ports.flatMap((p) => ['-d', `udp.port==${p},radius`])).map((f) => [f.number, f]));
    for (const f of unseen) {
      const g = again.get(f.number);
      t.ok(g?.radius, `${name} frame ${f.number} (ports ${f.sport}->${f.dport}) accepted: tshark decodes it as RADIUS when asked`);
      if (g?.radius) {
        tally.notes.push(`${name} frame ${f.number}: ports ${f.sport}->${f.dport}, compared with tshark told to decode them as RADIUS`);
        checkRadiusFrame(t, name, g, tally);
      }
    }
  }
  return frames;
}

function summary(tally: Tally): string {
  return (
    `${tally.frames} UDP frames, ${tally.radiusFrames} RADIUS for tshark: ${tally.compared} compared field by field ` +
    `(${tally.fieldsEqual}/${tally.fieldsCompared} fields equal, ${tally.notComparable} not comparable), ${tally.bothReject} malformed for tshark and rejected by us, ` +
    `${tally.stricter} rejected by a stricter rule, ${tally.tsharkOverranVsa} where tshark overruns a broken Vendor-Specific, ` +
    `${tally.tsharkStoppedInEap} where tshark stops at an EAP exception, ${tally.malformedElsewhere} with identical attributes but malformed elsewhere; ${tally.portNotRadiusRejected} non-RADIUS payloads on RADIUS ports rejected`
  );
}

const haveShared = existsSync(sharedDir());

t.test('generated messages: tshark reads the same fields', { skip: tsharkAvailable() ? false : `tshark not found at ${TSHARK}` }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'microcloud-radius-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cases = [...generatedCases(), ...extraCases()];
  const start = nsFromIso('2026-01-01T00:00:00Z');
  const frame = (c: Case, i: number): Buffer => {
    const toServer = parse(c.bytes)?.isRequest ?? true;
    const port = c.expect.code === 4 || c.expect.code === 5 ? 1813 : 1812;
    const l4 = udp(toServer ? { sport: 40000 + i, dport: port } : { sport: port, dport: 40000 + i }, c.bytes);
    // Every other message over IPv6, so both address families carry RADIUS.
    const ip = i % 2 === 0 ? ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.UDP }, l4) : ipv6({ src: '2001:db8::1', dst: '2001:db8::2', proto: IpProto.UDP }, l4);
    return ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip);
  };
  const file = join(dir, 'radius.pcap');
  writeCaptureFile(file, writePcap(cases.map((c, i) => ({ timeNs: start + BigInt(i) * 1_000_000n, data: frame(c, i) })), { linkType: LinkType.ETHERNET }));
  const tally = newTally();
  checkFile(t, file, 'generated', tally);
  t.comment(summary(tally));
  t.equal(tally.radiusFrames, cases.length, 'tshark decodes every generated message as RADIUS');
  t.equal(tally.compared, cases.length, 'every generated message compared');
  t.equal(tally.fieldsEqual, tally.fieldsCompared, 'every field equal');
});

t.test('real captures agree with tshark', { skip: !haveShared ? `shared data not found at ${sharedDir()} (set MICROCLOUD_SHARED)` : !tsharkAvailable() ? `tshark not found at ${TSHARK}` : false }, async (t) => {
  const captures: Array<{ name: string; path: string }> = [];
  for (const n of ['radius__radius.pcap', 'radius__radius_localhost.pcap']) captures.push({ name: `zeek/${n}`, path: join(zeekDir(), n) });
  // nDPI: captures named after RADIUS and those whose result file shows Radius flows.
  if (existsSync(ndpiPcapDir())) {
    const names = new Set(readdirSync(ndpiPcapDir()).filter((n) => /radius/i.test(n)));
    if (existsSync(ndpiResultDir())) {
      for (const r of readdirSync(ndpiResultDir()).filter((n) => n.endsWith('.out'))) {
        if (/\/Radius\]/.test(readFileSync(join(ndpiResultDir(), r), 'utf8'))) names.add(r.slice(0, -'.out'.length));
      }
    }
    for (const n of [...names].sort()) if (existsSync(join(ndpiPcapDir(), n))) captures.push({ name: `ndpi/${n}`, path: join(ndpiPcapDir(), n) });
  }
  const total = newTally();
  for (const c of captures) {
    if (!existsSync(c.path)) {
      t.comment(`${c.name}: missing, skipped`);
      continue;
    }
    const tally = newTally();
    checkFile(t, c.path, c.name, tally);
    t.comment(`${c.name}: ${summary(tally)}`);
    for (const n of tally.notes) t.comment(`  ${n}`);
    for (const k of Object.keys(total) as Array<keyof Tally>) {
      if (k === 'notes') continue;
      total[k] += tally[k];
    }
  }
  t.comment(`all captures: ${summary(total)}`);
  t.ok(total.compared > 0, 'some RADIUS frames compared');
  t.equal(total.fieldsEqual, total.fieldsCompared, 'every compared field equal');
});

t.test("Zeek's radius.pcap against its radius.log baseline", { skip: !existsSync(join(zeekDir(), 'radius__radius.pcap')) ? 'Zeek captures not found' : !tsharkAvailable() ? 'tshark not found' : false }, async (t) => {
  const log = readFileSync(join(zeekDir(), 'baseline', 'scripts.base.protocols.radius.auth', 'radius.log'), 'utf8');
  const header = log.split('\n').find((l) => l.startsWith('#fields'))?.split('\t').slice(1) ?? [];
  const rows = log
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .map((l) => Object.fromEntries(l.split('\t').map((v, i) => [header[i], v])));
  t.equal(rows.length, 1, 'one RADIUS exchange in the baseline');
  const zeek = rows[0];
  t.equal(zeek.username, 'John.McGuirk');
  t.equal(zeek.framed_addr, '255.255.255.254');
  t.equal(zeek.result, 'success');
  const messages = tsharkFrames(join(zeekDir(), 'radius__radius.pcap')).map((f) => parse(f.payload));
  t.equal(messages.length, 4);
  t.ok(messages.every((m) => m !== null), 'every frame parses');
  const accept = messages.find((m) => m?.code === RadiusCode.AccessAccept);
  t.equal(accept?.userName, zeek.username, 'Access-Accept user name');
  t.equal(accept?.framedIpSpecial, zeek.framed_addr, 'Framed-IP-Address 255.255.255.254 kept as the special value');
  t.equal(accept?.framedIpAddress, null, '... and not as an address');
  const request = messages.find((m) => m?.code === RadiusCode.AccessRequest && m.identifier === accept?.identifier);
  t.equal(request?.userName, zeek.username, 'Access-Request user name');
  t.equal(request?.callingStationId?.toLowerCase().replace(/-/g, ':'), zeek.mac, 'Calling-Station-Id is the MAC Zeek reports');
  t.equal(request?.isRequest, true);
  t.equal(accept?.isRequest, false);
});

const FALSE_POSITIVE = join(ndpiPcapDir(), 'radius_false_positive.pcapng');
t.test("nDPI's radius_false_positive capture", { skip: !existsSync(FALSE_POSITIVE) ? `${FALSE_POSITIVE} not found` : !tsharkAvailable() ? 'tshark not found' : false }, async (t) => {
  const path = FALSE_POSITIVE;
  const frames = tsharkFrames(path);
  t.ok(frames.length > 0, `${frames.length} UDP frames`);
  const onRadiusPorts = frames.filter((f) => RADIUS_PORTS.has(f.sport) || RADIUS_PORTS.has(f.dport));
  t.comment(`${onRadiusPorts.length} of them on a RADIUS port; ${frames.filter((f) => f.radius).length} decoded as RADIUS by tshark`);
  // Whatever the port: none of these payloads is RADIUS, none may parse.
  for (const f of frames) t.equal(parse(f.payload), null, `frame ${f.number} (${f.sport}->${f.dport}, ${f.payload.length} octets): ${radiusProblem(f.payload, 0, f.payload.length)?.reason}`);
});

// ---------------------------------------------------------------------------
// 3. Fuzz

t.test('fuzz: truncations and mutations never throw', async (t) => {
  const cases = [...generatedCases(), ...extraCases()];
  let truncations = 0;
  const failures: string[] = [];
  for (const c of cases) {
    for (let k = 0; k <= c.bytes.length; k++) {
      truncations++;
      try {
        const m = parse(c.bytes.subarray(0, k));
        if (k < c.bytes.length && m !== null) failures.push(`${c.what}: a truncation to ${k} octets was accepted`);
        if (k === c.bytes.length && JSON.stringify(m) !== JSON.stringify(c.expect)) failures.push(`${c.what}: whole message differs`);
        // The same bytes cut from the front, read at an offset inside the original buffer.
        parseRadius(c.bytes, k, c.bytes.length - k);
      } catch (e) {
        failures.push(`${c.what}, ${k} octets: threw ${String(e)}`);
      }
    }
  }
  t.strictSame(failures, [], 'no truncation throws or is accepted');
  t.comment(`${truncations} truncations`);

  const rng = new SeededRandom(0x5eed2865);
  const MUTATIONS = 20_000;
  let accepted = 0;
  let thrown = 0;
  let inconsistent = 0;
  for (let i = 0; i < MUTATIONS; i++) {
    const base = rng.pick(cases).bytes;
    const b = Buffer.from(base);
    const edits = rng.int(1, 4);
    for (let e = 0; e < edits; e++) {
      const at = rng.int(0, b.length - 1);
      // Bias towards the octets that steer the walk: code, Length, attribute lengths.
      b[at] = rng.next() < 0.3 ? rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 16, 18, 20, 0x7f, 0x80, 0xfe, 0xff]) : rng.int(0, 255);
    }
    const len = rng.next() < 0.2 ? rng.int(0, b.length) : b.length;
    try {
      const m = parseRadius(b, 0, len);
      const p = radiusProblem(b, 0, len);
      if ((m === null) === (p === null)) inconsistent++;
      if (m !== null) {
        accepted++;
        if (b.readUInt16BE(2) > len || b.readUInt16BE(2) < 20) inconsistent++;
      }
    } catch {
      thrown++;
    }
  }
  // Random payloads too: almost all must be refused.
  let randomAccepted = 0;
  for (let i = 0; i < 2000; i++) {
    const b = rng.bytes(rng.int(0, 300));
    try {
      if (parse(b) !== null) randomAccepted++;
    } catch {
      thrown++;
    }
  }
  t.comment(`${MUTATIONS} mutations: ${accepted} still well-formed; 2000 random payloads: ${randomAccepted} accepted`);
  t.equal(thrown, 0, 'nothing throws');
  t.equal(inconsistent, 0, 'parseRadius and radiusProblem agree, and nothing accepted has a bad Length');
  t.ok(randomAccepted <= 2, 'random bytes are (almost) never RADIUS');
});
