/**
 * NetFlow v9 and IPFIX export read by a real collector: nfcapd receives what
 * the probe sends, nfdump reads it back, and every flow of the probe's
 * JSON-lines output must be there with the same 5-tuple, VLAN, packets,
 * bytes and times; nothing else may be.
 *
 * v9 has no biflows: a record is two one-way flows (the second only when the
 * responder sent packets). IPFIX sends one biflow with RFC 5103 reverse
 * elements, which nfdump reads as out_packets/out_bytes.
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ndpiPcapDir, zeekDir } from './corpus/paths';
import { Nfcapd, freeUdpPort, nfdumpAvailable, demoCapture } from './helpers/flow-collectors';
import { runProbeAsync } from './helpers/probe-async';
import { flowDestination, flowSource } from './helpers/probe-cli';

/** IPv6 text in one canonical form, whoever printed it. */
function canonicalAddress(a: string): string {
  return a.includes(':') ? new URL(`http://[${a}]/`).hostname.replace(/^\[|\]$/g, '') : a;
}

/** Captures from both corpora in one probe run: IPv4 and IPv6, VLAN, tunnels, subscribers, many flows. */
function captures(): string[] {
  const ndpi = fs.readdirSync(ndpiPcapDir())
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .map((f) => path.join(ndpiPcapDir(), f));
  const zeek = ['tunnels__gtp__gtp1_gn_normal_incl_fragmentation.pcap', 'mixed-vlan-mpls.pcap', 'ipv6-fragmented-dns.pcap']
    .map((f) => path.join(zeekDir(), f))
    .filter((p) => fs.existsSync(p));
  return [demoCapture(), ...ndpi, ...zeek];
}

interface OneWay {
  key: string;
  packets: number;
  bytes: number;
}

function timeKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23);
}

/** The one-way flows nfdump should show for a JSON record, as v9 sends them. */
function expectedV9(f: Record<string, any>): string[] {
  const src = canonicalAddress(flowSource(f));
  const dst = canonicalAddress(flowDestination(f));
  const times = `${timeKey(f.flowStartMilliseconds)}-${timeKey(f.flowEndMilliseconds)}`;
  const out = [`${src}|${f.sourceTransportPort}|${dst}|${f.destinationTransportPort}|${f.protocolIdentifier}|${f.vlanId}|${f.packetDeltaCount}|${f.octetDeltaCount}|${times}`];
  if (f.reversePacketDeltaCount > 0) {
    out.push(`${dst}|${f.destinationTransportPort}|${src}|${f.sourceTransportPort}|${f.protocolIdentifier}|${f.vlanId}|${f.reversePacketDeltaCount}|${f.reverseOctetDeltaCount}|${times}`);
  }
  return out;
}

function expectedIpfix(f: Record<string, any>): string[] {
  const times = `${timeKey(f.flowStartMilliseconds)}-${timeKey(f.flowEndMilliseconds)}`;
  return [`${canonicalAddress(flowSource(f))}|${f.sourceTransportPort}|${canonicalAddress(flowDestination(f))}|${f.destinationTransportPort}|${f.protocolIdentifier}|${f.vlanId}|${f.packetDeltaCount}|${f.octetDeltaCount}|${f.reversePacketDeltaCount}|${f.reverseOctetDeltaCount}|${times}`];
}

/** nfdump prints times in local time without a zone: run it in UTC. */
function nfdumpKey(r: Record<string, any>, ipfix: boolean): string {
  const src = canonicalAddress(String(r.src4_addr ?? r.src6_addr));
  const dst = canonicalAddress(String(r.dst4_addr ?? r.dst6_addr));
  // ICMP: nfdump shows type and code instead of ports; the probe exports ports 0 there (as in the JSON).
  const base = `${src}|${r.src_port ?? 0}|${dst}|${r.dst_port ?? 0}|${r.proto}|${r.src_vlan}|${r.in_packets}|${r.in_bytes}`;
  const times = `${String(r.first)}-${String(r.last)}`;
  return ipfix ? `${base}|${r.out_packets ?? 0}|${r.out_bytes ?? 0}|${times}` : `${base}|${times}`;
}

