// A process that uses memory on purpose, for the memory guard's host tests: joins a cgroup,
// takes a name, holds some MiB at once and then grows at a steady rate, touching every page
// so the memory is really resident. Prints "ready <pid>" once it holds its first block.
//   memory_hog [--cgroup DIR] [--name COMM] [--hold MIB] [--rate MIB_PER_S] [--max MIB]
//              [--delay SECONDS]   (growth starts after this)
//              [--mark MIB --times FILE]  (CLOCK_MONOTONIC ns when MIB were reached, and
//                                          when SIGTERM arrived, appended to FILE)
#include <fcntl.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

int g_times_fd = -1;

long long monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

void write_time(const char* what) {
  if (g_times_fd < 0) return;
  char line[64];
  const int n = std::snprintf(line, sizeof line, "%s %lld\n", what, monotonic_ns());
  if (n > 0) (void)!write(g_times_fd, line, static_cast<std::size_t>(n));
}

void on_sigterm(int /*signo*/) {
  write_time("sigterm");  // snprintf and write: fine for a benchmark's handler
  _exit(0);
}

constexpr std::size_t kMiB = 1024 * 1024;

void touch_new_block(std::vector<char*>& blocks) {
  auto* block = static_cast<char*>(std::malloc(kMiB));
  if (block == nullptr) return;
  std::memset(block, 0x5a, kMiB);  // resident, not just reserved
  blocks.push_back(block);
}

}  // namespace

int main(int argc, char** argv) {
  std::string cgroup;
  std::string name;
  long hold = 0;
  double rate = 0;
  long max = 1 << 20;
  double delay = 0;
  long mark = -1;
  std::string times;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--cgroup") cgroup = value;
    if (key == "--name") name = value;
    if (key == "--hold") hold = std::atol(value);
    if (key == "--rate") rate = std::atof(value);
    if (key == "--max") max = std::atol(value);
    if (key == "--delay") delay = std::atof(value);
    if (key == "--mark") mark = std::atol(value);
    if (key == "--times") times = value;
  }
  if (!cgroup.empty()) {
    std::ofstream procs(cgroup + "/cgroup.procs");
    procs << getpid() << std::endl;
    if (!procs) {
      std::fprintf(stderr, "memory_hog: cannot join %s\n", cgroup.c_str());
      return 2;
    }
  }
  if (!name.empty()) prctl(PR_SET_NAME, name.c_str(), 0, 0, 0);
  if (!times.empty()) {
    g_times_fd = ::open(times.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    std::signal(SIGTERM, on_sigterm);
  }
  std::vector<char*> blocks;
  for (long i = 0; i < hold; ++i) touch_new_block(blocks);
  std::printf("ready %d\n", getpid());
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (rate <= 0) continue;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() - delay;
    if (seconds < 0) continue;
    const auto target = static_cast<long>(static_cast<double>(hold) + rate * seconds);
    while (static_cast<long>(blocks.size()) < std::min(target, max)) {
      touch_new_block(blocks);
      if (static_cast<long>(blocks.size()) == mark) write_time("mark");
    }
  }
}
