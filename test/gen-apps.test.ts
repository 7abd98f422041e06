/**
 * Application payload builders (DNS, HTTP, TLS, RADIUS, GTPv1-C, GTPv2-C)
 * decoded by tshark: one capture holds one packet per message, each with the
 * field values tshark must read back. Layouts that tshark does not validate
 * (RADIUS authenticators) are recomputed here independently.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ethernet } from './gen/link';
import { IpProto, ipv4 } from './gen/ip';
import { tcp, udp } from './gen/transport';
import { UdpPort } from './gen/tunnels';
import { LinkType, nsFromIso, writeCaptureFile, writePcap } from './gen/pcap-writer';
import * as app from './gen/app';
import { scan, tshark, tsharkAvailable, TSHARK } from './gen/tshark';

const CLIENT = '10.0.0.1';
const SERVER = '10.0.0.2';
const SECRET = 's3cret';

interface Sample {
  what: string;
  frame: Buffer;
  /** tshark field -> all its values in this frame. */
  expect: Record<string, string[]>;
}

const frameOf = (l4proto: number, l4: Buffer, fromClient = true) =>
  ethernet(
    { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' },
    ipv4({ src: fromClient ? CLIENT : SERVER, dst: fromClient ? SERVER : CLIENT, proto: l4proto }, l4),
  );
const overUdp = (sport: number, dport: number, payload: Buffer, fromClient = true) => frameOf(IpProto.UDP, udp({ sport, dport }, payload), fromClient);
// A lone data segment: tshark dissects HTTP/TLS in it without seeing the handshake.
const overTcp = (sport: number, dport: number, payload: Buffer, fromClient = true) =>
  frameOf(IpProto.TCP, tcp({ sport, dport, flags: 'PA', seq: 1, ack: 1 }, payload), fromClient);

function dnsSamples(): Sample[] {
  return [
    {
      what: 'DNS query',
      frame: overUdp(40000, UdpPort.DNS, app.dnsQuery({ id: 0x0101, name: 'www.example.com' })),
      expect: { 'dns.qry.name': ['www.example.com'], 'dns.flags.response': ['0'], 'dns.id': ['0x0101'] },
    },
    {
      what: 'DNS answer with A and AAAA',
      frame: overUdp(UdpPort.DNS, 40000, app.dnsResponse({ id: 0x0101, name: 'www.example.com', answers: ['192.0.2.1', '2001:db8::1'] }), false),
      expect: { 'dns.flags.response': ['1'], 'dns.flags.rcode': ['0'], 'dns.a': ['192.0.2.1'], 'dns.aaaa': ['2001:db8::1'], 'dns.count.answers': ['2'] },
    },
    {
      what: 'DNS NXDOMAIN',
      frame: overUdp(UdpPort.DNS, 40001, app.dnsResponse({ id: 0x0202, name: 'nope.example.invalid', rcode: app.DnsRcode.NXDOMAIN }), false),
      expect: { 'dns.qry.name': ['nope.example.invalid'], 'dns.flags.rcode': ['3'], 'dns.count.answers': ['0'] },
    },
  ];
}

function webSamples(): Sample[] {
  return [
    {
      what: 'HTTP request',
      frame: overTcp(40010, 80, app.httpRequest({ host: 'www.example.com', target: '/news?id=7', userAgent: 'gen-test/1' })),
      expect: { 'http.host': ['www.example.com'], 'http.request.uri': ['/news?id=7'], 'http.request.method': ['GET'], 'http.user_agent': ['gen-test/1'] },
    },
    {
      what: 'HTTP response',
      frame: overTcp(80, 40010, app.httpResponse({ status: 404, body: 'missing' }), false),
      expect: { 'http.response.code': ['404'], 'http.content_length': ['7'] },
    },
    {
      what: 'TLS 1.3 ClientHello',
      frame: overTcp(40020, 443, app.tlsClientHello({ serverName: 'api.example.net', alpn: ['h2', 'http/1.1'] })),
      expect: {
        'tls.handshake.type': ['1'],
        'tls.handshake.extensions_server_name': ['api.example.net'],
        'tls.handshake.extensions_alpn_str': ['h2', 'http/1.1'],
        'tls.handshake.extensions.supported_version': ['0x0304', '0x0303'],
      },
    },
    {
      what: 'TLS 1.2 ClientHello',
      frame: overTcp(40021, 443, app.tlsClientHello({ version: '1.2', serverName: 'legacy.example.org' })),
      expect: { 'tls.handshake.type': ['1'], 'tls.handshake.extensions_server_name': ['legacy.example.org'], 'tls.handshake.version': ['0x0303'] },
    },
    {
      what: 'TLS 1.3 ServerHello',
      frame: overTcp(443, 40020, app.tlsServerHello({ alpn: 'h2' }), false),
      expect: { 'tls.handshake.type': ['2'], 'tls.handshake.extensions.supported_version': ['0x0304'], 'tls.handshake.ciphersuite': ['0x1301'] },
    },
  ];
}

const ACCESS_AUTHENTICATOR = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

function radiusSamples(): Sample[] {
  const request = app.radiusAccessRequest({ id: 1, secret: SECRET, authenticator: ACCESS_AUTHENTICATOR, userName: 'alice@isp.test', password: 'correct horse battery', nasIp: '10.255.0.1', callingStationId: '02-00-00-00-01-11' });
  const accept = app.radiusAccessAccept({ id: 1, secret: SECRET, requestAuthenticator: ACCESS_AUTHENTICATOR, framedIp: '100.64.1.11' });
  const session = { secret: SECRET, nasIp: '10.255.0.1', userName: 'alice@isp.test', sessionId: 'acct-0001', framedIp: '100.64.1.11', callingStationId: '02-00-00-00-01-11' };
  const start = app.radiusAccountingRequest({ ...session, id: 2, statusType: app.AcctStatusType.START });
  const acct = (id: number, statusType: number, user = true) => app.radiusAccountingRequest(user ? { ...session, id, statusType, sessionTime: 60 } : { id, secret: SECRET, nasIp: '10.255.0.1', statusType });
  const userFields = { 'radius.User_Name': ['alice@isp.test'], 'radius.Framed-IP-Address': ['100.64.1.11'], 'radius.Acct_Session_Id': ['acct-0001'], 'radius.Calling_Station_Id': ['02-00-00-00-01-11'] };
  return [
    {
      what: 'RADIUS Access-Request',
      frame: overUdp(40030, UdpPort.RADIUS_AUTH, request),
      expect: { 'radius.code': ['1'], 'radius.length': [String(request.length)], 'radius.User_Name': ['alice@isp.test'], 'radius.NAS_IP_Address': ['10.255.0.1'], 'radius.Calling_Station_Id': ['02-00-00-00-01-11'] },
    },
    { what: 'RADIUS Access-Accept', frame: overUdp(UdpPort.RADIUS_AUTH, 40030, accept, false), expect: { 'radius.code': ['2'], 'radius.Framed-IP-Address': ['100.64.1.11'] } },
    { what: 'RADIUS Accounting Start', frame: overUdp(40031, UdpPort.RADIUS_ACCT, start), expect: { 'radius.code': ['4'], 'radius.Acct_Status_Type': ['1'], ...userFields } },
    { what: 'RADIUS Accounting Interim-Update', frame: overUdp(40032, UdpPort.RADIUS_ACCT, acct(3, app.AcctStatusType.INTERIM_UPDATE)), expect: { 'radius.Acct_Status_Type': ['3'], 'radius.Acct_Session_Time': ['60'], ...userFields } },
    { what: 'RADIUS Accounting Stop', frame: overUdp(40033, UdpPort.RADIUS_ACCT, acct(4, app.AcctStatusType.STOP)), expect: { 'radius.Acct_Status_Type': ['2'], 'radius.Acct_Terminate_Cause': ['1'], ...userFields } },
    { what: 'RADIUS Accounting-On', frame: overUdp(40034, UdpPort.RADIUS_ACCT, acct(5, app.AcctStatusType.ACCOUNTING_ON, false)), expect: { 'radius.Acct_Status_Type': ['7'], 'radius.User_Name': [], 'radius.NAS_IP_Address': ['10.255.0.1'] } },
    { what: 'RADIUS Accounting-Off', frame: overUdp(40035, UdpPort.RADIUS_ACCT, acct(6, app.AcctStatusType.ACCOUNTING_OFF, false)), expect: { 'radius.Acct_Status_Type': ['8'] } },
    { what: 'RADIUS Accounting-Response', frame: overUdp(UdpPort.RADIUS_ACCT, 40031, app.radiusAccountingResponse({ secret: SECRET, request: start }), false), expect: { 'radius.code': ['5'], 'radius.id': ['2'] } },
  ];
}

const CGI = { mcc: '001', mnc: '01', lac: 0x1001, ci: 0x2001 };
const SGSN: app.SgsnPdpSide = {
  imsi: '001010123456789', msisdn: '33612345678', imeisv: '3520990017614823', apn: 'internet.mnc001.mcc001.gprs', rat: app.Gtpv1RatType.UTRAN,
  cgi: CGI, nsapi: 5, sgsnControlAddress: '10.20.0.1', sgsnUserAddress: '10.20.0.11', sgsnTeidControl: 0x11111111, sgsnTeidData: 0x22222222,
};
const GGSN: app.GgsnPdpSide = { ueAddress: '10.100.0.7', ggsnControlAddress: '10.20.0.2', ggsnUserAddress: '10.20.0.12', ggsnTeidControl: 0x33333333, ggsnTeidData: 0x44444444, chargingId: 0x55 };

function gtpv1Samples(): Sample[] {
  const gtpc = (payload: Buffer, fromClient = true) => overUdp(UdpPort.GTPC, UdpPort.GTPC, payload, fromClient);
  return [
    {
      what: 'GTPv1 Create PDP Context Request',
      frame: gtpc(app.gtpv1CreatePdpRequest(SGSN, 1)),
      expect: {
        'gtp.message': ['0x10'], 'gtp.teid': ['0x00000000'], 'e212.imsi': ['001010123456789'], 'e164.msisdn': ['33612345678'], 'gtp.ext_imeisv': ['3520990017614823'],
        'gtp.apn': ['internet.mnc001.mcc001.gprs'], 'gtp.ext_rat_type': ['1'], 'gtp.cgi_ci': [String(CGI.ci)], 'gtp.teid_data': ['0x22222222'], 'gtp.teid_cp': ['0x11111111'],
        'gtp.gsn_ipv4': ['10.20.0.1', '10.20.0.11'], 'gtp.nsapi': ['5'],
      },
    },
    {
      what: 'GTPv1 Create PDP Context Response',
      frame: gtpc(app.gtpv1CreatePdpResponse(SGSN, GGSN, 1), false),
      expect: { 'gtp.message': ['0x11'], 'gtp.teid': ['0x11111111'], 'gtp.cause': ['128'], 'gtp.user_ipv4': ['10.100.0.7'], 'gtp.teid_data': ['0x44444444'], 'gtp.teid_cp': ['0x33333333'], 'gtp.gsn_ipv4': ['10.20.0.2', '10.20.0.12'] },
    },
    {
      what: 'GTPv1 Update PDP Context Request',
      frame: gtpc(app.gtpv1UpdatePdpRequest(SGSN, GGSN, 2)),
      expect: { 'gtp.message': ['0x12'], 'gtp.teid': ['0x33333333'], 'e212.imsi': ['001010123456789'], 'gtp.teid_data': ['0x22222222'], 'gtp.cgi_ci': [String(CGI.ci)] },
    },
    { what: 'GTPv1 Update PDP Context Response', frame: gtpc(app.gtpv1UpdatePdpResponse(SGSN, GGSN, 2), false), expect: { 'gtp.message': ['0x13'], 'gtp.cause': ['128'], 'gtp.teid_data': ['0x44444444'] } },
    { what: 'GTPv1 Delete PDP Context Request', frame: gtpc(app.gtpv1DeletePdpRequest(SGSN, GGSN, 3)), expect: { 'gtp.message': ['0x14'], 'gtp.teid': ['0x33333333'], 'gtp.nsapi': ['5'], 'gtp.tear_ind': ['1'] } },
    { what: 'GTPv1 Delete PDP Context Response', frame: gtpc(app.gtpv1DeletePdpResponse(SGSN, 3), false), expect: { 'gtp.message': ['0x15'], 'gtp.teid': ['0x11111111'], 'gtp.cause': ['128'] } },
  ];
}

function gtpv2Samples(): Sample[] {
  const gtpc = (payload: Buffer, fromClient = true) => overUdp(UdpPort.GTPC, UdpPort.GTPC, payload, fromClient);
  const I = app.FteidInterface;
  const location = { mcc: '001', mnc: '01', tac: 0x0101, eci: 0x0001a2b };
  const mme = { interfaceType: I.S11_MME_GTPC, teid: 0x0000aaaa, ipv4: '10.40.0.1' };
  const sgwC = { interfaceType: I.S11S4_SGW_GTPC, teid: 0x0000bbbb, ipv4: '10.40.0.2' };
  const pgwC = { interfaceType: I.S5S8_PGW_GTPC, teid: 0x0000cccc, ipv4: '10.40.0.3' };
  const enbU = { interfaceType: I.S1U_ENODEB_GTPU, teid: 0x0000dddd, ipv4: '10.40.1.1' };
  const sgwU = { interfaceType: I.S1U_SGW_GTPU, teid: 0x0000eeee, ipv4: '10.40.0.2' };
  const pgwU = { interfaceType: I.S5S8_PGW_GTPU, teid: 0x0000ffff, ipv4: '10.40.0.3', instance: 2 };
  return [
    {
      what: 'GTPv2 Create Session Request',
      frame: gtpc(app.gtpv2CreateSessionRequest({ sequence: 1, imsi: '001010123456789', msisdn: '33612345678', mei: '3520990017614823', apn: 'internet', rat: app.Gtpv2RatType.EUTRAN, location, senderControl: mme, pgwControl: { ...pgwC, teid: 0 }, bearer: { ebi: 5 } })),
      expect: {
        'gtpv2.message_type': ['32'], 'e212.imsi': ['001010123456789'], 'e164.msisdn': ['33612345678'], 'gtpv2.mei': ['3520990017614823'], 'gtpv2.apn': ['internet'],
        'gtpv2.rat_type': ['6'], 'gtpv2.ecgi_eci': [String(location.eci)], 'gtpv2.f_teid_interface_type': ['10', '7'], 'gtpv2.f_teid_gre_key': ['0x0000aaaa', '0x00000000'],
        'gtpv2.f_teid_ipv4': ['10.40.0.1', '10.40.0.3'], 'gtpv2.ebi': ['5'], 'gtpv2.pdn_addr_and_prefix.ipv4': ['0.0.0.0'],
      },
    },
    {
      what: 'GTPv2 Create Session Response',
      frame: gtpc(app.gtpv2CreateSessionResponse({ sequence: 1, teid: mme.teid, senderControl: sgwC, pgwControl: pgwC, paa: { ipv4: '10.100.0.9' }, bearer: { ebi: 5, fteids: [sgwU, pgwU] } }), false),
      expect: {
        'gtpv2.message_type': ['33'], 'gtpv2.teid': ['0x0000aaaa'], 'gtpv2.cause': ['16', '16'], 'gtpv2.pdn_addr_and_prefix.ipv4': ['10.100.0.9'],
        'gtpv2.f_teid_interface_type': ['11', '7', '1', '5'], 'gtpv2.f_teid_gre_key': ['0x0000bbbb', '0x0000cccc', '0x0000eeee', '0x0000ffff'],
      },
    },
    {
      what: 'GTPv2 Modify Bearer Request',
      frame: gtpc(app.gtpv2ModifyBearerRequest({ sequence: 2, teid: sgwC.teid, location, rat: app.Gtpv2RatType.EUTRAN, bearer: { ebi: 5, fteids: [enbU] } })),
      expect: { 'gtpv2.message_type': ['34'], 'gtpv2.teid': ['0x0000bbbb'], 'gtpv2.ebi': ['5'], 'gtpv2.f_teid_interface_type': ['0'], 'gtpv2.f_teid_gre_key': ['0x0000dddd'], 'gtpv2.f_teid_ipv4': ['10.40.1.1'] },
    },
    { what: 'GTPv2 Modify Bearer Response', frame: gtpc(app.gtpv2ModifyBearerResponse({ sequence: 2, teid: mme.teid, bearer: { ebi: 5, fteids: [sgwU] } }), false), expect: { 'gtpv2.message_type': ['35'], 'gtpv2.cause': ['16', '16'], 'gtpv2.f_teid_interface_type': ['1'] } },
    { what: 'GTPv2 Create Bearer Request', frame: gtpc(app.gtpv2CreateBearerRequest({ sequence: 3, teid: mme.teid, linkedEbi: 5, fteids: [{ ...sgwU, teid: 0x1234 }], chargingId: 9 }), false), expect: { 'gtpv2.message_type': ['95'], 'gtpv2.ebi': ['5', '0'], 'gtpv2.f_teid_gre_key': ['0x00001234'] } },
    { what: 'GTPv2 Create Bearer Response', frame: gtpc(app.gtpv2CreateBearerResponse({ sequence: 3, teid: sgwC.teid, ebi: 6, fteids: [{ ...enbU, teid: 0x5678 }, { ...sgwU, teid: 0x1234, instance: 1 }] })), expect: { 'gtpv2.message_type': ['96'], 'gtpv2.ebi': ['6'], 'gtpv2.f_teid_interface_type': ['0', '1'] } },
    { what: 'GTPv2 Delete Bearer Request', frame: gtpc(app.gtpv2DeleteBearerRequest({ sequence: 4, teid: mme.teid, ebis: [6] }), false), expect: { 'gtpv2.message_type': ['99'], 'gtpv2.ebi': ['6'] } },
    { what: 'GTPv2 Delete Bearer Response', frame: gtpc(app.gtpv2DeleteBearerResponse({ sequence: 4, teid: sgwC.teid, ebis: [6] })), expect: { 'gtpv2.message_type': ['100'], 'gtpv2.cause': ['16', '16'], 'gtpv2.ebi': ['6'] } },
    { what: 'GTPv2 Delete Session Request', frame: gtpc(app.gtpv2DeleteSessionRequest({ sequence: 5, teid: sgwC.teid, linkedEbi: 5, location })), expect: { 'gtpv2.message_type': ['36'], 'gtpv2.ebi': ['5'], 'gtpv2.ecgi_eci': [String(location.eci)] } },
    { what: 'GTPv2 Delete Session Response', frame: gtpc(app.gtpv2DeleteSessionResponse({ sequence: 5, teid: mme.teid }), false), expect: { 'gtpv2.message_type': ['37'], 'gtpv2.cause': ['16'] } },
  ];
}

t.test('RADIUS authenticators and hidden password follow RFC 2865/2866', async (t) => {
  const md5 = (...parts: Buffer[]) => createHash('md5').update(Buffer.concat(parts)).digest();
  const acct = app.radiusAccountingRequest({ id: 9, secret: SECRET, statusType: app.AcctStatusType.START, nasIp: '10.0.0.1', userName: 'u' });
  t.equal(acct.readUInt16BE(2), acct.length, 'Length field');
  const zeroed = Buffer.from(acct);
  zeroed.fill(0, 4, 20);
  t.same(acct.subarray(4, 20), md5(zeroed, Buffer.from(SECRET)), 'Accounting-Request authenticator');
  const accept = app.radiusAccessAccept({ id: 1, secret: SECRET, requestAuthenticator: ACCESS_AUTHENTICATOR, framedIp: '100.64.1.11' });
  t.same(accept.subarray(4, 20), md5(accept.subarray(0, 4), ACCESS_AUTHENTICATOR, accept.subarray(20), Buffer.from(SECRET)), 'Access-Accept response authenticator');
  const reply = app.radiusAccountingResponse({ secret: SECRET, request: acct });
  t.same(reply.subarray(4, 20), md5(reply.subarray(0, 4), acct.subarray(4, 20), Buffer.from(SECRET)), 'Accounting-Response authenticator');
});

if (!tsharkAvailable()) {
  t.fail(`tshark not found at ${TSHARK}: run \`make deps\` (it installs tshark)`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'microcloud-gen-apps-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const samples = [...dnsSamples(), ...webSamples(), ...radiusSamples(), ...gtpv1Samples(), ...gtpv2Samples()];
  const file = join(dir, 'apps.pcap');
  const start = nsFromIso('2026-01-01T00:00:00Z');
  const SPACING_NS = 1_000_000n; // 1 ms apart
  writeCaptureFile(file, writePcap(samples.map((s, i) => ({ timeNs: start + BigInt(i) * SPACING_NS, data: s.frame })), { linkType: LinkType.ETHERNET }));
  const allFields = [...new Set(samples.flatMap((s) => Object.keys(s.expect)))];
  // With the shared secret tshark decrypts User-Password: proof of correct hiding.
  const { frames, stderr } = scan(file, [...allFields, 'radius.User_Password'], ['-o', `radius.shared_secret:${SECRET}`]);

  t.test('tshark reads every sample', async (t) => {
    t.equal(stderr, '');
    t.equal(frames.length, samples.length);
  });
  samples.forEach((s, i) => {
    t.test(s.what, async (t) => {
      const f = frames[i];
      t.same(f.problems, [], 'no expert errors or warnings');
      for (const [field, expected] of Object.entries(s.expect)) t.same(f.values[field], expected, field);
    });
  });
  t.test('RADIUS User-Password decrypts with the shared secret', async (t) => {
    const i = samples.findIndex((s) => s.what === 'RADIUS Access-Request');
    t.same(frames[i].values['radius.User_Password'], ['correct horse battery']);
  });

  t.test('F-TEID interface type constants carry the names TS 29.274 gives them', async (t) => {
    // One Modify Bearer Request per interface type; tshark prints "Interface Type: S5/S8 SGW GTP-U interface (4)".
    const entries = Object.entries(app.FteidInterface);
    const ftFile = join(dir, 'fteid.pcap');
    const records = entries.map(([, type], i) => ({
      timeNs: start + BigInt(i) * SPACING_NS,
      data: overUdp(UdpPort.GTPC, UdpPort.GTPC, app.gtpv2ModifyBearerRequest({ sequence: i, teid: 1, bearer: { ebi: 5, fteids: [{ interfaceType: type, teid: 1, ipv4: '10.0.0.9' }] } })),
    }));
    writeCaptureFile(ftFile, writePcap(records, { linkType: LinkType.ETHERNET }));
    const shown = [...tshark(ftFile, ['-V']).stdout.matchAll(/Interface Type: (.*) \((\d+)\)/g)].map((m) => ({ name: m[1], value: Number(m[2]) }));
    t.equal(shown.length, entries.length);
    const squash = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '');
    entries.forEach(([key, value], i) => {
      t.equal(shown[i]?.value, value, key);
      t.ok(squash(shown[i]?.name ?? '').startsWith(squash(key)), `${key} = ${shown[i]?.name}`);
    });
  });
}
