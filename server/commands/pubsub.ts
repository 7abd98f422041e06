// Pub/sub commands: SUBSCRIBE PSUBSCRIBE UNSUBSCRIBE PUNSUBSCRIBE PUBLISH
// PUBSUB CHANNELS|NUMSUB|NUMPAT.
import type { Handler } from '../types';
import type { Client } from '../client';
import { helpReply } from './connection';

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]', "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT', '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]', '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'HELP', '    Print this help.',
];

function confirm(c: Client, kind: string, name: string | null): void {
  c.w.push(3);
  c.w.bulk(kind);
  if (name === null) c.w.nullBulk();
  else c.w.bulk(name);
  c.w.int(c.subs.size + c.psubs.size);
}

const subscribe: Handler = (c, argv, core) => {
  for (let i = 1; i < argv.length; i++) {
    core.pubsub.subscribe(c, argv[i]);
    confirm(c, 'subscribe', argv[i]);
  }
};

const psubscribe: Handler = (c, argv, core) => {
  for (let i = 1; i < argv.length; i++) {
    core.pubsub.psubscribe(c, argv[i]);
    confirm(c, 'psubscribe', argv[i]);
  }
};

const unsubscribe: Handler = (c, argv, core) => {
  if (argv.length === 1) {
    if (c.subs.size === 0) return confirm(c, 'unsubscribe', null);
    for (const ch of [...c.subs]) {
      core.pubsub.unsubscribe(c, ch);
      confirm(c, 'unsubscribe', ch);
    }
    return;
  }
  for (let i = 1; i < argv.length; i++) {
    core.pubsub.unsubscribe(c, argv[i]);
    confirm(c, 'unsubscribe', argv[i]);
  }
};

const punsubscribe: Handler = (c, argv, core) => {
  if (argv.length === 1) {
    if (c.psubs.size === 0) return confirm(c, 'punsubscribe', null);
    for (const p of [...c.psubs]) {
      core.pubsub.punsubscribe(c, p);
      confirm(c, 'punsubscribe', p);
    }
    return;
  }
  for (let i = 1; i < argv.length; i++) {
    core.pubsub.punsubscribe(c, argv[i]);
    confirm(c, 'punsubscribe', argv[i]);
  }
};

const publish: Handler = (c, argv, core) => c.w.int(core.pubsub.publish(argv[1], argv[2]));

const channels: Handler = (c, argv, core) => c.w.bulkArray(core.pubsub.activeChannels(argv[2]));

const numsub: Handler = (c, argv, core) => {
  c.w.array((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    c.w.bulk(argv[i]);
    c.w.int(core.pubsub.numsub(argv[i]));
  }
};

const numpat: Handler = (c, _argv, core) => c.w.int(core.pubsub.numpat);

export const pubsubCommands: Record<string, Handler> = {
  subscribe, psubscribe, unsubscribe, punsubscribe, publish,
  'pubsub|channels': channels, 'pubsub|numsub': numsub, 'pubsub|numpat': numpat,
  'pubsub|help': (c) => helpReply(c, PUBSUB_HELP),
};
