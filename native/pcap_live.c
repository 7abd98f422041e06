// Live capture through libpcap, for capture/live-capture.ts.
//
// Why our own binding and not the `cap` package: cap gives no per-packet
// timestamps, no pcap_stats (received / dropped), fixes the snaplen and
// promiscuous mode, and emits one JS event per packet. This binding hands
// packets to JS in batches: the capture descriptor is watched by libuv, and
// when it is readable pcap_dispatch() copies packets into a Buffer owned by
// JS as records
//
//   u32 ts_sec | u32 ts_usec | u32 caplen | u32 wirelen | data | pad to 4
//
// (little-endian), then one JS callback takes the whole batch.

#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  pcap_t* pcap;
  uv_poll_t poll;
  int polling;
  int closed;
  /** Inside pcap_dispatch: a close from the JS callback must wait for it to return. */
  int dispatching;
  int finalized;
  int poll_closed;
  napi_env env;
  napi_ref callback;
  napi_ref buffer_ref;
  napi_async_context async_ctx;
  uint8_t* buf;
  size_t buf_len;
  size_t used;
  uint32_t count;
} live_t;

/** Dispatch calls per readable event, so a flood cannot hold the event loop. */
#define MAX_DISPATCH_PER_WAKE 64

static void throw_error(napi_env env, const char* code, const char* message) {
  napi_value msg, err, code_value;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &err);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
  napi_set_named_property(env, err, "code", code_value);
  napi_throw(env, err);
}

static void put_u32(uint8_t* p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static void maybe_free(live_t* live) {
  if (live->finalized && (live->poll_closed || !live->polling)) free(live);
}

/** Hands the records collected so far to JS: callback(bytes, count). */
static void deliver(live_t* live) {
  if (live->count == 0 || live->closed) return;
  napi_env env = live->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, recv, argv[2], result;
  napi_get_reference_value(env, live->callback, &cb);
  napi_get_global(env, &recv);
  napi_create_uint32(env, (uint32_t)live->used, &argv[0]);
  napi_create_uint32(env, live->count, &argv[1]);
  live->used = 0;
  live->count = 0;
  napi_make_callback(env, live->async_ctx, recv, cb, 2, argv, &result);
  // A throw in the callback is an uncaught exception, as it would be for any event.
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static void on_packet(u_char* user, const struct pcap_pkthdr* h, const u_char* bytes) {
  live_t* live = (live_t*)user;
  if (live->closed) return;
  size_t need = 16 + (((size_t)h->caplen + 3) & ~(size_t)3);
  if (need > live->buf_len) return;  // cannot happen: the buffer holds the snaplen
  if (live->used + need > live->buf_len) deliver(live);
  if (live->closed) return;
  uint8_t* p = live->buf + live->used;
  put_u32(p, (uint32_t)h->ts.tv_sec);
  put_u32(p + 4, (uint32_t)h->ts.tv_usec);
  put_u32(p + 8, h->caplen);
  put_u32(p + 12, h->len);
  memcpy(p + 16, bytes, h->caplen);
  live->used += need;
  live->count++;
}

static void on_readable(uv_poll_t* handle, int status, int events) {
  live_t* live = (live_t*)handle->data;
  (void)events;
  if (live->closed || status < 0) return;
  live->dispatching = 1;
  for (int i = 0; i < MAX_DISPATCH_PER_WAKE && !live->closed; i++) {
    int n = pcap_dispatch(live->pcap, -1, on_packet, (u_char*)live);
    if (n <= 0) break;
  }
  live->dispatching = 0;
  deliver(live);
  if (live->closed && live->pcap != NULL) {
    pcap_close(live->pcap);
    live->pcap = NULL;
  }
}

static void on_poll_closed(uv_handle_t* handle) {
  live_t* live = (live_t*)handle->data;
  live->poll_closed = 1;
  maybe_free(live);
}

static void close_live(live_t* live) {
  if (live->closed) return;
  live->closed = 1;
  if (live->polling) {
    uv_poll_stop(&live->poll);
    uv_close((uv_handle_t*)&live->poll, on_poll_closed);
  }
  if (live->callback != NULL) napi_delete_reference(live->env, live->callback);
  if (live->buffer_ref != NULL) napi_delete_reference(live->env, live->buffer_ref);
  if (live->async_ctx != NULL) napi_async_destroy(live->env, live->async_ctx);
  live->callback = NULL;
  live->buffer_ref = NULL;
  live->async_ctx = NULL;
  if (!live->dispatching) {
    pcap_close(live->pcap);
    live->pcap = NULL;
  }
}

static void finalize_live(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  live_t* live = (live_t*)data;
  close_live(live);
  live->finalized = 1;
  maybe_free(live);
}

static live_t* get_live(napi_env env, napi_value value) {
  void* data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    throw_error(env, "EINVAL", "not a live capture handle");
    return NULL;
  }
  live_t* live = (live_t*)data;
  if (live->closed) {
    throw_error(env, "ECLOSED", "the capture is closed");
    return NULL;
  }
  return live;
}

/** The handle (first argument) of a call that takes `want` arguments, or NULL with an exception thrown. */
static live_t* handle_args(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < want) {
    throw_error(env, "EINVAL", "missing arguments");
    return NULL;
  }
  return get_live(env, argv[0]);
}

