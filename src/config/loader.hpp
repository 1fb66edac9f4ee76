// Loads lifeline's config file and the board it names, validated completely before
// anything starts: every error is reported in one go, one a line, as
//   FILE:LINE:COL: [section] key: expected <what>, found <what>
// Unknown keys are errors too: a typo must not silently disable a safety feature.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "board/board.hpp"
#include "config/config.hpp"
#include "lifeline/expected.hpp"

namespace lifeline {

inline constexpr const char* kDefaultConfigPath = "/etc/lifeline/lifeline.toml";

// Loads the board an [agent] board value names. `config_dir` is the config file's
// directory, for relative paths. Contract: a board that could not be found or read is an
// Error with errno_value != 0 and a short reason (the config loader adds the config
// file's position); a board file with errors is an Error with errno_value 0 whose message
// is already one "BOARD_FILE:LINE:COL: ..." line per error.
using BoardResolver =
    std::function<Expected<Board>(const std::string& board_ref, const std::string& config_dir)>;

// resolve_board_path() then load_board().
BoardResolver default_board_resolver();

// Reads `path` (missing or unreadable: an Error naming the file, with errno) and parses it
// with the default board resolver.
Expected<Config> load_config(const std::string& path);
Expected<Config> load_config(const std::string& path, const BoardResolver& resolver);

// Parses config text. `source_path` names the file in messages and locates relative board
// paths. On success Config::warnings holds accepted-but-suspicious settings.
Expected<Config> parse_config(std::string_view text, const std::string& source_path,
                              const BoardResolver& resolver);

}  // namespace lifeline
