// Public entry point of the embedded Redis-protocol server.
export { startRespServer } from './server';
export type { RespServer, RespServerOptions, KbApi } from './server';
export { Keyspace } from './store';
export type { Value, StrVal } from './store';
export { PubSub } from './pubsub';
export { RespError } from './types';
export { toBytes, fromBytes } from './util';
export type { InfoHook, Logger, LogLevel } from './core';
