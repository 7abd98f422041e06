/**
 * Tunnel and encapsulation captures from Zeek's test suite
 * (../shared/pcaps/zeek/*.pcap) against Zeek's own conn.log baselines
 * (../shared/pcaps/zeek/baseline/<btest name>/conn.log): every connection Zeek
 * lists (after decapsulation) must be one of our flows, with the same
 * protocol and endpoints and, per direction, the same packets and IP bytes
 * (Zeek's orig/resp_ip_bytes = our octetDeltaCount of the inner packets).
 *
 * Zeek's outer tunnel connections (GTP-U, VXLAN, Teredo... the uids listed in
 * another entry's tunnel_parents, or with a tunnel service) are excluded: we
 * report tunnelled traffic only as the inner flow. ICMP is compared by
 * addresses (Zeek's "ports" are type/code, ours are 0). The probe runs with
 * --idle-timeout 3600 --active-timeout 86400 so each connection is one record
 * (Zeek: UDP 1 min, TCP 5 min inactivity); records that still split (FIN then
 * new SYN on the same ports) are compared by their per-key sum.
 *
 * Which capture each baseline was made from was worked out from the contents
 * (every address in the conn.log found by `tshark -r` in that capture and in no
 * other); the test re-checks this with tshark when it is installed.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EQUAL_CATEGORIES, compareFlows, describeNdpiFlow, fmtCounters } from './corpus/compare';
import { readOurFlowsFile } from './corpus/flow-records';
import { probeMain, zeekDir } from './corpus/paths';
import { runProbe } from './corpus/run-probe';
import { innerConns, mergeIcmpByAddresses, parseZeekConnFile, zeekToReference } from './corpus/zeek-conn';

interface Baseline {
  dir: string;
  capture: string;
  what: string;
  /** A known probe gap: reported as a tap "todo" instead of a failure. */
  gap?: string;
  /**
   * A known, explained difference (ours minus Zeek, in Zeek's orientation) for
   * the connection with this uid: accepted only if the difference is exactly this.
   */
  known?: { uid: string; why: string; fwdPkts: number; fwdBytes: number; revPkts: number; revBytes: number };
}

export const BASELINES: Baseline[] = [
  { dir: 'core.mpls-in-vlan', capture: 'mpls-in-vlan.pcap', what: 'MPLS inside 802.1Q' },
  { dir: 'core.vlan-mpls', capture: 'mixed-vlan-mpls.pcap', what: 'mixed VLAN and MPLS stacks' },
  { dir: 'core.pppoe', capture: 'pppoe.pcap', what: 'PPPoE session (IPv6)' },
  { dir: 'core.pppoe-over-qinq', capture: 'pppoe-over-qinq.pcap', what: 'PPPoE over QinQ' },
  { dir: 'core.tunnels.gre', capture: 'tunnels__gre-sample.pcap', what: 'GRE' },
  { dir: 'core.tunnels.vxlan', capture: 'tunnels__vxlan.pcap', what: 'VXLAN' },
  { dir: 'core.tunnels.gtp.opt_header', capture: 'tunnels__gtp__gtp6_gtp_0x32.pcap', what: 'GTP-U with optional header' },
  {
    dir: 'core.tunnels.gtp.different_dl_and_ul',
    capture: 'tunnels__gtp__gtp2_different_udp_port.pcap',
    what: 'GTP-U, uplink from a non-2152 port',
  },
  { dir: 'core.tunnels.gtp.inner_ipv6', capture: 'tunnels__gtp__gtp7_ipv6.pcap', what: 'GTP-U carrying IPv6' },
  {
    dir: 'core.tunnels.gtp.outer_ip_frag',
    capture: 'tunnels__gtp__gtp1_gn_normal_incl_fragmentation.pcap',
    what: 'GTP-U over fragmented outer IPv4',
    known: {
      uid: 'ClEkJM2Vm5giqnMf4h',
      why:
        'in 4 downlink datagrams the last outer fragment is absent from the capture: Zeek never reassembles them and ' +
        'drops them, the probe counts their inner packet (1480 IP bytes each)',
      fwdPkts: 0,
      fwdBytes: 0,
      revPkts: 4,
      revBytes: 4 * 1480,
    },
  },
  {
    dir: 'core.tunnels.gtp.not_user_plane_data',
    capture: 'tunnels__gtp__gtp10_not_0xff.pcap',
    what: 'UDP 2152 that is not G-PDU (must stay a plain UDP flow)',
  },
  { dir: 'core.tunnels.gtp.false_gtp', capture: 'tunnels__gtp__gtp3_false_gtp.pcap', what: 'UDP from port 2152 that is not GTP' },
  {
    dir: 'core.tunnels.gtp.inner_teredo',
    capture: 'tunnels__gtp__gtp8_teredo.pcap',
    what: 'Teredo (IPv6 in UDP 3544) inside GTP-U',
    gap: 'Teredo is not among the tunnels the probe decapsulates',
  },
];