function multiset(keys: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

const skip = !nfdumpAvailable() ? 'nfcapd/nfdump not installed' : !fs.existsSync(ndpiPcapDir()) ? 'nDPI corpus not found' : false;

for (const format of ['v9', 'ipfix'] as const) {
  t.test(`${format}: nfdump finds every JSON-lines flow, and only those`, { skip, timeout: 300_000 }, async (t) => {
    process.env.TZ = 'UTC';
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `mc-nf-${format}-`));
    t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const port = await freeUdpPort();
    const nfcapd = new Nfcapd(port, path.join(tmp, 'nf'));
    t.teardown(() => nfcapd.stop());
    await nfcapd.ready();

    const files = captures();
    // IPFIX runs the pipeline (and so the exporter) in a worker thread, v9 on the main thread.
    const args = ['--netflow', format, '--collector', `127.0.0.1:${port}`, '--observation-domain', '7', '--workers', format === 'ipfix' ? '1' : '0'];
    for (const f of files) args.push('--pcap', f);
    const run = await runProbeAsync(args);
    t.equal(run.code, 0, `probe exits 0 (${run.stderr.trim().split('\n').slice(-2).join(' | ')})`);
    await new Promise((r) => setTimeout(r, 300));
    await nfcapd.stop();

    const flows = run.flows;
    t.ok(flows.length > 5000, `${flows.length} flow records from ${files.length} captures`);
    t.ok(flows.some((f) => f.sourceIPv6Address !== undefined), 'IPv6 flows among them');
    t.ok(flows.some((f) => f.vlanId !== 0), 'VLAN-tagged flows among them');
    t.ok(flows.some((f) => f.userName !== undefined), 'flows with a subscriber among them');

    const stored = nfcapd.flows();
    const summary = /Sequence Errors: (\d+), Bad Packets: (\d+)/.exec(nfcapd.log);
    t.ok(summary !== null, `nfcapd's summary: ${nfcapd.log.trim().split('\n').slice(-2).join(' | ')}`);
    t.equal(summary?.[2], '0', 'nfcapd: no bad packet');
    // nfcapd's IPFIX sequence check leaves out options data records (the exporter statistics);
    // RFC 7011 3.1 counts every data record, as tshark does (flow-export-tshark.test.ts checks it).
    if (format === 'v9') t.equal(summary?.[1], '0', 'nfcapd: no sequence error');
    t.match(nfcapd.log, format === 'v9' ? /Domain: 7\b/ : /Observation domain 7\b/, 'the source id / observation domain given is the one received');

    const ipfix = format === 'ipfix';
    const want = multiset(flows.flatMap(ipfix ? expectedIpfix : expectedV9));
    const got = multiset(stored.map((r) => nfdumpKey(r, ipfix)));
    let missing = 0;
    const missingExamples: string[] = [];
    for (const [k, n] of want) {
      const have = got.get(k) ?? 0;
      if (have < n) {
        missing += n - have;
        if (missingExamples.length < 5) missingExamples.push(k);
      }
    }
    let extra = 0;
    const extraExamples: string[] = [];
    for (const [k, n] of got) {
      const expected = want.get(k) ?? 0;
      if (n > expected) {
        extra += n - expected;
        if (extraExamples.length < 5) extraExamples.push(k);
      }
    }
    const wantCount = [...want.values()].reduce((a, b) => a + b, 0);
    t.equal(stored.length, wantCount, `nfdump holds ${stored.length} flows, the JSON lines make ${wantCount}`);
    t.equal(missing, 0, `every JSON-lines flow is in nfdump (5-tuple, VLAN, packets, bytes, times); missing: ${missingExamples.join(' ; ')}`);
    t.equal(extra, 0, `nfdump has nothing else; extra: ${extraExamples.join(' ; ')}`);
    t.equal(run.stats?.exportRecords, wantCount, 'stats: every record counted as exported');
    t.equal(run.stats?.exportRecordsLost, 0, 'stats: none lost');
  });
}
