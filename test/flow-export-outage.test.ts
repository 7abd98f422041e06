/**
 * The exporter when its collector is away: over UDP the collector's host
 * answers with ICMP port unreachable, over TCP the connection is refused.
 * The probe keeps running, counts what it knows was lost, and when the
 * collector comes back sends templates again, so the collector decodes what
 * follows. Periodic template refresh is pushed out of reach in these runs,
 * so only the return can make the templates go again.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Nfcapd, TcpSink, freeUdpPort, nfdumpAvailable, tcpStreamPcap, demoCapture } from './helpers/flow-collectors';
import { collectOutput } from './helpers/probe-async';
import { PROBE_BIN } from './helpers/probe-cli';
import { exited, freePort, infoFields, waitFor } from './helpers/probe-server';
import { scan, tsharkAvailable } from './gen/tshark';

const DEMO = demoCapture();
const NO_REFRESH = ['--template-refresh', '86400', '--template-refresh-packets', '1000000'];

function startLoopingProbe(respPort: number, exportArgs: string[]) {
  const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', '--loop', '--pcap', DEMO, '--resp-port', String(respPort), ...NO_REFRESH, ...exportArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  return { child, output: collectOutput(child) };
}

const num = (info: Record<string, string>, k: string): number => Number(info[k] ?? NaN);

for (const format of ['v9', 'ipfix'] as const) {
  t.test(`${format} over UDP: collector down (ICMP unreachable), then up`, { skip: nfdumpAvailable() ? false : 'nfcapd not installed', timeout: 120_000 }, async (t) => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-outage-'));
    t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const port = await freeUdpPort();
    const resp = await freePort();
    const { child, output } = startLoopingProbe(resp, ['--netflow', format, '--collector', `127.0.0.1:${port}`]);
    t.teardown(() => child.kill('SIGKILL'));

    await waitFor('records refused by the closed port', () => {
      try {
        const info = infoFields(resp);
        return num(info, 'export_records_lost') > 0 && num(info, 'export_records') > 200;
      } catch {
        return false;
      }
    });
    const down = infoFields(resp);
    // The last few messages may still be waiting for their ICMP answer.
    t.ok(num(down, 'export_records_lost') >= 0.8 * num(down, 'export_records'), `records counted lost while the collector is away: ${down.export_records_lost} of ${down.export_records}`);
    t.equal(child.exitCode, null, 'the probe keeps running');

    const nfcapd = new Nfcapd(port, path.join(tmp, 'nf'));
    t.teardown(() => nfcapd.stop());
    await nfcapd.ready();
    const lostAtReturn = num(infoFields(resp), 'export_records_lost');
    await new Promise((r) => setTimeout(r, 2000));
    const after = infoFields(resp);
    child.kill('SIGTERM');
    t.equal(await exited(child), 0, 'SIGTERM: clean exit');
    await nfcapd.stop();

    const stored = nfcapd.flows();
    t.ok(stored.length > 50, `nfcapd decoded ${stored.length} flows after it came back: the templates were sent again`);
    t.ok(num(after, 'export_records_lost') - lostAtReturn < 10, `hardly anything lost once it is back (${num(after, 'export_records_lost') - lostAtReturn})`);
    t.match(nfcapd.log, /Bad Packets: 0/, 'nfcapd: no bad packet');
    t.match(output.stderr, /unreachable \(ECONNREFUSED\)/, 'the outage is reported');
    t.equal(output.stderr.split('\n').filter((l) => l.includes('unreachable')).length, 1, 'once, not per packet');
  });
}

t.test('IPFIX over TCP: connection refused, then a collector, then another one', { skip: tsharkAvailable() ? false : 'tshark not installed', timeout: 120_000 }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-outage-tcp-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const port = await freePort();
  const resp = await freePort();
  const { child, output } = startLoopingProbe(resp, ['--netflow', 'ipfix', '--collector', `tcp://127.0.0.1:${port}`]);
  t.teardown(() => child.kill('SIGKILL'));

  await waitFor('the refused connection to be reported', () => output.stderr.includes('ECONNREFUSED'));
  await waitFor('flows to be exported', () => {
    try {
      return num(infoFields(resp), 'flows_exported') > 100;
    } catch {
      return false;
    }
  });
  const down = infoFields(resp);
  t.equal(num(down, 'export_messages'), 0, 'nothing sent while refused');
  t.equal(num(down, 'export_records_lost'), 0, 'records held, not lost, while the queue has room');

  let sink = await TcpSink.listen(port);
  await waitFor('the probe to reconnect and send', () => sink.bytes > 10_000, 20_000);
  const first = Buffer.concat(sink.streams[0]);
  // The collector restarts: every connection goes, and a new one comes up on the same port.
  await sink.close();
  sink = await TcpSink.listen(port);
  t.teardown(() => sink.close());
  await waitFor('a new session to the restarted collector', () => sink.bytes > 10_000, 20_000);
  child.kill('SIGTERM');
  t.equal(await exited(child), 0, 'SIGTERM: clean exit');
  await new Promise((r) => setTimeout(r, 200));

  for (const [name, stream, whole] of [['first session', first, false], ['second session', Buffer.concat(sink.streams[0]), true]] as const) {
    const file = path.join(tmp, `${name.replace(' ', '-')}.pcap`);
    tcpStreamPcap(file, stream, 4739);
    const { frames } = scan(file, ['cflow.flow_id', 'cflow.template_id', 'cflow.sequence'], ['-d', 'tcp.port==4739,cflow']);
    const ids = frames.flatMap((f) => f.values['cflow.flow_id']);
    t.ok(ids.length > 50, `${name}: tshark decodes ${ids.length} records (templates came first)`);
    const sequences = frames.flatMap((f) => f.values['cflow.sequence']).map(Number);
    t.equal(sequences[0], 0, `${name}: the sequence starts at 0 (a new transport session)`);
    if (whole) {
      const problems = frames.flatMap((f) => f.problems.map((p) => `frame ${f.number}: ${p}`));
      t.same(problems, [], `${name}: no malformed message, no warning`);
    }
  }
});
