// Any bytes, as a config file and as a board file: parsing must never crash, leak or
// throw, and a rejected file must say why, one error a line, each naming the file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "board/board_loader.hpp"
#include "config/loader.hpp"

namespace {

constexpr std::string_view kSimBoard = R"(description = "fuzz board"
hal = "sim"
[watchdog]
device = "sim"
max_timeout_s = 15
[status_led]
chip = "sim0"
line = 0
)";

const std::string kConfigPath = "/fuzz/lifeline.toml";
const std::string kBoardPath = "/fuzz/boards/fuzz.toml";

// Every line of a rejection starts with the file it is about: values from the input are
// quoted and escaped, so no input can forge or split a line.
void check_report(const lifeline::Error& error, const std::string& file) {
  if (error.message.empty() || error.errno_value != 0) std::abort();
  std::string_view rest = error.message;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    if (!rest.starts_with(file + ":")) std::abort();
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const lifeline::BoardResolver resolver = [](const std::string&, const std::string&) {
    return lifeline::parse_board(kSimBoard, kBoardPath);
  };
  auto config = lifeline::parse_config(text, kConfigPath, resolver);
  if (!config) {
    check_report(config.error(), kConfigPath);
  } else if (config->board.name != "fuzz") {
    std::abort();
  }

  auto board = lifeline::parse_board(text, kBoardPath);
  if (!board) check_report(board.error(), kBoardPath);
  return 0;
}
