import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeEncapFixtures, ExpectedFlow } from './gen/encap-fixtures';
import { runProbeCli, flowSource, flowDestination } from './helpers/probe-cli';

/**
 * The decoder and flow cache against captures our generator wrote with known
 * ground truth: every link type, file format, tag stack, tunnel and
 * fragmentation case gives exactly the expected inner flows and counters.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-encap-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const cases = writeEncapFixtures(dir);

function describe(f: Record<string, any>): string {
  return `${f.protocolIdentifier} ${flowSource(f)}:${f.sourceTransportPort} -> ${flowDestination(f)}:${f.destinationTransportPort} vlan ${f.vlanId}`;
}

function findFlow(flows: Record<string, any>[], e: ExpectedFlow): Record<string, any> | undefined {
  return flows.find((f) => f.protocolIdentifier === e.proto && f.vlanId === e.vlan &&
    flowSource(f) === e.src && f.sourceTransportPort === e.sport &&
    flowDestination(f) === e.dst && f.destinationTransportPort === e.dport);
}

t.ok(cases.length >= 30, `the generator wrote ${cases.length} cases`);

for (const c of cases) {
  t.test(`${c.name}: ${c.note}`, async (t) => {
    const run = runProbeCli(['--pcap', path.join(dir, c.file), '--idle-timeout', '3600', '--active-timeout', '0']);
    t.equal(run.code, 0, `exit code 0 (stderr: ${run.stderr.trim()})`);
    t.ok(run.stats, 'stats written');
    if (c.expectError !== undefined) {
      t.match(run.stderr, c.expectError, 'the damage is reported');
      t.match(run.stderr, path.join(dir, c.file), 'the message names the file');
      t.match(run.stderr, /byte offset \d+/, 'the message names the byte offset');
    } else {
      t.equal(run.stderr, '', 'no warning');
    }
    if (c.expectMalformed !== undefined) t.equal(run.stats?.malformed, c.expectMalformed, 'malformed packets counted');
    t.equal(run.flows.length, c.expectFlows.length, `flows: ${run.flows.map(describe).join('; ')}`);
    for (const e of c.expectFlows) {
      const f = findFlow(run.flows, e);
      if (!f) {
        t.fail(`flow ${e.proto} ${e.src}:${e.sport} -> ${e.dst}:${e.dport} vlan ${e.vlan} not found`);
        continue;
      }
      t.same([f.packetDeltaCount, f.octetDeltaCount, f.layer2OctetDeltaCount, f.reversePacketDeltaCount, f.reverseOctetDeltaCount, f.reverseLayer2OctetDeltaCount],
        [e.pkts, e.ipBytes, e.l2Bytes, e.rpkts, e.ripBytes, e.rl2Bytes], `counters of ${describe(f)}`);
      if (e.tunnel) t.match(f.tunnel, e.tunnel, 'tunnel attached');
      else t.notOk(f.tunnel, 'no tunnel');
    }
  });
}
