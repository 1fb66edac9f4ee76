// `lifeline passwd`: sets the rescue page's password, stored only as a yescrypt hash in
// [rescue] password_file (or --file). Reads it twice from the terminal with echo off, or
// one line from standard input when that is not a terminal (scripts, tests).
#pragma once

#include <string>

namespace lifeline::cli {

struct PasswdOptions {
  std::string config_path;
  std::string file;  // overrides the config's password_file
};

int passwd(const PasswdOptions& options);

}  // namespace lifeline::cli
