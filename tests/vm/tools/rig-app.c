/* The VM rig's fake control app: what lifeline's motor dead-man watches in the guest.
 * It renews the heartbeat lease every 50 ms (include/lifeline/lease.h) and answers
 * GET /health on 127.0.0.1:PORT with 200, or 500 while the mode file says "error".
 * A SIGSTOP hangs both at once, as a real hung control loop would.
 *   rig-app --lease SOCKET --name NAME --port PORT --mode-file FILE */
#define _GNU_SOURCE
#include <lifeline/lease.h>

#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char* arg(int argc, char** argv, const char* key, const char* fallback) {
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], key) == 0) return argv[i + 1];
  }
  return fallback;
}

static int erroring(const char* mode_file) {
  char buf[16] = {0};
  FILE* f = fopen(mode_file, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  return n >= 5 && strncmp(buf, "error", 5) == 0;
}

static void answer(int client, const char* mode_file) {
  char req[1024];
  struct pollfd p = {client, POLLIN, 0};
  if (poll(&p, 1, 200) == 1) (void)!read(client, req, sizeof req);
  const char* reply = erroring(mode_file)
                          ? "HTTP/1.0 500 Internal Server Error\r\nContent-Length: 6\r\n\r\nerror\n"
                          : "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
  (void)!write(client, reply, strlen(reply));
  close(client);
}

int main(int argc, char** argv) {
  const char* lease_path = arg(argc, argv, "--lease", "/run/lifeline/lease.sock");
  const char* name = arg(argc, argv, "--name", "app");
  const char* mode_file = arg(argc, argv, "--mode-file", "/run/rig-app/mode");
  int port = atoi(arg(argc, argv, "--port", "8080"));

  struct lifeline_lease lease;
  if (lifeline_lease_open(&lease, lease_path, name) != 0) {
    perror("rig-app: lease");
    return 1;
  }
  int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(srv, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(srv, 16) != 0) {
    perror("rig-app: listen");
    return 1;
  }
  fprintf(stderr, "rig-app: pid %d, lease %s/%s, http 127.0.0.1:%d\n", getpid(), lease_path, name,
          port);
  for (;;) {
    lifeline_lease_beat(&lease); /* ENOENT while lifeline is not up yet: keep trying */
    struct pollfd p = {srv, POLLIN, 0};
    if (poll(&p, 1, 50) == 1) {
      int client = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
      if (client >= 0) answer(client, mode_file);
    }
  }
}
