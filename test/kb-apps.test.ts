import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { PROBE_BIN } from './helpers/probe-cli';
import { freePort, infoFields, waitFor, exited } from './helpers/probe-server';
import { buildDemoCapture } from './gen/demo-capture';
import { ndpiPcapDir } from './corpus/paths';

/**
 * app.<name> and ip.<addr> app.<name>.bytes (DESIGN.md): DNS counters equal
 * tshark's count of DNS packets and their IP bytes, and every application's
 * counters equal the sum of the flow records the probe exported with that
 * applicationName (port guesses stay out of app.*).
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-apps-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function run(capture: string) {
  const port = await freePort();
  const flowsOut = path.join(tmp, `${path.basename(capture)}.jsonl`);
  const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', '--pcap', capture, '--resp-port', String(port), '--flows-out', flowsOut], { stdio: 'ignore' });
  const exit = exited(child);
  const r = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await waitFor('pcap_eof:1', () => infoFields(port).pcap_eof === '1');
    await r.connect();
    const apps: Record<string, Record<string, string>> = {};
    for (const key of await r.keys('app.*')) apps[key.slice(4)] = await r.hgetall(key);
    const hosts: Record<string, Record<string, string>> = {};
    for (const key of await r.keys('ip.*')) hosts[key.slice(3)] = await r.hgetall(key);
    const flows = fs.readFileSync(flowsOut, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    return { apps, hosts, flows };
  } finally {
    r.disconnect();
    child.kill('SIGTERM');
    await exit;
  }
}

/** DNS packets and the IP bytes of their innermost IP header, as tshark decodes them. */
function tsharkDns(capture: string): { pkts: number; bytes: number } {
  const out = spawnSync('tshark', ['-r', capture, '-Y', 'dns && !icmp && !icmpv6', '-T', 'fields', '-e', 'ip.len', '-e', 'ipv6.plen'], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout;
  let pkts = 0;
  let bytes = 0;
  for (const line of out.split('\n').filter(Boolean)) {
    const [v4, v6] = line.split('\t');
    pkts++;
    bytes += v4 ? Number(v4.split(',').pop()) : Number(v6.split(',').pop()) + 40;
  }
  return { pkts, bytes };
}

const demo = path.join(tmp, 'demo.pcap');
fs.writeFileSync(demo, buildDemoCapture().file);

for (const capture of [demo, path.join(ndpiPcapDir(), 'dns-tunnel-iodine.pcap'), path.join(ndpiPcapDir(), 'dns_long_domainname.pcap')].filter((f) => fs.existsSync(f))) {
  t.test(`${path.basename(capture)}: app.* against tshark and against the flow records`, async (t) => {
    const { apps, hosts, flows } = await run(capture);
    const dns = tsharkDns(capture);
    t.ok(dns.pkts > 0, `tshark finds ${dns.pkts} DNS packets`);
    t.equal(Number(apps.DNS?.pkts), dns.pkts, 'app.DNS pkts = tshark\'s DNS packets');
    t.equal(Number(apps.DNS?.bytes), dns.bytes, 'app.DNS bytes = their IP bytes');
    // Every application: the KB equals the exported records (payload-classified ones).
    const want: Record<string, { bytes: number; pkts: number; flows: number }> = {};
    const perHost: Record<string, Record<string, number>> = {};
    for (const f of flows) {
      if (f.applicationName === undefined || f.applicationNameGuessed) continue;
      const w = (want[f.applicationName] ??= { bytes: 0, pkts: 0, flows: 0 });
      const bytes = f.octetDeltaCount + f.reverseOctetDeltaCount;
      w.bytes += bytes;
      w.pkts += f.packetDeltaCount + f.reversePacketDeltaCount;
      w.flows++;
      for (const h of new Set([f.sourceIPv4Address ?? f.sourceIPv6Address, f.destinationIPv4Address ?? f.destinationIPv6Address])) {
        const m = (perHost[h] ??= {});
        m[f.applicationName] = (m[f.applicationName] ?? 0) + bytes;
      }
    }
    const got: Record<string, { bytes: number; pkts: number; flows: number }> = {};
    for (const [name, a] of Object.entries(apps)) got[name] = { bytes: Number(a.bytes), pkts: Number(a.pkts), flows: Number(a.flows) };
    t.same(got, want, `app.* = the flow records, for ${Object.keys(want).join(', ')}`);
    let mismatches = 0;
    for (const [h, m] of Object.entries(perHost)) {
      for (const [name, bytes] of Object.entries(m)) if (Number(hosts[h]?.[`app.${name}.bytes`]) !== bytes) mismatches++;
    }
    t.equal(mismatches, 0, `ip.<addr> app.<name>.bytes for ${Object.keys(perHost).length} hosts`);
  });
}
