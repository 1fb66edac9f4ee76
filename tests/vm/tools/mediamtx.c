/* A stand-in for MediaMTX, the streaming server two units started at once in the incidents
 * of 2025-10-23/24/25 (shared/incidents). Like the real one it takes its ports (TCP 8554
 * RTSP, 8888 HLS, 8889 WebRTC by default); unlike it, a port already taken is retried every
 * 200 ms rather than fatal, so whichever copy is left running after lifeline stops the
 * duplicate ends up holding every port. That lets the vm_duplicates scenario assert who
 * holds them. Connections are accepted and closed.
 *   mediamtx [PORT...] */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PORTS 8

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(fd, 8) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

int main(int argc, char** argv) {
  int ports[MAX_PORTS] = {8554, 8888, 8889};
  int count = 3;
  if (argc > 1) {
    count = 0;
    for (int i = 1; i < argc && count < MAX_PORTS; i++) ports[count++] = atoi(argv[i]);
  }
  struct pollfd fds[MAX_PORTS];
  int busy_said[MAX_PORTS] = {0};
  for (int i = 0; i < count; i++) fds[i] = (struct pollfd){.fd = -1, .events = POLLIN};
  setvbuf(stderr, NULL, _IOLBF, 0);
  for (;;) {
    for (int i = 0; i < count; i++) {
      if (fds[i].fd >= 0) continue;
      fds[i].fd = listen_on(ports[i]);
      if (fds[i].fd >= 0) {
        fprintf(stderr, "mediamtx[%d]: listening on tcp/%d\n", (int)getpid(), ports[i]);
      } else if (!busy_said[i]) {
        fprintf(stderr, "mediamtx[%d]: tcp/%d: %s, retrying\n", (int)getpid(), ports[i],
                strerror(errno));
        busy_said[i] = 1;
      }
    }
    if (poll(fds, (nfds_t)count, 200) > 0) {
      for (int i = 0; i < count; i++) {
        if (fds[i].fd >= 0 && (fds[i].revents & POLLIN)) {
          int client = accept4(fds[i].fd, NULL, NULL, SOCK_CLOEXEC);
          if (client >= 0) close(client);
        }
      }
    }
  }
}
