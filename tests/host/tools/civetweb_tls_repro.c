/* Minimal reproducer: Debian bookworm's CivetWeb 1.15 serving HTTPS with OpenSSL 3.
 *
 *   civetweb_tls_repro SERVER_PEM [SHIM.so...]
 *
 * Serves "ok" on https://127.0.0.1:PORT/ (PORT printed on stdout) for 20 s. Without
 * shims, the process dies on the first HTTPS connection: CivetWeb (built for the OpenSSL
 * 1.1 API) looks up SSL_get_peer_certificate, which libssl.so.3 does not export;
 * mg_init_library reports the TLS feature missing, yet mg_start succeeds (the library is
 * counted as initialised after the failed attempt) and every handshake is followed by a
 * call through that null pointer. With lifeline's two shims dlopen()ed first
 * (src/rescue/tls_shim/), the same program serves the page. Only CivetWeb, OpenSSL and
 * libc: no lifeline code, so the defect is shown on its own. */
#include <civetweb.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int answer(struct mg_connection* conn) {
  mg_printf(conn, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n");
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s SERVER_PEM [SHIM.so...]\n", argv[0]);
    return 2;
  }
  void* real_ssl = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
  printf("libssl.so.3 exports SSL_get_peer_certificate: %s\n",
         real_ssl != NULL && dlsym(real_ssl, "SSL_get_peer_certificate") != NULL ? "yes" : "no");
  for (int i = 2; i < argc; ++i) {
    if (dlopen(argv[i], RTLD_NOW | RTLD_LOCAL) == NULL) {
      printf("cannot load shim %s: %s\n", argv[i], dlerror());
      return 2;
    }
    printf("loaded shim %s\n", argv[i]);
  }
  const unsigned features = mg_init_library(MG_FEATURES_TLS);
  printf("mg_init_library(MG_FEATURES_TLS): TLS %s\n",
         (features & MG_FEATURES_TLS) != 0 ? "initialised" : "NOT initialised");
  const char* options[] = {
      "listening_ports", "127.0.0.1:0s", "ssl_certificate", argv[1], "num_threads", "2", NULL};
  struct mg_callbacks callbacks;
  memset(&callbacks, 0, sizeof callbacks);
  callbacks.begin_request = answer;
  struct mg_context* context = mg_start(&callbacks, NULL, options);
  if (context == NULL) {
    printf("mg_start failed\n");
    return 1;
  }
  struct mg_server_port ports[1];
  memset(ports, 0, sizeof ports);
  mg_get_server_ports(context, 1, ports);
  printf("mg_start: serving https://127.0.0.1:%d/\n", ports[0].port);
  fflush(stdout);
  sleep(20);
  mg_stop(context);
  return 0;
}
