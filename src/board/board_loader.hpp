// Loads a board file (board/*.toml): the hardware, described by role, validated completely
// (every error reported, each with the board file's own path:line:column).
#pragma once

#include <string>
#include <string_view>

#include "board/board.hpp"
#include "lifeline/expected.hpp"

namespace lifeline {

// Reads and parses `path`. Unreadable: errno_value set, message "PATH: <strerror>".
// Invalid: errno_value 0, one "PATH:LINE:COL: ..." error a line.
Expected<Board> load_board(const std::string& path);

// Parses board text; `source_path` names it in errors and its stem becomes Board::name.
Expected<Board> parse_board(std::string_view text, const std::string& source_path);

// Turns an [agent] board value into a file path. A value containing '/' is a path
// (relative ones are taken from `config_dir`); otherwise it is a board name looked up as
// NAME.toml in each directory of $LIFELINE_BOARD_PATH (colon-separated), then in the
// compiled-in LIFELINE_BOARDS_DIR. Not found: errno_value ENOENT and the places searched.
Expected<std::string> resolve_board_path(const std::string& ref, const std::string& config_dir);

}  // namespace lifeline