/** Baselines with a conn.log whose capture is not in ../shared/pcaps/zeek. */
export const NO_CAPTURE: Record<string, string> = {
  'core.tunnels.gre-aruba-amsdu': 'Aruba GRE A-MSDU capture not provided',
  'core.tunnels.gre-in-gre': 'GRE-in-GRE capture not provided',
  'core.tunnels.gre-over-udp': 'GRE-over-UDP capture not provided',
  'core.tunnels.gre-pptp': 'PPTP GRE capture not provided',
  'core.tunnels.vxlan-unknown-internal-packet': 'capture not provided',
};

/** Baselines without a usable conn.log (only tunnel.log / weird.log / stdout, or a cut-down conn.log). */
export const NO_CONN_LOG: Record<string, string> = {
  'core.tunnels.gre-aruba': 'tunnel.log only',
  'core.tunnels.gre-erspan3-dot1q': 'stdout only',
  'core.tunnels.gre-in-gre-min-depth': 'weird.log only',
  'core.tunnels.gtp.ext_header': 'stdout only',
  'core.tunnels.gtp.non_recursive': 'stdout only',
  'core.tunnels.gtp.pdp_ctx_messages': 'stdout only',
  'core.tunnels.gtp.unknown_or_too_short': 'analyzer.log and tunnel.log only',
  'core.tunnels.vxlan-inner-tcp-bad-checksum': 'conn.log cut down to uid/service/history',
};

const TSHARK = '/usr/bin/tshark';

function tsharkAddresses(capture: string): Set<string> | null {
  if (!existsSync(TSHARK)) return null;
  const out = execFileSync(TSHARK, ['-r', capture, '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ipv6.src', '-e', 'ipv6.dst'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 256 << 20,
  });
  return new Set(out.split(/[\t,\n]/).filter((s) => s !== ''));
}

const base = join(zeekDir(), 'baseline');

t.test('every core.* Zeek baseline is either checked or accounted for', async (t) => {
  if (!existsSync(base)) {
    t.fail(`Zeek baselines not found at ${base} (set MICROCLOUD_SHARED)`);
    return;
  }
  const known = new Set([...BASELINES.map((b) => b.dir), ...Object.keys(NO_CAPTURE), ...Object.keys(NO_CONN_LOG)]);
  const dirs = readdirSync(base).filter((d) => d.startsWith('core.'));
  t.same(
    dirs.filter((d) => !known.has(d)),
    [],
    'no unmapped core.* baseline',
  );
  for (const [d, why] of Object.entries(NO_CAPTURE)) t.comment(`skipped ${d}: ${why}`);
  for (const [d, why] of Object.entries(NO_CONN_LOG)) t.comment(`skipped ${d}: ${why}`);
  for (const d of Object.keys(NO_CONN_LOG)) {
    if (!existsSync(join(base, d))) continue;
    const log = existsSync(join(base, d, 'conn.log')) ? parseZeekConnFile(join(base, d, 'conn.log')) : null;
    t.ok(!log || log.unusable, `${d} really has no usable conn.log`);
  }
  const captures = new Set(readdirSync(zeekDir()));
  for (const b of BASELINES) t.ok(captures.has(b.capture), `${b.dir}: capture ${b.capture} present`);
  for (const d of Object.keys(NO_CAPTURE)) t.ok(existsSync(join(base, d, 'conn.log')), `${d}: has a conn.log (capture missing)`);
});

t.test('Zeek baselines map to the captures they were made from', async (t) => {
  if (!existsSync(TSHARK)) {
    t.pass('tshark not installed: mapping not re-checked');
    return;
  }
  for (const b of BASELINES) {
    const log = parseZeekConnFile(join(base, b.dir, 'conn.log'));
    const addrs = tsharkAddresses(join(zeekDir(), b.capture));
    if (!addrs) continue;
    const missing = [...new Set(log.conns.flatMap((c) => [c.origH, c.respH]))].filter((a) => !addrs.has(a));
    t.same(missing, [], `${b.dir}: every conn.log address is in ${b.capture}`);
  }
});

