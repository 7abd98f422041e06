import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROBE_BIN } from './helpers/probe-cli';
import { freePort, redisCli, waitFor, exited, infoFields } from './helpers/probe-server';
import { ndpiPcapDir, zeekDir } from './corpus/paths';

/**
 * The knowledge base against independent truth: for corpus captures, every
 * host's ip.<addr> counters read through the real redis-cli equal what tshark
 * computes from the same packets (IP bytes and packets, sent and received).
 */
const CAPTURES = [
  path.join(ndpiPcapDir(), '1kxun.pcap'), // ~100 hosts, IPv4 and IPv6, TCP and UDP
  path.join(ndpiPcapDir(), 'google_ssl.pcap'),
  path.join(ndpiPcapDir(), 'smtp.pcap'),
  path.join(zeekDir(), 'http-vlan-0.pcap'), // 802.1Q
  path.join(zeekDir(), 'http-qinq-0.pcap'), // QinQ
  path.join(zeekDir(), 'pppoe.pcap'), // PPPoE sessions between non-IP discovery frames
  path.join(zeekDir(), 'communityid__ipv6.pcap'),
  path.join(zeekDir(), 'wikipedia.pcap'), // ARP and other non-IP frames mixed in
];

interface HostCounters { sent: number; rcvd: number; pktsSent: number; pktsRcvd: number }

/** Per-host IP bytes and packets from tshark's decode (outermost IP header; ICMP errors quote another). */
function tsharkHosts(file: string): Map<string, HostCounters> {
  const r = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-E', 'separator=\t', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ip.len', '-e', 'ipv6.src', '-e', 'ipv6.dst', '-e', 'ipv6.plen'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr}`);
  const hosts = new Map<string, HostCounters>();
  const host = (a: string): HostCounters => {
    let h = hosts.get(a);
    if (!h) hosts.set(a, (h = { sent: 0, rcvd: 0, pktsSent: 0, pktsRcvd: 0 }));
    return h;
  };
  for (const line of r.stdout.split('\n')) {
    const [s4, d4, len4, s6, d6, plen6] = line.split('\t').map((f) => (f ?? '').split(',')[0]);
    let src: string, dst: string, len: number;
    if (s4) { src = s4; dst = d4; len = Number(len4); }
    else if (s6) { src = s6; dst = d6; len = 40 + Number(plen6); }
    else continue;
    const a = host(src);
    a.sent += len; a.pktsSent++;
    const b = host(dst);
    b.rcvd += len; b.pktsRcvd++;
  }
  return hosts;
}

for (const file of CAPTURES) {
  t.test(`ip.<addr> of every host equals tshark: ${path.basename(file)}`, async (t) => {
    if (!fs.existsSync(file)) {
      t.fail(`missing corpus capture ${file}`);
      return;
    }
    const expected = tsharkHosts(file);
    t.ok(expected.size > 0, `tshark sees ${expected.size} hosts`);
    const port = await freePort();
    const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--pcap', file, '--resp-port', String(port), '--no-progress'], { stdio: 'ignore' });
    const exit = exited(child);
    try {
      await waitFor('pcap_eof:1', () => infoFields(port).pcap_eof === '1');
      // the last flush follows the end of the capture within one flush interval
      await waitFor('last batch', () => Number(redisCli(port, 'GET', 'stats.kb.batches')) > 0);
      await new Promise((r) => setTimeout(r, 300));
      const keys = new Set(redisCli(port, 'KEYS', 'ip.*').split('\n').filter(Boolean));
      t.equal(keys.size, expected.size, 'one ip.* key per host');
      let equal = 0;
      for (const [addr, e] of expected) {
        const fields = redisCli(port, 'HGETALL', `ip.${addr}`).split('\n');
        const h: Record<string, string> = {};
        for (let i = 0; i + 1 < fields.length; i += 2) h[fields[i]] = fields[i + 1];
        const got = { sent: Number(h['bytes.sent'] ?? 0), rcvd: Number(h['bytes.rcvd'] ?? 0), pktsSent: Number(h['pkts.sent'] ?? 0), pktsRcvd: Number(h['pkts.rcvd'] ?? 0) };
        if (JSON.stringify(got) === JSON.stringify(e)) equal++;
        else t.same(got, e, `ip.${addr}`);
      }
      t.equal(equal, expected.size, `${equal}/${expected.size} hosts with counters equal to tshark's`);
      const ttl = Number(redisCli(port, 'TTL', `ip.${[...expected.keys()][0]}`));
      t.ok(ttl > 0 && ttl <= 300, `host keys are volatile (TTL ${ttl} s of the default 300)`);
    } finally {
      child.kill('SIGTERM');
      await exit;
    }
  });
}
