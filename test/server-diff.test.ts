// Differential test: the same command scripts go to a real redis-server
// (spawned here, 7.0 from Debian) and to our server; replies must be
// byte-identical. Where output legitimately differs the step says so:
//   #sort   unordered collection: compared as sorted element lists
//   #shape  compared by reply type only (ids, INFO, CLIENT LIST, COMMAND DOCS, TIME)
//   #scan   a full SCAN/HSCAN/SSCAN iteration ({} is the cursor): compared as sorted sets
//   #n=K    the command yields K replies (SUBSCRIBE a b c)
//   @x      runs on connection x (default a)
//   !sleep MS, !read x (one pushed reply on connection x), !drain x (all pushes within 300 ms)
import t from 'tap';
import { spawnRedis, spawnOurs, RawConn, Reply, Proc } from './helpers/redis-procs';
import { splitArgs } from '../server/proto';
import { SPECS } from '../server/command-specs';

type Outcome = { step: string; text: string };

function norm(r: Reply): string {
  if (!Array.isArray(r.value)) return r.raw;
  const items = (r.value as Reply[]).map((x) => x.raw);
  if (r.type === '%') {
    const pairs: string[] = [];
    for (let i = 0; i < items.length; i += 2) pairs.push(items[i] + items[i + 1]);
    return r.type + JSON.stringify(pairs.sort());
  }
  return r.type + JSON.stringify(items.sort());
}

