/**
 * The demo capture (`make run`): its CLI writes the file and prints one line,
 * it is reproducible, has the promised size and duration, decodes cleanly in
 * tshark, and carries the fixed- and mobile-network story the README tells
 * (RADIUS users, GTP subscribers, DNS/HTTP/TLS, tunnelled user traffic).
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDemoCapture, DEMO_DURATION_S, FIXED_USERS, MOBILE_USERS } from './gen/demo-capture';
import { scan, tsharkAvailable, TSHARK } from './gen/tshark';

// "A few thousand packets over 30-120 seconds" is the contract with `make run`.
const MIN_PACKETS = 1000;
const MAX_PACKETS = 10000;

const dir = mkdtempSync(join(tmpdir(), 'microcloud-gen-demo-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'demo.pcap');

t.test('CLI writes the capture and prints a one-line summary', async (t) => {
  const out = execFileSync(process.execPath, [join(__dirname, 'gen', 'demo-capture.js'), file], { encoding: 'utf8' });
  t.equal(out.trim().split('\n').length, 1);
  t.match(out, /\d+ packets/);
  t.ok(readFileSync(file).equals(buildDemoCapture().file), 'the CLI output is the library output');
});

t.test('reproducible, sized and timed as promised', async (t) => {
  const a = buildDemoCapture();
  const b = buildDemoCapture();
  t.ok(a.file.equals(b.file), 'same bytes on every build');
  t.ok(a.records.length >= MIN_PACKETS && a.records.length <= MAX_PACKETS, `${a.records.length} packets`);
  const spanS = Number(a.records[a.records.length - 1].timeNs - a.records[0].timeNs) / 1e9;
  t.ok(spanS >= 30 && spanS <= DEMO_DURATION_S, `${spanS.toFixed(1)} s of traffic`);
  t.equal(new Date(Number(a.records[0].timeNs / 1_000_000n)).toISOString().slice(0, 10), '2026-01-01');
});

if (!tsharkAvailable()) {
  t.fail(`tshark not found at ${TSHARK}: run \`make deps\` (it installs tshark)`);
} else {
  t.test('tshark decodes the demo and finds its story', async (t) => {
    const demo = buildDemoCapture();
    writeFileSync(file, demo.file);
    const names = [
      'vlan.id', 'radius.User_Name', 'radius.Acct_Status_Type', 'radius.Framed-IP-Address', 'e212.imsi', 'gtp.message', 'gtpv2.message_type',
      'gtp.teid', 'dns.qry.name', 'dns.flags.rcode', 'http.host', 'http.response.code', 'tls.handshake.extensions_server_name', 'icmp.type',
    ];
    const { frames, stderr } = scan(file, names);
    t.equal(stderr, '');
    t.equal(frames.length, demo.records.length);
    t.same(frames.flatMap((f) => f.problems.map((p) => `frame ${f.number}: ${p}`)), [], 'no expert errors/warnings, malformed packets or bad checksums');
    const all = (field: string) => new Set(frames.flatMap((f) => f.values[field]));
    const has = (field: string, values: readonly string[]) => {
      const seen = all(field);
      for (const v of values) t.ok(seen.has(v), `${field} has ${v}`);
    };
    has('vlan.id', [...FIXED_USERS.map((u) => String(u.vlan)), '10', '200', '999']);
    has('radius.User_Name', FIXED_USERS.map((u) => u.name));
    has('radius.Framed-IP-Address', FIXED_USERS.map((u) => u.ip));
    has('radius.Acct_Status_Type', ['1', '2', '3', '7']); // Start, Stop, Interim-Update, Accounting-On
    has('e212.imsi', MOBILE_USERS.map((u) => u.imsi));
    has('gtp.message', ['0x10', '0x11', '0x12', '0x13', '0x14', '0x15', '0xff']); // PDP create/update/delete + G-PDU
    has('gtpv2.message_type', ['32', '33', '34', '35', '36', '37', '95', '96', '99', '100']);
    has('dns.qry.name', ['www.example.com', 'missing.example.invalid']);
    has('dns.flags.rcode', ['0', '3']);
    has('http.response.code', ['200', '404']);
    has('tls.handshake.extensions_server_name', ['api.example.net', 'video.example.org']);
    has('icmp.type', ['8', '0']);
    // User traffic inside GTP-U: DNS and HTTP/TLS seen through the tunnel.
    const tunnelled = frames.filter((f) => f.values['gtp.message'].includes('0xff'));
    t.ok(tunnelled.some((f) => f.values['dns.qry.name'].length > 0), 'DNS inside GTP-U');
    t.ok(tunnelled.some((f) => f.values['http.host'].length > 0 || f.values['tls.handshake.extensions_server_name'].length > 0), 'web traffic inside GTP-U');
    t.ok(tunnelled.length > 100, `${tunnelled.length} G-PDUs`);
  });
}