static char* get_string(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char* s = malloc(len + 1);
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

/** open(device, snaplen, promisc, bufferBytes, filter) -> handle; errors carry code ENODEV, EPERM, EFILTER or EPCAP. */
static napi_value open_live(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5) {
    throw_error(env, "EINVAL", "open(device, snaplen, promisc, bufferBytes, filter)");
    return NULL;
  }
  char* device = get_string(env, argv[0]);
  char* filter = get_string(env, argv[4]);
  int32_t snaplen = 0, buffer_bytes = 0;
  bool promisc = true;
  napi_get_value_int32(env, argv[1], &snaplen);
  napi_get_value_bool(env, argv[2], &promisc);
  napi_get_value_int32(env, argv[3], &buffer_bytes);
  if (device == NULL || filter == NULL) {
    free(device);
    free(filter);
    throw_error(env, "EINVAL", "device and filter must be strings");
    return NULL;
  }
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  char message[PCAP_ERRBUF_SIZE + 256];
  pcap_t* p = pcap_create(device, errbuf);
  if (p == NULL) {
    snprintf(message, sizeof message, "%s", errbuf);
    free(device);
    free(filter);
    throw_error(env, "EPCAP", message);
    return NULL;
  }
  pcap_set_snaplen(p, snaplen);
  pcap_set_promisc(p, promisc ? 1 : 0);
  if (buffer_bytes > 0) pcap_set_buffer_size(p, buffer_bytes);
  // Packets reach the probe as they arrive, not when a kernel block fills: latency is a goal.
  pcap_set_immediate_mode(p, 1);
  pcap_set_timeout(p, 10);
  int rc = pcap_activate(p);
  if (rc < 0) {
    const char* code = rc == PCAP_ERROR_NO_SUCH_DEVICE ? "ENODEV"
      : (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED) ? "EPERM" : "EPCAP";
    snprintf(message, sizeof message, "%s", pcap_geterr(p));
    if (message[0] == '\0') snprintf(message, sizeof message, "%s", pcap_statustostr(rc));
    pcap_close(p);
    free(device);
    free(filter);
    throw_error(env, code, message);
    return NULL;
  }
  if (filter[0] != '\0') {
    struct bpf_program prog;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 || pcap_setfilter(p, &prog) != 0) {
      snprintf(message, sizeof message, "%s", pcap_geterr(p));
      pcap_close(p);
      free(device);
      free(filter);
      throw_error(env, "EFILTER", message);
      return NULL;
    }
    pcap_freecode(&prog);
  }
  if (pcap_setnonblock(p, 1, errbuf) != 0) {
    snprintf(message, sizeof message, "%s", errbuf);
    pcap_close(p);
    free(device);
    free(filter);
    throw_error(env, "EPCAP", message);
    return NULL;
  }
  free(device);
  free(filter);
  live_t* live = calloc(1, sizeof(live_t));
  live->pcap = p;
  live->env = env;
  napi_value handle;
  napi_create_external(env, live, finalize_live, NULL, &handle);
  return handle;
}

