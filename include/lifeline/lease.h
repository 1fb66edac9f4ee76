/* lifeline heartbeat lease: a header-only client for the robot's control app.
 *
 * "No heartbeat, no motion": lifeline lets the motors run only while the app renews its
 * lease, by sending one datagram to lifeline's unix datagram socket at least once per
 * lease timeout (beat at a third of it or more often). Wire format and permissions:
 * docs/lease.md. Plain C99 (and valid C++): static inline, no allocation, no stdio, no
 * locale; lifeline_lease_beat() never blocks and is async-signal-safe.
 *
 *   struct lifeline_lease lease;
 *   if (lifeline_lease_open(&lease, "/run/lifeline/lease.sock", "app") == 0) {
 *     for (;;) { do_control_cycle(); lifeline_lease_beat(&lease); }  // every <= timeout/3
 *   }
 *
 * The same in Python, for scripts and tests:
 *
 *   import socket, itertools, time
 *   s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
 *   for seq in itertools.count(1):
 *       s.sendto(b"LLB1 app %d\n" % seq, "/run/lifeline/lease.sock")
 *       time.sleep(0.1)
 */
#ifndef LIFELINE_LEASE_H
#define LIFELINE_LEASE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define LIFELINE_LEASE_MAX_NAME 32
/* "LLB1 " + name + " " + 20 digits + "\n" */
#define LIFELINE_LEASE_MAX_BEAT (5 + LIFELINE_LEASE_MAX_NAME + 1 + 20 + 1)

/* The fields are the client's own; an app only passes the struct around. */
struct lifeline_lease {
  uint64_t seq; /* the seq the next beat carries; starts at 1 */
  size_t name_len;
  int fd; /* -1 when closed */
  /* A union instead of a pointer cast, so the header compiles cast-free as C and C++. */
  union {
    struct sockaddr sa;
    struct sockaddr_un un;
  } addr;
  char name[LIFELINE_LEASE_MAX_NAME + 1];
};

/* Checks `name` (1 to 32 of [a-z0-9_-]) and `socket_path`, and opens the socket. The
 * socket is not connect()ed: every beat is addressed by path, so after lifeline restarts
 * (and recreates its socket file) the next beat reaches the new socket without reopening.
 * Returns 0, or -errno (-EINVAL for a bad name or a path longer than sun_path allows). On
 * failure lease->fd is -1 and lifeline_lease_close() is still safe to call. */
static inline int lifeline_lease_open(struct lifeline_lease* lease, const char* socket_path,
                                      const char* name) {
  size_t path_len;
  size_t i;
  memset(lease, 0, sizeof(*lease));
  lease->fd = -1;
  lease->seq = 1;
  if (!socket_path || !name) return -EINVAL;
  for (i = 0; name[i] != '\0'; ++i) {
    const char c = name[i];
    const int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok || i >= LIFELINE_LEASE_MAX_NAME) return -EINVAL;
  }
  if (i == 0) return -EINVAL;
  lease->name_len = i;
  memcpy(lease->name, name, i);
  path_len = strlen(socket_path);
  /* Room for the terminating NUL (the struct is zeroed): the address is then passed
   * with its full size, which Linux accepts for a NUL-terminated path. */
  if (path_len == 0 || path_len >= sizeof(lease->addr.un.sun_path)) return -EINVAL;
  lease->addr.un.sun_family = AF_UNIX;
  memcpy(lease->addr.un.sun_path, socket_path, path_len);
  lease->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (lease->fd < 0) return -errno;
  return 0;
}

/* Sends "LLB1 <name> <seq>\n" and advances seq, whether or not the send succeeded: a gap
 * in the seqs lifeline sees then tells of lost beats. Never blocks, never raises SIGPIPE.
 * Returns 0, or -errno: -ENOENT / -ECONNREFUSED while lifeline is not running, -EAGAIN
 * when its queue is full, -EACCES when this process may not write to the socket. A failed
 * beat needs no special handling: keep beating; lifeline stops the motors if none arrive. */
static inline int lifeline_lease_beat(struct lifeline_lease* lease) {
  char buf[LIFELINE_LEASE_MAX_BEAT];
  char digits[20];
  size_t count = 0;
  size_t len = 0;
  uint64_t seq;
  ssize_t sent;
  if (!lease || lease->fd < 0) return -EBADF;
  seq = lease->seq++;
  do {
    digits[count++] = "0123456789"[seq % 10u];
    seq /= 10u;
  } while (seq != 0u);
  memcpy(buf, "LLB1 ", 5);
  len = 5;
  memcpy(buf + len, lease->name, lease->name_len);
  len += lease->name_len;
  buf[len++] = ' ';
  while (count > 0) buf[len++] = digits[--count];
  buf[len++] = '\n';
  sent = sendto(lease->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, &lease->addr.sa,
                sizeof(lease->addr.un));
  if (sent < 0) return -errno;
  return 0;
}

/* Closes the socket; safe to call twice or after a failed open. */
static inline void lifeline_lease_close(struct lifeline_lease* lease) {
  if (lease && lease->fd >= 0) {
    close(lease->fd);
    lease->fd = -1;
  }
}

#endif /* LIFELINE_LEASE_H */
