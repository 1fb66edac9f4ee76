// Any bytes as /proc/cmdline for doctor's serial-console check: never a crash, and every
// console name it returns is a non-empty word without its options.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "doctor/self_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto consoles = lifeline::doctor::kernel_consoles(text);
  std::size_t mentions = 0;
  for (std::size_t at = text.find("console="); at != std::string_view::npos;
       at = text.find("console=", at + 1)) {
    ++mentions;
  }
  if (consoles.size() > mentions) std::abort();
  for (const std::string& name : consoles) {
    if (name.empty() || name.find_first_of(", \t\n") != std::string::npos) std::abort();
    if (text.find("console=" + name) == std::string_view::npos) std::abort();
  }
  return 0;
}