async function runScript(port: number, steps: string[]): Promise<Outcome[]> {
  const conns = new Map<string, RawConn>();
  const conn = async (name: string): Promise<RawConn> => {
    let c = conns.get(name);
    if (!c || c.closed) {
      c = await RawConn.connect(port);
      conns.set(name, c);
    }
    return c;
  };
  const out: Outcome[] = [];
  try {
    for (const step of steps) {
      let s = step;
      let mode = '';
      let n = 1;
      let cname = 'a';
      for (;;) {
        const m = /^(#\S+|@\S+)\s+/.exec(s);
        if (!m) break;
        const tag = m[1];
        if (tag.startsWith('#n=')) n = Number(tag.slice(3));
        else if (tag[0] === '#') mode = tag.slice(1);
        else cname = tag.slice(1);
        s = s.slice(m[0].length);
      }
      if (s.startsWith('!sleep ')) {
        await new Promise((r) => setTimeout(r, Number(s.slice(7))));
        continue;
      }
      if (s.startsWith('!drain ')) {
        // everything pushed to that connection within 300 ms, as one text
        const c = await conn(s.slice(7));
        let all = '';
        for (;;) {
          try {
            all += (await c.read(300)).raw;
          } catch {
            break;
          }
        }
        out.push({ step, text: all });
        continue;
      }
      if (s.startsWith('!read ')) {
        const c = await conn(s.slice(6));
        const r = await c.read(3000).catch((e: Error) => ({ raw: 'ERROR:' + e.message, type: '?', value: null }));
        out.push({ step, text: r.raw });
        continue;
      }
      const argv = splitArgs(s);
      if (!argv) throw new Error(`bad step ${step}`);
      const c = await conn(cname);
      if (mode === 'scan') {
        const seen = new Set<string>();
        let cursor = '0';
        let guard = 0;
        do {
          const r = await c.command(argv.map((a) => (a === '{}' ? cursor : a)));
          if (r.type === '-') { seen.add(r.raw); break; }
          const [cur, items] = r.value as Reply[];
          cursor = cur.value as string;
          for (const it of items.value as Reply[]) seen.add(it.raw);
        } while (cursor !== '0' && ++guard < 10000);
        out.push({ step, text: JSON.stringify([...seen].sort()) });
        continue;
      }
      c.write(Buffer.from(argv.map((a) => `$${a.length}\r\n${a}\r\n`).reduce((acc, x) => acc + x, `*${argv.length}\r\n`), 'latin1'));
      for (let i = 0; i < n; i++) {
        let text: string;
        try {
          const r = await c.read(3000);
          text = mode === 'sort' ? norm(r) : mode === 'shape' ? r.type : r.raw;
        } catch (e) {
          text = 'ERROR:' + (e as Error).message;
        }
        out.push({ step, text });
      }
    }
  } finally {
    for (const c of conns.values()) c.close();
  }
  return out;
}

let redis: Proc;
let ours: Proc;

t.before(async () => {
  [redis, ours] = await Promise.all([spawnRedis(), spawnOurs()]);
});
t.teardown(async () => {
  await Promise.all([redis?.stop(), ours?.stop()]);
});

async function diff(name: string, steps: string[], resp3 = false): Promise<void> {
  await t.test(name + (resp3 ? ' (RESP3)' : ''), { timeout: 60000 }, async (tt) => {
    const full = ['FLUSHALL', 'CONFIG SET notify-keyspace-events ""', ...(resp3 ? ['#shape HELLO 3'] : []), ...steps];
    const [a, b] = await Promise.all([runScript(redis.port, full), runScript(ours.port, full)]);
    tt.equal(b.length, a.length, 'same number of replies');
    let bad = 0;
    for (let i = 0; i < a.length; i++) {
      if (a[i].text !== b[i]?.text) {
        bad++;
        tt.equal(JSON.stringify(b[i]?.text), JSON.stringify(a[i].text), `step ${JSON.stringify(a[i].step)}`);
      }
    }
    const drains = a.filter((x) => x.step.startsWith('!drain'));
    if (drains.length) tt.ok(drains.every((x) => x.text.length > 0), 'every !drain step saw notifications (not trivially equal)');
    tt.equal(bad, 0, `${a.length} replies identical`);
  });
}

const STRINGS = [
  'SET k v', 'GET k', 'GET nokey', 'SET k v2 NX', 'SET k2 v NX', 'SET k3 v XX', 'SET k v3 XX', 'GET k',
  'SET k v GET', 'SET newk v GET', 'SET k 1 NX XX', 'SET k 1 EX 0', 'SET k 1 EX -5', 'SET k 1 EX x', 'SET k 1 EX',
  'SET k 1 PX 100 EX 100', 'SET k 1 KEEPTTL EX 100', 'SET k 1 FOO', 'SET k 1 ex 100', 'TTL k', 'SET k 2 KEEPTTL', 'TTL k',
  'SET k 3', 'TTL k', 'SET k 1 EXAT 99999999999', 'EXPIRETIME k', 'PEXPIRETIME k', 'SET k 1 PXAT 1', 'GET k', 'EXISTS k',
  'MGET k k2 nokey', 'GETDEL k2', 'GETDEL k2', 'EXISTS k2',
  'SET n 10', 'INCR n', 'INCRBY n 5', 'DECR n', 'DECRBY n 3', 'INCRBY n -20', 'GET n', 'INCR nnew', 'DECRBY nnew2 7',
  'INCRBY n x', 'INCRBY n 1.5', 'INCRBY n 00', 'INCRBY n +1', 'INCRBY n " 1"', 'SET s abc', 'INCR s', 'SET s 010', 'INCR s', 'SET s " 1"', 'INCR s',
  'SET big 9223372036854775806', 'INCR big', 'INCR big', 'GET big', 'SET small -9223372036854775807', 'DECR small', 'DECR small',
  'DECRBY n -9223372036854775808', 'INCRBY n 9223372036854775808', 'INCRBY n 99999999999999999999',
  'SET f 10.5', 'INCRBYFLOAT f 0.1', 'INCRBYFLOAT f -5', 'INCRBYFLOAT f 1e3', 'INCRBYFLOAT f abc', 'INCRBYFLOAT f inf', 'INCRBYFLOAT nf 3', 'INCRBYFLOAT nf 0.2',
  'SET e ""', 'GET e', 'SET bin "a\\x00b\\r\\nc"', 'GET bin',
];

const KEYS = [
  'SET a 1', 'SET b 2', 'HSET h f v', 'SADD st m', 'ZADD z 1 m', '#sort KEYS *', '#sort KEYS ?', 'KEYS h*', 'KEYS nomatch', '#sort KEYS [ab]', '#sort KEYS [^a]',
  'KEYS \\*', 'TYPE a', 'TYPE h', 'TYPE st', 'TYPE z', 'TYPE nokey', 'EXISTS a b nokey a', 'DBSIZE',
  'DEL a nokey', 'UNLINK b', 'DEL a', 'DBSIZE', 'RENAME h h2', 'TYPE h', 'TYPE h2', 'RENAME nokey x', 'RENAME st st', 'RENAME z st', 'TYPE st',
  'SET t 1', 'EXPIRE t 100', 'TTL t', 'PERSIST t', 'TTL t', 'PERSIST t', 'PERSIST nokey', 'TTL nokey', 'PTTL nokey', 'PTTL t',
  'EXPIRE t 100 NX', 'EXPIRE t 200 NX', 'TTL t', 'EXPIRE t 50 XX', 'TTL t', 'EXPIRE t 10 GT', 'TTL t', 'EXPIRE t 80 GT', 'TTL t', 'EXPIRE t 90 LT', 'EXPIRE t 20 LT', 'TTL t',
  'PERSIST t', 'EXPIRE t 10 XX', 'EXPIRE t 10 GT', 'EXPIRE t 10 LT', 'TTL t', 'EXPIRE t 1 NX XX', 'EXPIRE t 1 GT LT', 'EXPIRE t 1 FOO', 'EXPIRE t x', 'EXPIRE t 99999999999999999',
  'PEXPIRE t 99999999999999999', 'EXPIRE nokey 10', 'EXPIREAT t 99999999999', 'EXPIRETIME t', 'PEXPIREAT t 99999999999999', 'EXPIRETIME t', 'PEXPIRETIME t',
  // A TTL after an absolute expiry depends on the second each server reads the clock: the absolute forms do not.
  'EXPIRETIME nokey', 'PEXPIRETIME nokey', 'SET noexp 1', 'EXPIRETIME noexp', 'PEXPIRETIME noexp', 'EXPIRETIME', 'PEXPIRETIME a b',
  'SET gone 1', 'EXPIRE gone -1', 'EXISTS gone', 'SET gone 1', 'EXPIREAT gone 1', 'EXISTS gone', 'SET gone 1', 'PEXPIRE gone 0', 'GET gone',
  'SET r 1', 'EXPIRE r 100', 'RENAME r r2', 'TTL r2', 'SET r3 x', 'RENAME r2 r3', 'TTL r3', 'GET r3',
  'SET p 1 PX 120', 'HSET ph f v', 'PEXPIRE ph 120', 'SADD ps a', 'PEXPIRE ps 120', '!sleep 250', 'GET p', 'EXISTS p', 'TTL p', 'HGETALL ph', 'TYPE ps', 'KEYS p*',
  'FLUSHDB', 'DBSIZE', 'FLUSHALL ASYNC', 'FLUSHALL SYNC', 'FLUSHALL x', 'FLUSHDB a b',
];

const SCAN = [
  ...Array.from({ length: 60 }, (_, i) => `SET key:${i} ${i}`), 'HSET hh a 1', 'SADD ss x', 'ZADD zz 1 y',
  '#sort KEYS key:[1-3]?', '#sort KEYS *:5*', '#sort KEYS [k]ey:\\5', '#sort KEYS key:[^1]*', '#sort KEYS key:[', '#sort KEYS key:[1-', '#sort KEYS *1*2*',
  '#sort KEYS key:\\[', '#sort KEYS ?e?:??', '#sort KEYS key:[3-1]', '#sort KEYS *[', '#sort KEYS key:5\\',
  '#scan SCAN {}', '#scan SCAN {} COUNT 7', '#scan SCAN {} MATCH key:1*', '#scan SCAN {} TYPE hash', '#scan SCAN {} TYPE string COUNT 100', '#scan SCAN {} TYPE nosuch',
  'SCAN x', 'SCAN 0 COUNT 0', 'SCAN 0 COUNT x', 'SCAN 0 MATCH', 'SCAN 0 FOO bar', 'SCAN 0 TYPE',
  ...Array.from({ length: 40 }, (_, i) => `HSET big f${i} v${i}`), '#scan HSCAN big {}', '#scan HSCAN big {} MATCH f1*', '#scan HSCAN big {} COUNT 3', 'HSCAN nokey 0', 'HSCAN big x', 'HSCAN big 0 TYPE string',
  ...Array.from({ length: 40 }, (_, i) => `SADD bigs m${i}`), '#scan SSCAN bigs {}', '#scan SSCAN bigs {} MATCH m2*', 'SSCAN nokey 0', 'HSCAN ss 0', 'SSCAN hh 0',
];

const HASHES = [
  'HSET h a 1', 'HSET h b 2 c 3', 'HSET h a 10', 'HSET h x', 'HSET h', 'HMSET h d 4', 'HMSET h d', 'HGET h a', 'HGET h nof', 'HGET nokey a',
  'HMGET h a b nof', 'HMGET nokey a', 'HGETALL h', 'HGETALL nokey', 'HLEN h', 'HLEN nokey', 'HKEYS h', 'HVALS h', 'HKEYS nokey', 'HEXISTS h a', 'HEXISTS h z',
  'HSETNX h a 5', 'HSETNX h e 5', 'HGET h e', 'HDEL h a nof', 'HDEL h nof', 'HDEL nokey a', 'HLEN h',
  'HINCRBY h n 5', 'HINCRBY h n -2', 'HINCRBY h n x', 'HINCRBY h n 1.5', 'HSET h str abc', 'HINCRBY h str 1', 'HSET h big 9223372036854775807', 'HINCRBY h big 1',
  'HINCRBYFLOAT h fl 1.5', 'HINCRBYFLOAT h fl 0.1', 'HINCRBYFLOAT h fl -0.6', 'HINCRBYFLOAT h fl 1e2', 'HINCRBYFLOAT h fl x', 'HINCRBYFLOAT h str 1', 'HINCRBYFLOAT h n 2.5', 'HINCRBYFLOAT h fl inf',
  'HGETALL h', 'HDEL h b c d e n str big fl', 'EXISTS h', 'HDEL h z', 'HSET nh f ""', 'HGET nh f',
];

const SETS = [
  'SADD s a b c', 'SADD s a d', 'SADD s', 'SCARD s', 'SCARD nokey', '#sort SMEMBERS s', 'SMEMBERS nokey', 'SISMEMBER s a', 'SISMEMBER s z', 'SISMEMBER nokey a',
  'SREM s a z', 'SREM s z', 'SREM nokey a', '#sort SMEMBERS s', 'SREM s b c d', 'EXISTS s',
  'SADD ints 3 1 2 10 -5', 'SMEMBERS ints', 'SADD ints 7', 'SMEMBERS ints', 'SREM ints 1', 'SMEMBERS ints',
];

const ZSETS = [
  'ZADD z 1 a 2 b 3 c', 'ZADD z 1.5 d', 'ZADD z 0.1 e', 'ZADD z -inf lo +inf hi', 'ZSCORE z e', 'ZSCORE z lo', 'ZSCORE z hi', 'ZSCORE z nom', 'ZSCORE nokey a',
  'ZCARD z', 'ZCARD nokey', 'ZRANGE z 0 -1', 'ZRANGE z 0 -1 WITHSCORES', 'ZRANGE z 2 3', 'ZRANGE z -2 -1', 'ZRANGE z 5 1', 'ZRANGE z 0 100', 'ZRANGE z -100 1',
  'ZRANGE z 0 -1 REV', 'ZRANGE z 0 1 REV WITHSCORES', 'ZRANGE z 1 3 BYSCORE', 'ZRANGE z (1 3 BYSCORE', 'ZRANGE z (1 (3 BYSCORE WITHSCORES', 'ZRANGE z -inf +inf BYSCORE',
  'ZRANGE z +inf -inf BYSCORE REV', 'ZRANGE z 3 1 BYSCORE REV', 'ZRANGE z (3 1 BYSCORE REV WITHSCORES', 'ZRANGE z -inf +inf BYSCORE LIMIT 1 2', 'ZRANGE z -inf +inf BYSCORE LIMIT 1 -1',
  'ZRANGE z -inf +inf BYSCORE LIMIT -1 2', 'ZRANGE z -inf +inf BYSCORE LIMIT 0 0', 'ZRANGE z +inf -inf BYSCORE REV LIMIT 1 2 WITHSCORES', 'ZRANGE z 0 -1 LIMIT 0 1',
  'ZRANGE z 0 -1 FOO', 'ZRANGE z a b', 'ZRANGE z a b BYSCORE', 'ZRANGE z 1 2 BYSCORE BYSCORE', 'ZRANGE z 0 1 REV REV', 'ZRANGE z ( 5 BYSCORE', 'ZRANGE nokey 0 -1', 'ZRANGE z 0 -1 LIMIT 1',
  'ZREVRANGE z 0 -1', 'ZREVRANGE z 0 2 WITHSCORES', 'ZREVRANGE z 0 1 BYSCORE', 'ZRANGEBYSCORE z 1 2', 'ZRANGEBYSCORE z (1 2 WITHSCORES', 'ZRANGEBYSCORE z -inf +inf LIMIT 2 3',
  'ZRANGEBYSCORE z 2 1', 'ZRANGEBYSCORE z x 1', 'ZRANGEBYSCORE z 1 2 REV', 'ZREVRANGEBYSCORE z 3 1', 'ZREVRANGEBYSCORE z +inf -inf WITHSCORES LIMIT 0 3',
  'ZRANK z a', 'ZRANK z hi', 'ZRANK z nom', 'ZREVRANK z a', 'ZREVRANK z lo', 'ZRANK nokey a',
  'ZADD z NX 10 a', 'ZADD z XX 10 newm', 'ZADD z XX 10 a', 'ZADD z CH 11 a 1 newm2', 'ZADD z GT 5 a', 'ZADD z LT 5 a', 'ZADD z GT CH 20 a', 'ZSCORE z a',
  'ZADD z NX XX 1 a', 'ZADD z GT LT 1 a', 'ZADD z NX GT 1 a', 'ZADD z INCR 1 a 2 b', 'ZADD z 1', 'ZADD z 1 a 2', 'ZADD z x a', 'ZADD z nan a', 'ZADD z 1e-400 a', 'ZADD z "" a',
  'ZADD z INCR 5 a', 'ZADD z INCR NX 5 a', 'ZADD z INCR XX 5 nonex', 'ZADD nz XX 1 a', 'EXISTS nz', 'ZADD z INCR GT -100 a',
  'ZINCRBY z 2.5 b', 'ZINCRBY z 1 newz', 'ZINCRBY z x b', 'ZINCRBY z +inf hi', 'ZINCRBY z -inf hi', 'ZINCRBY zi 1.1 m', 'ZINCRBY zi 2.2 m',
  'ZADD zz 0 a 0 b 0 c 0 aa', 'ZRANGE zz 0 -1', 'ZRANK zz c', 'ZADD zz -0 a', 'ZSCORE zz a',
  'ZREM z a nom', 'ZREM z nom', 'ZREM nokey a', 'ZCARD z', 'ZREM zz a b c aa', 'EXISTS zz', 'ZADD fz 3.14159 pi 1e20 big 1e-5 tiny 123456789.123 mid', 'ZRANGE fz 0 -1 WITHSCORES',
];

const WRONGTYPE_CMDS = {
  s: ['GET k', 'GETDEL k', 'INCR k', 'INCRBY k 1', 'DECR k', 'DECRBY k 1', 'INCRBYFLOAT k 1.5', 'SET k v GET', 'MGET k'],
  h: ['HGET k f', 'HMGET k f', 'HGETALL k', 'HSET k f v', 'HSETNX k f v', 'HDEL k f', 'HLEN k', 'HKEYS k', 'HVALS k', 'HEXISTS k f', 'HINCRBY k f 1', 'HINCRBYFLOAT k f 1', 'HSCAN k 0', 'HMSET k f v', 'HINCRBY k f x'],
  st: ['SADD k m', 'SREM k m', 'SMEMBERS k', 'SISMEMBER k m', 'SCARD k', 'SSCAN k 0'],
  z: ['ZADD k 1 m', 'ZINCRBY k 1 m', 'ZSCORE k m', 'ZCARD k', 'ZREM k m', 'ZRANK k m', 'ZREVRANK k m', 'ZRANGE k 0 -1', 'ZREVRANGE k 0 -1', 'ZRANGEBYSCORE k 0 1', 'ZREVRANGEBYSCORE k 1 0', 'ZRANGE k x y', 'ZADD k x m'],
};
const MAKERS: Record<string, string> = { s: 'SET k v', h: 'HSET k f v', st: 'SADD k m', z: 'ZADD k 1 m' };
const WRONGTYPE: string[] = [];
for (const [owner, maker] of Object.entries(MAKERS)) {
  WRONGTYPE.push('DEL k', maker);
  for (const [t2, cmds] of Object.entries(WRONGTYPE_CMDS)) if (t2 !== owner) WRONGTYPE.push(...cmds);
}

/** Arity errors for every command and subcommand, generated from the table. */
const ARITY: string[] = [];
for (const s of SPECS) {
  const entries = s.subcommands?.length ? s.subcommands : [s];
  for (const e of entries) {
    if (e.name === 'client|setinfo') continue; // Redis 7.2+, absent from the 7.0 we compare with
    const words = e.name.split('|');
    const base = words.length;
    const mk = (argc: number): string => [...words, ...Array.from({ length: Math.max(0, argc - base) }, () => 'x')].join(' ');
    if (e.arity > 0) {
      if (e.arity - 1 >= base && e.arity - 1 >= 1) ARITY.push(mk(e.arity - 1));
      ARITY.push(mk(e.arity + 1));
    } else if (-e.arity - 1 >= base) ARITY.push(mk(-e.arity - 1));
  }
}
ARITY.push('NOSUCHCMD', 'nosuchcmd a b "c d"', 'CLIENT NOSUCH', 'CONFIG nosuch x', 'COMMAND nosuch', 'PUBSUB nosuch', 'client', 'config', 'pubsub',
  `verylongcommand ${'x'.repeat(150)} y`, `foo ${'a'.repeat(100)} ${'b'.repeat(100)} c`);

const CONNECTION = [
  'PING', 'PING hello', 'PING a b', 'ECHO hi', 'ECHO', 'SELECT 0', 'SELECT 1', 'SELECT x', 'AUTH pw', 'AUTH a b c', 'AUTH default pw',
  'HELLO 4', 'HELLO x', 'HELLO 2 FOO', 'HELLO 2 SETNAME "a b"', '#shape HELLO 2 SETNAME myname', 'CLIENT GETNAME', 'CLIENT SETNAME other', 'CLIENT GETNAME',
  'CLIENT SETNAME "x y"', 'CLIENT SETNAME ""', 'CLIENT GETNAME', '#shape CLIENT ID', '#shape CLIENT INFO', '#shape CLIENT LIST', 'CLIENT LIST TYPE x', '#shape CLIENT LIST TYPE pubsub',
  'CLIENT KILL 1.2.3.4:5', 'CLIENT KILL ID x', 'CLIENT KILL ID 0', 'CLIENT KILL ID 99999', 'CLIENT KILL FOO bar', 'CLIENT KILL SKIPME maybe', 'CLIENT KILL TYPE normal SKIPME yes',
  '#shape CLIENT HELP', '#shape TIME', 'DBSIZE', 'RESET', 'QUIT', 'PING',
];

const SERVER = [
  'CONFIG GET maxclients', 'CONFIG GET timeout', 'CONFIG SET timeout 5', 'CONFIG GET timeout', 'CONFIG SET timeout 0', 'CONFIG SET timeout -1', 'CONFIG SET timeout x',
  'CONFIG SET maxclients 5000 timeout 0', 'CONFIG GET maxclients', 'CONFIG SET maxclients 10000', 'CONFIG SET nosuch 1', 'CONFIG SET timeout', 'CONFIG SET timeout 1 timeout 2',
  'CONFIG SET notify-keyspace-events Q', 'CONFIG SET notify-keyspace-events KEA', 'CONFIG GET notify-keyspace-events', 'CONFIG SET notify-keyspace-events Ex', 'CONFIG GET notify-keyspace-events',
  'CONFIG SET notify-keyspace-events gx$K', 'CONFIG GET notify-keyspace-events', 'CONFIG SET notify-keyspace-events ""', 'CONFIG GET notify-keyspace-events',
  'CONFIG SET protected-mode x', 'CONFIG SET proto-max-bulk-len x', 'CONFIG SET proto-max-bulk-len 10', 'CONFIG GET proto-max-bulk-len', 'CONFIG SET proto-max-bulk-len 32mb', 'CONFIG GET proto-max-bulk-len', 'CONFIG SET proto-max-bulk-len 16mb',
  'CONFIG GET client-query-buffer-limit', 'CONFIG GET client-output-buffer-limit', 'CONFIG GET nosuch*', '#sort CONFIG GET maxclients timeout', 'CONFIG GET databases', 'CONFIG GET save', 'CONFIG GET appendonly',
  'COMMAND INFO get', 'COMMAND INFO set hset zadd zrange', 'COMMAND INFO ttl expiretime pexpiretime', '#shape COMMAND INFO client', 'COMMAND INFO nosuch get', 'COMMAND INFO client|kill', 'COMMAND INFO config|get', '#shape COMMAND DOCS get', '#shape COMMAND COUNT', '#shape COMMAND HELP',
  '#shape INFO', '#shape INFO keyspace', 'SET x 1', '#shape INFO server clients', '#shape CONFIG HELP',
];

const PUBSUB = [
  '#n=2 @s SUBSCRIBE ch1 ch2', '#n=1 @p PSUBSCRIBE ch*', 'PUBLISH ch1 hello', '!read s', '!read p', 'PUBLISH ch2 world', '!read s', '!read p', 'PUBLISH other x', 'PUBLISH cha y', '!read p',
  '#sort PUBSUB CHANNELS', 'PUBSUB CHANNELS ch1', 'PUBSUB NUMSUB ch1 ch2 nochan', 'PUBSUB NUMSUB', 'PUBSUB NUMPAT', '#shape PUBSUB HELP',
  '@s GET x', '@s PING', '@s PING msg', '@s QUIT', '#n=1 @p PUNSUBSCRIBE ch*', '@p PING', '#n=1 @p PUNSUBSCRIBE', '#n=1 @p UNSUBSCRIBE', 'PUBSUB NUMPAT',
  '#n=3 @q SUBSCRIBE a b a', 'PUBSUB NUMSUB a b', '#n=1 @q UNSUBSCRIBE a', '#n=1 @q UNSUBSCRIBE nosub', '#n=1 @q UNSUBSCRIBE', '@q GET x',
  '#n=2 @o SUBSCRIBE o1 o2', ...Array.from({ length: 20 }, (_, i) => `PUBLISH o${(i % 2) + 1} m${i}`), ...Array.from({ length: 20 }, () => '!read o'),
  '#n=1 @k SUBSCRIBE __keyevent@0__:expired', 'CONFIG SET notify-keyspace-events Ex', 'SET ek v PX 50', '!sleep 300', '!read k', 'CONFIG SET notify-keyspace-events ""',
  '#n=2 @m PSUBSCRIBE __key*__:* zz', 'CONFIG SET notify-keyspace-events KEA', 'SET nk v', '!read m', '!read m', 'HSET nh f 1', '!read m', '!read m', 'DEL nk', '!read m', '!read m', 'CONFIG SET notify-keyspace-events ""',
];

const NOTIFY = [
  '#n=1 @n PSUBSCRIBE __key*__:*', 'CONFIG SET notify-keyspace-events KEA',
  'SET k v EX 100', 'SET k v2 KEEPTTL', 'SET k v3 NX', 'EXPIRE k 50', 'PERSIST k', 'PERSIST k', 'RENAME k k2', 'GETDEL k2', 'GETDEL k2',
  'INCR n', 'INCRBY n 5', 'DECR n', 'INCRBYFLOAT n 1.5', 'DEL n nokey', '!drain n',
  'HSET h a 1 b 2', 'HSETNX h a 1', 'HSETNX h c 1', 'HMSET h d 1', 'HINCRBY h a 1', 'HINCRBYFLOAT h a 1.5', 'HDEL h nof', 'HDEL h a b c d', 'EXISTS h', '!drain n',
  'SADD s a b', 'SADD s a', 'SREM s nom', 'SREM s a b', '!drain n',
  'ZADD z 1 a 2 b', 'ZADD z 1 a', 'ZADD z CH 5 a', 'ZADD z INCR 1 a', 'ZINCRBY z 2 b', 'ZADD z XX 1 nom', 'ZREM z a nom', 'ZREM z b', '!drain n',
  'SET e 1', 'EXPIRE e -1', 'SET e 1', 'PEXPIRE e 10', '!sleep 200', 'GET e', 'SET r 1', 'SET r2 2', 'RENAME r r2', 'UNLINK r2', '!drain n',
  'CONFIG SET notify-keyspace-events Kh', 'HSET h2 f v', 'SET ignored 1', 'DEL h2', '!drain n',
  'CONFIG SET notify-keyspace-events Eg', 'HSET h3 f v', 'DEL h3', 'EXPIRE nokey 1', '!drain n', 'CONFIG SET notify-keyspace-events ""',
];

const MULTI = [
  'MULTI', 'SET a 1', 'INCR a', 'GET a', 'HSET a f v', 'EXEC', 'EXEC', 'DISCARD', 'MULTI', 'MULTI', 'SET b 2', 'DISCARD', 'GET b',
  'MULTI', 'SET c 1', 'NOSUCH', 'GET c', 'EXEC', 'GET c', 'MULTI', 'GET', 'EXEC', 'MULTI', 'PING', 'ECHO x', 'EXEC', 'MULTI', 'EXEC',
  'MULTI', 'SUBSCRIBE x', 'EXEC', 'MULTI', 'SET q 1', 'QUIT', 'PING',
];

const INLINE_ARGS = [
  'SET "quoted key" "va\\"lue"', 'GET "quoted key"', "SET 'single' 'it\\'s'", "GET 'single'", 'SET hex "\\x41\\x42"', 'GET hex', 'SET esc "a\\nb\\tc"', 'GET esc',
];

const all: [string, string[]][] = [
  ['strings', STRINGS], ['keys and ttl', KEYS], ['scan', SCAN], ['hashes', HASHES], ['sets', SETS], ['sorted sets', ZSETS],
  ['wrong types', WRONGTYPE], ['arity and unknown commands', ARITY], ['connection', CONNECTION], ['server', SERVER], ['pubsub', PUBSUB], ['keyspace notifications', NOTIFY],
  ['multi/exec', MULTI], ['quoted arguments', INLINE_ARGS],
];

const only = process.env.DIFF_ONLY;
for (const [name, steps] of all) if (!only || name === only) void diff(name, steps);
for (const [name, steps] of all) if ((!only || name === only) && name !== 'connection') void diff(name, steps, true);

/** Raw protocol cases: everything received until the server closes (or 1 s) must be identical. */
const RAW: string[] = [
  '*abc\r\n', '*1\r\n$x\r\n', '*1\r\n+foo\r\n', '*2\r\n$3\r\nGET\r\n:1\r\n', '*1\r\n$-5\r\n', '*1\r\n$1000000000\r\n', '*1\r\n$20000000\r\n',
  '*3000000000\r\n', '*-1\r\nPING\r\n', '*0\r\nPING\r\n', 'PING\r\n*1\r\n$4\r\nPING\r\n\r\n\n\nPING\n', 'SET "a b\r\nPING\r\n', 'SET "a"b c\r\n', "GET 'x'y\r\n",
  'x'.repeat(70000), '*1\r\n' + '1'.repeat(70000), '*1\r\n$' + '1'.repeat(70000), '*2\r\n$4\r\nPING\r\n$3\r\nabcXY*1\r\n$4\r\nPING\r\n',
  '*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n*1\r\n$4\r\nPING\r\n', 'GET a\0b\r\nPING\r\n', '*1\r\n$01\r\nx\r\n', '*01\r\n$1\r\nx\r\n', '  \t PING  \r\n',
  '"unterminated\r\n', 'ECHO "\\x4g"\r\n', 'ECHO "\\x4"\r\n', 'ECHO "\\"\r\n', "ECHO 'a\\'b'\r\n",
];

t.test('differential: raw protocol input and errors', async (tt) => {
  // All cases at once: each waits until its connection closes or 2 s pass.
  const run = async (port: number, input: string): Promise<string> => {
    const c = await RawConn.connect(port);
    c.write(input);
    const s = await c.readAll(2000);
    c.close();
    return s;
  };
  const results = await Promise.all(RAW.map((input) => Promise.all([run(redis.port, input), run(ours.port, input)])));
  RAW.forEach((input, i) => {
    const [a, b] = results[i];
    tt.equal(JSON.stringify(b), JSON.stringify(a), `input ${JSON.stringify(input.slice(0, 60))}`);
  });
  // Both still serve.
  const c = await RawConn.connect(ours.port);
  tt.equal((await c.command(['PING'])).raw, '+PONG\r\n');
  c.close();
});

/**
 * Seeded random garbage: inline lines with quotes, escapes and control bytes,
 * each followed by a marker command; a case ends when the marker's reply
 * arrives, the connection closes, or (both servers waiting for more input) 3 s.
 */
t.test('differential: random garbage lines', async (tt) => {
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alphabet = 'abcXYZ019 "\'\\\t*$:+-x\r';
  const cases: string[] = [];
  for (let i = 0; i < 150; i++) {
    let s = '';
    const len = 1 + rnd(30);
    for (let j = 0; j < len; j++) s += alphabet[rnd(alphabet.length)];
    cases.push(s + '\r\n');
  }
  const marker = 'ECHO end-of-case-marker\r\n';
  const done = (r: string): boolean => r.endsWith('$18\r\nend-of-case-marker\r\n');
  const run = async (port: number, s: string): Promise<string> => {
    const c = await RawConn.connect(port);
    c.write(s + marker);
    const out = await c.readAll(3000, done);
    c.close();
    return out;
  };
  let same = 0;
  for (let k = 0; k < cases.length; k += 50) {
    const batch = cases.slice(k, k + 50);
    const res = await Promise.all(batch.map((s) => Promise.all([run(redis.port, s), run(ours.port, s)])));
    res.forEach(([a, b], i) => {
      if (a === b) same++;
      else tt.equal(JSON.stringify(b), JSON.stringify(a), `garbage ${JSON.stringify(batch[i])}`);
    });
  }
  tt.equal(same, cases.length, 'all garbage cases answered identically');
});
