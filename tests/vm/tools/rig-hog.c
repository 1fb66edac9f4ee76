/* The VM rig's memory hog for the memory-pressure scenarios: allocates and touches
 * anonymous memory STEP MiB at a time at RATE MiB/s (0 = as fast as it can), without
 * bound unless --max-mib is given, then holds it. Prints its total every 64 MiB.
 *   rig-hog [--step-mib 1] [--rate-mib-s 0] [--max-mib 0] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long arg(int argc, char** argv, const char* key, long fallback) {
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], key) == 0) return atol(argv[i + 1]);
  }
  return fallback;
}

int main(int argc, char** argv) {
  long step = arg(argc, argv, "--step-mib", 1);
  long rate = arg(argc, argv, "--rate-mib-s", 0);
  long max = arg(argc, argv, "--max-mib", 0);
  if (step < 1) step = 1;
  long total = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (max == 0 || total < max) {
    char* p = malloc((size_t)step << 20);
    if (!p) {
      printf("rig-hog: malloc failed at %ld MiB\n", total);
      break;
    }
    memset(p, 0xA5, (size_t)step << 20);
    total += step;
    if (total % 64 == 0) printf("rig-hog: %ld MiB\n", total);
    if (rate > 0) {
      long ns = 1000000000L / rate * step;
      struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
      nanosleep(&ts, NULL);
    }
  }
  printf("rig-hog: holding %ld MiB\n", total);
  for (;;) nanosleep(&(struct timespec){3600, 0}, NULL);
}