t.test('inner flows: same endpoints, packets and IP bytes as Zeek', async (t) => {
  if (!existsSync(probeMain())) {
    t.fail(`probe not built: ${probeMain()} missing`);
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'microcloud-zeek-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  let total = 0;
  let equal = 0;
  for (const b of BASELINES) {
    await t.test(`${b.dir} (${b.what})`, async (t) => {
      const log = parseZeekConnFile(join(base, b.dir, 'conn.log'));
      t.notOk(log.unusable, `conn.log usable${log.unusable ? `: ${log.unusable}` : ''}`);
      const { inner, outer, other } = innerConns(log);
      for (const c of outer) t.comment(`excluded outer tunnel connection ${c.uid} ${c.proto} ${c.origH}:${c.origP} -> ${c.respH}:${c.respP} (${c.service})`);
      for (const c of other) t.comment(`excluded non-IP-transport entry ${c.uid} proto ${c.proto}`);
      const flowsOut = join(tmp, `${b.dir}.jsonl`);
      const run = await runProbe([join(zeekDir(), b.capture)], {
        flowsOut,
        idleTimeout: 3600,
        activeTimeout: 86400,
        timeoutMs: 60_000,
      });
      t.equal(run.code, 0, `probe exits 0 on ${b.capture}${run.code !== 0 ? `: ${run.stderr.trim().slice(0, 300)}` : ''}`);
      const ours = existsSync(flowsOut) ? readOurFlowsFile(flowsOut) : { flows: [], badLines: [] };
      t.same(ours.badLines, [], 'flow export parses');
      const refs = mergeIcmpByAddresses(inner.map(zeekToReference));
      const cmp = compareFlows(b.dir, ours.flows, refs, { bytes: 'ip', ignoreVlan: true });
      const k = b.known;
      const isKnown = (v: (typeof cmp.verdicts)[number]): boolean =>
        !!k &&
        !!v.ours &&
        v.ndpi.protoLabel.startsWith(`${k.uid} `) &&
        v.ours.fwdPkts - v.ndpi.srcPkts === k.fwdPkts &&
        v.ours.fwdBytes - v.ndpi.srcBytes === k.fwdBytes &&
        v.ours.revPkts - v.ndpi.dstPkts === k.revPkts &&
        v.ours.revBytes - v.ndpi.dstBytes === k.revBytes;
      for (const v of cmp.verdicts.filter(isKnown)) t.comment(`known difference accepted for ${k!.uid}: ${k!.why}`);
      const ok = cmp.verdicts.filter((v) => EQUAL_CATEGORIES.includes(v.category) || isKnown(v));
      total += refs.length;
      equal += ok.length;
      const bad = cmp.verdicts.filter((v) => !ok.includes(v));
      const lines = bad.map(
        (v) =>
          `${v.category}: zeek ${describeNdpiFlow(v.ndpi).replace(/^line \d+: /, '')}` +
          (v.ours ? ` / ours ${fmtCounters(v.ours)} in ${v.records.length} record(s)` : ''),
      );
      for (const l of lines) t.comment(l);
      for (const e of cmp.extra) {
        t.comment(
          `ours only: proto ${e.protocol} ${e.srcIp}:${e.srcPort} -> ${e.dstIp}:${e.dstPort} ` +
            `[${e.pkts} pkts/${e.bytes} IP bytes <-> ${e.rPkts} pkts/${e.rBytes} IP bytes]` +
            (e.tunnel !== undefined ? ` tunnel ${JSON.stringify(e.tunnel)}` : ''),
        );
      }
      t.ok(inner.length > 0, `Zeek lists ${inner.length} inner/plain connections (${outer.length} outer excluded)`);
      t.equal(
        ok.length,
        refs.length,
        `${ok.length}/${refs.length} of Zeek's connections (ICMP summed per address pair) found with equal packets and IP bytes per direction` +
          (k ? ' (or exactly the known difference)' : ''),
        b.gap ? { todo: b.gap } : {},
      );
    });
  }
  t.comment(`Zeek tunnel baselines: ${equal}/${total} connections equal`);
});