static napi_value link_type(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  live_t* live = handle_args(env, info, 1, argv);
  if (live == NULL) return NULL;
  napi_value out;
  napi_create_int32(env, pcap_datalink(live->pcap), &out);
  return out;
}

/** start(handle, buffer, callback): packets go into `buffer`, callback(bytes, count) takes each batch. */
static napi_value start_live(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  live_t* live = handle_args(env, info, 3, argv);
  if (live == NULL) return NULL;
  if (live->polling) {
    throw_error(env, "EINVAL", "already started");
    return NULL;
  }
  void* data;
  size_t len;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
    throw_error(env, "EINVAL", "start(handle, buffer, callback): buffer must be a Buffer");
    return NULL;
  }
  int fd = pcap_get_selectable_fd(live->pcap);
  if (fd < 0) {
    throw_error(env, "EPCAP", "the capture has no selectable descriptor");
    return NULL;
  }
  live->buf = data;
  live->buf_len = len;
  napi_create_reference(env, argv[1], 1, &live->buffer_ref);
  napi_create_reference(env, argv[2], 1, &live->callback);
  napi_value resource_name;
  napi_create_string_utf8(env, "pcap_live", NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, NULL, resource_name, &live->async_ctx);
  uv_loop_t* loop;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init(loop, &live->poll, fd);
  live->poll.data = live;
  uv_poll_start(&live->poll, UV_READABLE, on_readable);
  live->polling = 1;
  return NULL;
}

/** stats(handle) -> [received, dropped, ifDropped] as pcap_stats() reports them. */
static napi_value stats_live(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  live_t* live = handle_args(env, info, 1, argv);
  if (live == NULL) return NULL;
  struct pcap_stat st;
  memset(&st, 0, sizeof st);
  if (pcap_stats(live->pcap, &st) != 0) {
    throw_error(env, "EPCAP", pcap_geterr(live->pcap));
    return NULL;
  }
  napi_value out, v;
  napi_create_array_with_length(env, 3, &out);
  napi_create_double(env, st.ps_recv, &v);
  napi_set_element(env, out, 0, v);
  napi_create_double(env, st.ps_drop, &v);
  napi_set_element(env, out, 1, v);
  napi_create_double(env, st.ps_ifdrop, &v);
  napi_set_element(env, out, 2, v);
  return out;
}

static napi_value close_handle(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void* data = NULL;
  if (napi_get_value_external(env, argv[0], &data) == napi_ok && data != NULL) close_live((live_t*)data);
  return NULL;
}

/** devices() -> the names pcap_findalldevs() lists (for an error message that says what exists). */
static napi_value devices(napi_env env, napi_callback_info info) {
  (void)info;
  pcap_if_t* all = NULL;
  char errbuf[PCAP_ERRBUF_SIZE];
  napi_value out;
  napi_create_array(env, &out);
  if (pcap_findalldevs(&all, errbuf) != 0) return out;
  uint32_t i = 0;
  for (pcap_if_t* d = all; d != NULL; d = d->next) {
    napi_value name;
    napi_create_string_utf8(env, d->name, NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, out, i++, name);
  }
  pcap_freealldevs(all);
  return out;
}

static napi_value version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_string_utf8(env, pcap_lib_version(), NAPI_AUTO_LENGTH, &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    {"open", NULL, open_live, NULL, NULL, NULL, napi_default, NULL},
    {"linkType", NULL, link_type, NULL, NULL, NULL, napi_default, NULL},
    {"start", NULL, start_live, NULL, NULL, NULL, napi_default, NULL},
    {"stats", NULL, stats_live, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, close_handle, NULL, NULL, NULL, napi_default, NULL},
    {"devices", NULL, devices, NULL, NULL, NULL, napi_default, NULL},
    {"version", NULL, version, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
