// Security: requirepass, an ACL file with a read-only dashboard user and a
// writing peer user, key patterns, NOAUTH/NOPERM/WRONGPASS texts (compared
// with a real redis-server loading the same ACL file), protected mode.
import t from 'tap';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import Redis from 'ioredis';
import { spawnRedis, spawnOurs, RawConn } from './helpers/redis-procs';
import { startRespServer } from '../server';
import { splitArgs } from '../server/proto';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-acl-'));
const aclFile = path.join(dir, 'users.acl');
fs.writeFileSync(aclFile, [
  'user default off',
  'user dashboard on >dashpw ~* &* +@read +@connection +subscribe +psubscribe +unsubscribe',
  'user peer on >peerpw ~* &* +@all -@admin',
  'user limited on >limpw ~ip.* +@read +auth',
  '',
].join('\n'));

async function script(port: number, steps: string[]): Promise<string[]> {
  const out: string[] = [];
  let c = await RawConn.connect(port);
  for (const s of steps) {
    if (s === '!reconnect') {
      c.close();
      c = await RawConn.connect(port);
      continue;
    }
    const argv = splitArgs(s) as string[];
    try {
      // client ids differ between the servers: mask HELLO's id field
      out.push((await c.command(argv, 3000)).raw.replace(/(\$2\r\nid\r\n:)\d+/, '$1N'));
    } catch (e) {
      out.push('ERROR ' + (e as Error).message);
    }
  }
  c.close();
  return out;
}

const ACL_SCRIPT = [
  'GET k', 'PING', 'AUTH nobody x', 'AUTH dashboard wrong', 'AUTH dashboard dashpw', 'GET k', 'HGETALL ip.1', 'SET k v', 'CONFIG GET maxclients',
  'PUBLISH events.user x', 'CLIENT SETNAME dash', 'FLUSHALL', 'DEL k', 'HINCRBY h f 1', 'KEYS *',
  '!reconnect', 'AUTH peer peerpw', 'SET k v', 'HSET ip.1 a 1', 'PUBLISH events.user x', 'CONFIG GET maxclients', 'CONFIG SET timeout 1', 'CLIENT KILL ID 999999', 'INFO', 'GET k',
  '!reconnect', 'AUTH limited limpw', 'GET k', 'HGETALL ip.1', 'MGET ip.1 k', 'SET ip.1 x', 'PING',
  '!reconnect', 'HELLO 3 AUTH dashboard wrong', 'HELLO 2 AUTH dashboard dashpw SETNAME x', 'GET k', 'MULTI', 'SET k 1', 'GET k', 'EXEC',
  '!reconnect', 'MULTI', 'GET k', 'EXEC',
  '!reconnect', 'AUTH', 'AUTH default x',
];

t.test('ACL file: replies identical to redis-server loading the same file', async (tt) => {
  const redis = await spawnRedis(['--aclfile', aclFile]);
  const ours = await spawnOurs(['--acl-file', aclFile]);
  try {
    const [a, b] = await Promise.all([script(redis.port, ACL_SCRIPT), script(ours.port, ACL_SCRIPT)]);
    const steps = ACL_SCRIPT.filter((s) => s !== '!reconnect');
    for (let i = 0; i < a.length; i++) {
      if (steps[i] === 'INFO') tt.equal(b[i][0], a[i][0], 'INFO: same reply type');
      else tt.equal(JSON.stringify(b[i]), JSON.stringify(a[i]), steps[i]);
    }
  } finally {
    await Promise.all([redis.stop(), ours.stop()]);
  }
});

const PASS_SCRIPT = [
  'GET k', 'SET k v', 'AUTH wrong', 'AUTH default wrong', 'HELLO 3', 'AUTH secret', 'SET k v', 'GET k', '!reconnect', 'HELLO 2 AUTH default secret', 'GET k',
  '!reconnect', 'NOSUCH', 'GET', 'QUIT',
];

t.test('requirepass: replies identical to redis-server --requirepass', async (tt) => {
  const redis = await spawnRedis(['--requirepass', 'secret']);
  const ours = await spawnOurs(['--requirepass', 'secret']);
  try {
    const [a, b] = await Promise.all([script(redis.port, PASS_SCRIPT), script(ours.port, PASS_SCRIPT)]);
    const steps = PASS_SCRIPT.filter((s) => s !== '!reconnect');
    for (let i = 0; i < a.length; i++) tt.equal(JSON.stringify(b[i]), JSON.stringify(a[i]), steps[i]);
    // Unauthenticated clients may not declare big requests.
    for (const input of ['*20\r\n', '*1\r\n$100000\r\n']) {
      const run = async (port: number): Promise<string> => {
        const c = await RawConn.connect(port);
        c.write(input);
        const s = await c.readAll(1000);
        c.close();
        return s;
      };
      tt.equal(JSON.stringify(await run(ours.port)), JSON.stringify(await run(redis.port)), `unauthenticated ${JSON.stringify(input)}`);
    }
    const io = new Redis({ port: ours.port, password: 'secret' });
    tt.equal(await io.set('x', 'y'), 'OK');
    io.disconnect();
  } finally {
    await Promise.all([redis.stop(), ours.stop()]);
  }
});

const external = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

t.test('protected mode: non-loopback clients refused with Redis text', { skip: external ? false : 'no non-loopback IPv4 address' }, async (tt) => {
  const redis = await spawnRedis(['--bind', '0.0.0.0', '--protected-mode', 'yes']);
  const ours = await startRespServer({ port: 'ephemeral', bind: '0.0.0.0' });
  try {
    const hello = async (port: number, host: string): Promise<string> => {
      const c = await RawConn.connect(port, host);
      c.write('*1\r\n$4\r\nPING\r\n');
      const s = await c.readAll(1000);
      c.close();
      return s;
    };
    const theirs = await hello(redis.port, external as string);
    const mine = await hello(ours.port, external as string);
    tt.match(mine, /^-DENIED Redis is running in protected mode/);
    tt.equal(mine, theirs, 'same DENIED text as redis-server');
    tt.match(await hello(ours.port, '127.0.0.1'), /^\+PONG/, 'loopback allowed');
    // With a password, remote clients may connect (and must authenticate).
    const c = await RawConn.connect(ours.port, '127.0.0.1');
    await c.command(['CONFIG', 'SET', 'requirepass', 'pw']);
    c.close();
    tt.match(await hello(ours.port, external as string), /^-NOAUTH Authentication required/);
  } finally {
    await ours.close();
    await redis.stop();
  }
});
