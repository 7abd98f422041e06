/**
 * Live capture on the loopback interface (as root, as CI runs): traffic sent
 * by real programs (dig, curl, radclient) to servers in this test appears in
 * the knowledge base, on events.user and in the flow records; libpcap's
 * counts appear in INFO probe; a missing interface, a bad filter and a user
 * without capture rights get a one-line error.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { PROBE_BIN, runCliRaw } from './helpers/probe-cli';
import { collectOutput } from './helpers/probe-async';
import { exited, freePort, infoFields, redisCli, waitFor } from './helpers/probe-server';
import { libpcapVersion } from '../capture/live-capture';

const root = process.getuid?.() === 0;
const skip = !root ? 'live capture needs root' : false;

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Runs a program without blocking this process (the servers it talks to live here). */
function run(cmd: string, args: string[], input = ''): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    let stdout = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.on('error', () => resolve({ status: null, stdout }));
    c.on('close', (status) => resolve({ status, stdout }));
    c.stdin.end(input);
  });
}

/** A DNS server on 127.0.0.1:53 (the probe dissects DNS on its port) that answers every query NXDOMAIN (flags 0x8183). */
async function nxdomainServer(): Promise<{ port: number; close(): void }> {
  const s = dgram.createSocket('udp4');
  s.on('message', (q, rinfo) => {
    if (q.length < 12) return;
    const r = Buffer.from(q);
    r.writeUInt16BE(0x8183, 2);
    s.send(r, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(53, '127.0.0.1', () => resolve());
  });
  return { port: s.address().port, close: () => s.close() };
}

t.test('libpcap module is built (make build with libpcap-dev)', { skip }, async (t) => {
  const v = libpcapVersion();
  t.ok(v !== null && /libpcap/.test(v), `loaded: ${v}`);
});

for (const workers of [0, 1, 2]) {
  t.test(`dig, curl and radclient on lo reach the knowledge base (--workers ${workers})`, { skip, timeout: 90_000 }, async (t) => {
    for (const cmd of ['dig', 'curl', 'radclient']) t.ok(has(cmd), `${cmd} installed`);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-live-'));
    t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const dns = await nxdomainServer();
    t.teardown(() => dns.close());
    const web = http.createServer((req, res) => res.end(`hello ${req.url}`));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
    t.teardown(() => web.close());
    const webPort = (web.address() as { port: number }).port;
    // The probe reads RADIUS accounting on its standard port.
    const radiusPort = 1813;
    const resp = await freePort();
    const flowsPath = path.join(tmp, 'flows.jsonl');
    const statsPath = path.join(tmp, 'stats.json');
    const readyPort = await freePort();
    const bpf = `udp port ${dns.port} or tcp port ${webPort} or udp port ${radiusPort} or udp port ${readyPort}`;
    const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', '--interface', 'lo', '--bpf', bpf, '--resp-port', String(resp),
      '--flows-out', flowsPath, '--stats-out', statsPath, '--idle-timeout', '2', '--workers', String(workers)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = collectOutput(child);
    t.teardown(() => child.kill('SIGKILL'));
    await waitFor('the probe to serve', () => redisCli(resp, 'PING') === 'PONG', 15_000);
    // The capture may open a moment later (in the worker): knock until a packet is seen.
    const knock = dgram.createSocket('udp4');
    t.teardown(() => knock.close());
    await waitFor('the capture to see packets', () => {
      knock.send('knock', readyPort, '127.0.0.1');
      return Number(infoFields(resp).packets) > 0;
    }, 15_000);

    const sub = new Redis({ port: resp, lazyConnect: true });
    await sub.connect();
    const events: string[] = [];
    sub.on('message', (_channel: string, message: string) => events.push(message));
    await sub.subscribe('events.user');
    t.teardown(() => sub.disconnect());

    const user = `live-${workers}@isp.test`;
    const framed = `10.99.${workers}.7`;
    const dig = await run('dig', ['@127.0.0.1', '-p', String(dns.port), `live${workers}.example.org`, 'A', '+tries=1', '+time=2']);
    t.match(dig.stdout, /status: NXDOMAIN/, 'dig got its answer');
    const curl = await run('curl', ['-s', '-A', 'microcloud-live/1.0', `http://127.0.0.1:${webPort}/live-test`]);
    t.equal(curl.stdout, 'hello /live-test', 'curl got its page');
    // No RADIUS server answers: radclient's request is on the wire, which is what the probe reads.
    const rad = await run('radclient', ['-r', '1', '-t', '1', `127.0.0.1:${radiusPort}`, 'acct', 'testing123'],
      `User-Name = "${user}"\nAcct-Status-Type = Start\nAcct-Session-Id = "live-${workers}"\nFramed-IP-Address = ${framed}\nNAS-IP-Address = 127.0.0.1\n`);
    t.not(rad.status, null, 'radclient ran');

    await waitFor('the user in the knowledge base', () => redisCli(resp, 'HGET', `user.${user}`, 'ip') === framed, 10_000);
    t.equal(redisCli(resp, 'GET', `ipuser.${framed}`), user, `ipuser.${framed} names the user`);
    await waitFor('events.user', () => events.some((e) => e.includes(user)), 5000);
    t.ok(events.some((e) => e.includes(user) && e.includes(framed)), 'events.user announced the user with the address');
    await waitFor('host counters', () => Number(redisCli(resp, 'HGET', 'ip.127.0.0.1', 'http.requests')) >= 1 && Number(redisCli(resp, 'HGET', 'ip.127.0.0.1', 'dns.queries')) >= 1, 10_000);
    t.ok(Number(redisCli(resp, 'HGET', 'ip.127.0.0.1', 'dns.errors')) >= 1, 'the NXDOMAIN counted in dns.errors');
    const info = infoFields(resp);
    t.ok(Number(info.pcap_received) >= Number(info.packets), `pcap_received ${info.pcap_received} >= packets ${info.packets}`);
    t.equal(info.pcap_dropped, '0', 'nothing dropped');
    t.ok(Number(info.packets) >= 10, `${info.packets} packets`);

    child.kill('SIGTERM');
    t.equal(await exited(child), 0, `SIGTERM: clean exit ${out.stderr.trim()}`);
    const flows = fs.readFileSync(flowsPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const dnsFlow = flows.find((f) => f.destinationTransportPort === dns.port);
    t.equal(dnsFlow?.dnsQueryName, `live${workers}.example.org`, 'the DNS flow carries the query name');
    t.equal(dnsFlow?.dnsResponseCode, 3, 'and NXDOMAIN');
    const webFlow = flows.find((f) => f.destinationTransportPort === webPort);
    t.equal(webFlow?.httpRequestTarget, '/live-test', 'the HTTP flow carries the target');
    t.equal(webFlow?.httpUserAgent, 'microcloud-live/1.0', 'and curl\'s User-Agent');
    t.equal(webFlow?.httpStatusCode, 200, 'and the status');
    const radFlow = flows.find((f) => f.destinationTransportPort === radiusPort);
    t.equal(radFlow?.applicationName, 'Radius', 'the RADIUS flow is classified');
    const stats = JSON.parse(fs.readFileSync(statsPath, 'utf8')) as Record<string, number>;
    t.ok(stats.packets >= 10, `--stats-out written at SIGTERM (${stats.packets} packets)`);
  });
}

t.test('live capture errors: one line, exit 2', { skip }, async (t) => {
  const cases: [string[], RegExp][] = [
    [['--interface', 'nosuch0'], /--interface nosuch0: no such interface \(there are: .*\blo\b/],
    [['--interface', 'lo', '--bpf', 'port nonsense'], /--bpf "port nonsense": /],
    [['--bpf', 'port 53', '--pcap', '/dev/null'], /--bpf applies to live capture/],
    [['--interface', 'lo', '--pcap', '/dev/null'], /cannot be combined/],
    [['--interface', 'lo', '--loop'], /--realtime and --loop apply to --pcap/],
    [['--interface', 'lo', '--snaplen', '20'], /96-262144/],
    [[], /nothing to read: give --pcap FILE or --interface IF/],
  ];
  for (const [args, message] of cases) {
    const r = runCliRaw(['probe', '--resp-port', '0', '--no-progress', ...args], 20_000);
    t.equal(r.code, args.includes('--snaplen') ? 1 : 2, `${args.join(' ')}: exit code`);
    const lines = r.stderr.trim().split('\n');
    t.equal(lines.length, 1, `${args.join(' ')}: one line`);
    t.match(lines[0], message, lines[0]);
  }
  if (has('setpriv')) {
    // Without the capture capabilities (an unprivileged user).
    // `env -i`: the test runner's hooks (passed down in the environment) would write where this user may not.
    const r = spawnSync('env', ['-i', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all',
      process.execPath, PROBE_BIN, 'probe', '--resp-port', '0', '--no-progress', '--interface', 'lo'], { encoding: 'utf8', timeout: 20_000 });
    t.equal(r.status, 2, 'no permission: exit 2');
    t.match(r.stderr.trim(), /^microcloud: --interface lo: permission denied \(live capture needs root or CAP_NET_RAW/, r.stderr.trim());
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});
