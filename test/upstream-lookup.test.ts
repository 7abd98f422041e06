import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROBE_BIN } from './helpers/probe-cli';
import { freePort, infoFields, redisCli, waitFor, exited } from './helpers/probe-server';
import { spawnRedis } from './helpers/redis-procs';
import { buildLifecycleCapture, V1, V2 } from './gen/subscriber-lifecycle';
import { writePcap, LinkType, PacketRecord } from './gen/pcap-writer';

/**
 * Probes that see different links share what they learn: one sees only the
 * control plane (GTP-C), another only the user plane (GTP-U); the second
 * names the subscribers on its flows and in ip.<ue-address>, asking the cloud
 * (ipuser.*, gtp.teid.*) or hearing events.user from it.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-lookup-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** UDP destination or source port of an Ethernet + IPv4 (no options) frame. */
const ports = (r: PacketRecord) => [r.data.readUInt16BE(34), r.data.readUInt16BE(36)];
const isUserPlane = (r: PacketRecord) => ports(r).includes(2152);

function split(): { control: string; user: string; userDelayed: string } {
  const lc = buildLifecycleCapture('connect');
  const control = path.join(tmp, 'control.pcap');
  const user = path.join(tmp, 'user.pcap');
  const userDelayed = path.join(tmp, 'user-delayed.pcap');
  fs.writeFileSync(control, writePcap(lc.records.filter((r) => !isUserPlane(r)), { linkType: LinkType.ETHERNET }));
  const up = lc.records.filter(isUserPlane);
  fs.writeFileSync(user, writePcap(up, { linkType: LinkType.ETHERNET }));
  // The same user plane three seconds after a first frame: time for the control plane to happen elsewhere.
  const marker = { timeNs: up[0].timeNs, data: up[0].data };
  fs.writeFileSync(userDelayed, writePcap([marker, ...up.map((r) => ({ ...r, timeNs: r.timeNs + 3_000_000_000n }))], { linkType: LinkType.ETHERNET }));
  return { control, user, userDelayed };
}

function probe(args: string[]) {
  return spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', ...args], { stdio: 'ignore' });
}

function flows(file: string): Record<string, any>[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

for (const workers of ['0', '1']) {
  t.test(`a user-plane probe asks the cloud who is behind its tunnels (--workers ${workers})`, async (t) => {
    const files = split();
    const redis = await spawnRedis();
    const url = `redis://127.0.0.1:${redis.port}`;
    try {
      const control = probe(['--name', 'control', '--pcap', files.control, '--resp-port', '0', '--exit-on-eof', '--upstream', url]);
      t.equal(await exited(control), 0, 'the control-plane probe filled the cloud');
      t.equal(redisCli(redis.port, 'GET', `ipuser.${V2.ip}`), V2.imsi);
      const port = await freePort();
      const out = path.join(tmp, `user-${workers}.jsonl`);
      const user = probe(['--name', 'user', '--pcap', files.user, '--resp-port', String(port), '--flows-out', out, '--upstream', url, '--workers', workers]);
      const exit = exited(user);
      try {
        await waitFor('pcap_eof:1', () => infoFields(port).pcap_eof === '1');
        const info = infoFields(port);
        t.equal(info.radius_messages, '0');
        t.equal(info.gtpc_messages, '0', 'this probe saw no signalling');
        t.ok(Number(info.cloud_hits) >= 2, `the cloud answered (${info.cloud_lookups} questions, ${info.cloud_hits} users)`);
        const gtpu = flows(out).filter((f) => f.tunnel?.type === 'gtpu');
        t.equal(gtpu.length, 3);
        for (const f of gtpu) {
          const v1 = f.sourceIPv4Address === V1.ip;
          t.match(f, v1 ? { userName: V1.imsi, imsi: V1.imsi, msisdn: V1.msisdn } : { userName: V2.imsi, imsi: V2.imsi, msisdn: V2.msisdn, apn: 'internet.v2' }, `flow of ${f.sourceIPv4Address} names the subscriber`);
        }
        t.equal(redisCli(port, 'HGET', `ip.${V1.ip}`, 'user'), V1.imsi, 'ip.<ue-address> carries the user locally');
        t.equal(redisCli(port, 'HGET', `ip.${V2.ip}`, 'user'), V2.imsi);
        await waitFor('upstream up to date', () => infoFields(port).upstream_pending === '0');
        t.equal(redisCli(redis.port, 'HGET', `ip.${V2.ip}`, 'user'), V2.imsi, 'and in the cloud');
        t.equal(redisCli(port, 'EXISTS', `user.${V2.imsi}`), '0', 'the user keys stay with the probe that saw the signalling');
      } finally {
        user.kill('SIGTERM');
        await exit;
      }
    } finally {
      await redis.stop();
    }
  });
}

t.test('users another probe learns arrive on events.user without asking', async (t) => {
  const files = split();
  const redis = await spawnRedis();
  const url = `redis://127.0.0.1:${redis.port}`;
  try {
    const port = await freePort();
    const out = path.join(tmp, 'user-events.jsonl');
    // Paced: its GTP-U traffic starts 3 s in, after the control-plane probe's events.
    const user = probe(['--name', 'user', '--pcap', files.userDelayed, '--realtime', '--resp-port', String(port), '--flows-out', out, '--upstream', url]);
    const exit = exited(user);
    try {
      await waitFor('the user-plane probe connected', () => infoFields(port).upstream_connected === '1');
      await new Promise((r) => setTimeout(r, 300)); // its events.user subscription is in place
      const control = probe(['--name', 'control', '--pcap', files.control, '--resp-port', '0', '--exit-on-eof', '--upstream', url]);
      t.equal(await exited(control), 0);
      await waitFor('pcap_eof:1', () => infoFields(port).pcap_eof === '1', 20_000);
      const gtpu = flows(out).filter((f) => f.tunnel?.type === 'gtpu');
      t.equal(gtpu.length, 3);
      t.ok(gtpu.every((f) => f.userName === (f.sourceIPv4Address === V1.ip ? V1.imsi : V2.imsi)), 'every GTP-U flow names its subscriber');
      t.equal(infoFields(port).cloud_hits, '0', 'learned from events.user, not from lookups');
    } finally {
      user.kill('SIGTERM');
      await exit;
    }
  } finally {
    await redis.stop();
  }
});
