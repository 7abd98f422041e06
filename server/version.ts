// Versions reported to clients. HELLO and INFO report Redis 7.0.15 (the
// command set and replies this server reproduces) so client libraries that
// gate features on the server version behave; INFO also names microcloud.
export const REDIS_COMPAT_VERSION = '7.0.15';
export const MICROCLOUD_VERSION = '0.1.0';
