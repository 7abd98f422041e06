/**
 * The service dissectors through the whole probe (CLI, decoder, flow cache,
 * TCP ordering, classifier, dissectors, records), against tshark's decode of
 * the same captures from both corpora: for every flow record, the first DNS
 * query name and RCODE, HTTP method, Host, target, User-Agent and status,
 * TLS/QUIC server name and SIP Call-ID that tshark shows inside the record's
 * 5-tuple and time window must be the record's values.
 *
 * Flows tshark decodes and we leave without the field are counted as
 * "missing" (coverage), not as mismatches; values that differ are
 * mismatches, each printed. Coverage and agreement are asserted per field.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { runProbeCli, flowSource, flowDestination } from './helpers/probe-cli';
import { ndpiPcapDir, zeekDir } from './corpus/paths';
import { tshark, tsharkAvailable } from './gen/tshark';

const AGG = '\u001e';

/** Our record field -> tshark field, with how tshark's value is read. */
interface Compared {
  ours: string;
  theirs: string;
  /** Only frames where this holds give the expected value (e.g. responses for the RCODE). */
  when?: (f: Frame) => boolean;
  normalise?: (v: string) => string | number;
  /** Only records of this IP protocol (HTTP fields: TCP; tshark also shows SSDP over UDP as HTTP). */
  proto?: number;
}

interface Frame {
  ms: number;
  key: string;
  fields: Record<string, string[]>;
}

const COMPARED: Compared[] = [
  { ours: 'dnsQueryName', theirs: 'dns.qry.name', normalise: (v) => v },
  { ours: 'dnsResponseCode', theirs: 'dns.flags.rcode', when: (f) => f.fields['dns.flags.response']?.[0] === 'True' || f.fields['dns.flags.response']?.[0] === '1', normalise: Number },
  { ours: 'httpRequestMethod', proto: 6, theirs: 'http.request.method' },
  { ours: 'httpRequestHost', proto: 6, theirs: 'http.host' },
  { ours: 'httpRequestTarget', proto: 6, theirs: 'http.request.uri' },
  { ours: 'httpUserAgent', proto: 6, theirs: 'http.user_agent' },
  { ours: 'httpStatusCode', proto: 6, theirs: 'http.response.code', normalise: Number },
  { ours: 'tlsServerName', theirs: 'tls.handshake.extensions_server_name' },
  { ours: 'sipCallId', theirs: 'sip.Call-ID' },
];

const EXTRA = ['frame.time_epoch', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'dns.flags.response'];

const last = (v: string[] | undefined): string | undefined => (v === undefined || v.length === 0 ? undefined : v[v.length - 1]);

function conversationKey(proto: number, a: string, ap: number, b: string, bp: number): string {
  const x = `${a}|${ap}`;
  const y = `${b}|${bp}`;
  return x < y ? `${proto} ${x} ${y}` : `${proto} ${y} ${x}`;
}

