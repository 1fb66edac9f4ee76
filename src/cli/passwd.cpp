#include "cli/passwd.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "config/loader.hpp"
#include "rescue/password.hpp"

namespace lifeline::cli {

namespace {

// One line from stdin; with `prompt`, on a terminal with echo off.
bool read_secret(const char* prompt, std::string& out) {
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (tty) {
    std::fprintf(stderr, "%s", prompt);
    ::tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  const bool got = static_cast<bool>(std::getline(std::cin, out));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::fprintf(stderr, "\n");
  }
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return got;
}

}  // namespace

int passwd(const PasswdOptions& options) {
  std::string file = options.file;
  if (file.empty()) {
    auto config = load_config(options.config_path);
    if (!config) {
      std::fprintf(stderr, "lifeline passwd: configuration rejected:\n%s\n",
                   config.error().message.c_str());
      return 78;
    }
    file = config->rescue.password_file;
  }
  std::string password;
  if (!read_secret("New rescue page password: ", password)) {
    std::fprintf(stderr, "lifeline passwd: no password given\n");
    return 1;
  }
  if (::isatty(STDIN_FILENO) != 0) {
    std::string again;
    if (!read_secret("Again: ", again) || again != password) {
      std::fprintf(stderr, "lifeline passwd: the two entries differ; nothing changed\n");
      return 1;
    }
  }
  auto hash = rescue::hash_password(password);
  if (!hash) {
    std::fprintf(stderr, "lifeline passwd: %s\n", hash.error().message.c_str());
    return 1;
  }
  if (auto written = rescue::write_password_hash(file, *hash); !written) {
    std::fprintf(stderr, "lifeline passwd: %s\n", written.error().message.c_str());
    return 1;
  }
  std::printf("rescue page password set (yescrypt hash in %s); it applies at the next login\n",
              file.c_str());
  return 0;
}

}  // namespace lifeline::cli