function tsharkFrames(file: string): Frame[] {
  const fields = [...EXTRA, ...COMPARED.map((c) => c.theirs)];
  const r = tshark(file, ['-T', 'fields', '-E', 'separator=/t', '-E', `aggregator=${AGG}`, '-E', 'occurrence=a', ...fields.flatMap((f) => ['-e', f])]);
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr}`);
  const frames: Frame[] = [];
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const cols = line.split('\t');
    const values: Record<string, string[]> = {};
    fields.forEach((f, i) => {
      const v = cols[i] ?? '';
      values[f] = v === '' ? [] : v.split(AGG);
    });
    // The innermost addresses and ports: tunnels put the outer ones first.
    // The captures compared here tunnel IPv4 in IPv4 only: a frame is IPv6 when it has no IPv4 header.
    const v6 = values['ip.src'].length === 0;
    const src = v6 ? last(values['ipv6.src']) : last(values['ip.src']);
    const dst = v6 ? last(values['ipv6.dst']) : last(values['ip.dst']);
    const tcp = last(values['tcp.srcport']) !== undefined;
    const sport = Number(tcp ? last(values['tcp.srcport']) : last(values['udp.srcport']));
    const dport = Number(tcp ? last(values['tcp.dstport']) : last(values['udp.dstport']));
    if (src === undefined || dst === undefined || Number.isNaN(sport)) continue;
    frames.push({ ms: Math.floor(Number(values['frame.time_epoch'][0]) * 1000), key: conversationKey(tcp ? 6 : 17, src, sport, dst, dport), fields: values });
  }
  return frames;
}

interface Tally {
  compared: number;
  equal: number;
  missing: number;
  /** We give a value where tshark shows none (e.g. it reports a response only once its whole body is captured). */
  extra: number;
  mismatches: string[];
}

const CAPTURES: string[] = [
  ...['dns.pcap', 'dns_long_domainname.pcap', 'dns-invalid-chars.pcap', 'http.pcapng', 'http-lines-split.pcap', 'http_ua_splitted_in_two_pkts.pcapng', 'http_ipv6.pcap',
    'http_starting_with_reply.pcapng', 'http_connect.pcap', '1kxun.pcap', 'google_ssl.pcap', 'tls_2_reasms.pcapng', 'quic.pcap', 'quic-29.pcap', 'quic-v2.pcapng',
    'quic_frags_ch_in_multiple_packets.pcapng', 'sip.pcap', 'rtp.pcapng'].map((n) => join(ndpiPcapDir(), n)),
  ...['dns53.pcap', 'dns-two-responses.pcap', 'ipv6-fragmented-dns.pcap', 'http__bro.org.pcap', 'http-vlan-0.pcap', 'http-qinq-0.pcap', 'tunnels__vxlan-encapsulated-http.pcap', 'sip__wireshark.pcap'].map((n) => join(zeekDir(), n)),
].filter((f) => existsSync(f));

if (!tsharkAvailable() || CAPTURES.length === 0) {
  t.pass("tshark or the shared corpora are not available: skipped");
} else {
  const tallies = new Map<string, Tally>(COMPARED.map((c) => [c.ours, { compared: 0, equal: 0, missing: 0, extra: 0, mismatches: [] }]));
  for (const file of CAPTURES) {
    t.test(basename(file), async (tt) => {
      const run = runProbeCli(['--pcap', file]);
      tt.equal(run.code, 0, `probe exit 0 (${run.stderr.trim().split('\n').pop() ?? ''})`);
      const byKey = new Map<string, Frame[]>();
      for (const f of tsharkFrames(file)) {
        let list = byKey.get(f.key);
        if (list === undefined) byKey.set(f.key, (list = []));
        list.push(f);
      }
      for (const rec of run.flows) {
        if (rec.protocolIdentifier !== 6 && rec.protocolIdentifier !== 17) continue;
        const key = conversationKey(rec.protocolIdentifier, flowSource(rec), rec.sourceTransportPort, flowDestination(rec), rec.destinationTransportPort);
        const frames = (byKey.get(key) ?? []).filter((f) => f.ms >= rec.flowStartMilliseconds && f.ms <= rec.flowEndMilliseconds);
        for (const c of COMPARED) {
          if (c.proto !== undefined && c.proto !== rec.protocolIdentifier) continue;
          const first = frames.find((f) => (f.fields[c.theirs]?.length ?? 0) > 0 && (c.when === undefined || c.when(f)));
          const ours = rec[c.ours];
          const tally = tallies.get(c.ours)!;
          if (first === undefined) {
            if (ours !== undefined) {
              tally.extra++;
              tally.mismatches.push(`extra ${c.ours} ${basename(file)} ${key}: ours ${JSON.stringify(ours)}, none in tshark's decode`);
            }
            continue;
          }
          const raw = first.fields[c.theirs][0];
          const theirs = c.normalise ? c.normalise(raw) : raw;
          if (ours === undefined) {
            tally.missing++;
            tally.mismatches.push(`missing ${c.ours} ${basename(file)} ${key}: tshark ${JSON.stringify(theirs)} (app ${rec.applicationName ?? '-'})`);
            continue;
          }
          tally.compared++;
          if (ours === theirs) tally.equal++;
          else tally.mismatches.push(`${c.ours} ${basename(file)} ${key}: ours ${JSON.stringify(ours)} tshark ${JSON.stringify(theirs)}`);
        }
      }
    });
  }
  t.test('agreement with tshark per field', async (tt) => {
    for (const [field, tally] of tallies) {
      const seen = tally.compared + tally.missing;
      tt.comment(`${field}: ${tally.equal}/${tally.compared} equal, ${tally.missing} missing of ${seen} flows tshark decodes, ${tally.extra} given where tshark shows none`);
      for (const m of tally.mismatches.slice(0, 20)) tt.comment(`  ${m}`);
      if (seen === 0) continue;
      // The few differences are printed above with their flows (e.g. a 5-tuple reused by several connections in one window).
      tt.ok(tally.compared > 0 && tally.equal >= 0.98 * tally.compared, `${field}: at least 98% of the values we give equal tshark's (${tally.equal}/${tally.compared})`);
      tt.ok(tally.compared >= 0.9 * seen, `${field}: present on at least 90% of the flows tshark decodes (${tally.compared}/${seen})`);
      tt.ok(tally.extra <= 0.1 * (tally.compared + tally.extra), `${field}: given where tshark shows none on at most 10% of flows (${tally.extra})`);
    }
  });
}
