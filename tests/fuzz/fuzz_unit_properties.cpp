// Any bytes as systemd's answers about units: a GetAll a{sv} reply built from the input
// (property names from the ones lifeline reads and a few it does not, each with a value
// of the right or a wrong type, ExecStart with any number of commands and arguments), a
// ListUnits and a ListUnitFiles reply; then the pure decisions on what was read. Reading
// must never crash or leak; a read unit's facts only come from the message; every
// program exec_programs names is non-empty; boot_reason says one of its five answers.
//
// Input: a stream of records, each [selector byte][length byte][length bytes of text].
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "exclusivity/unit_facts.hpp"
#include "exclusivity/unit_properties.hpp"

using namespace lifeline::exclusivity;

namespace {

struct Input {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t at = 0;
  bool more() const { return at < size; }
  std::uint8_t byte() { return at < size ? data[at++] : 0; }
  std::string text() {
    const std::size_t length = byte();
    std::string out;
    for (std::size_t i = 0; i < length && at < size; ++i) out += static_cast<char>(data[at++]);
    return out;
  }
};

// A connection that never talks: only there so messages can be built and read back.
struct Builder {
  int fds[2] = {-1, -1};
  sd_bus* bus = nullptr;
  Builder() {
    ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
    sd_bus_new(&bus);
    sd_bus_set_fd(bus, fds[0], fds[0]);
    sd_bus_start(bus);
  }
  ~Builder() {
    sd_bus_close_unref(bus);  // no flush: there is no peer
    ::close(fds[1]);
  }
  sd_bus_message* message() {
    sd_bus_message* m = nullptr;
    sd_bus_message_new_method_call(bus, &m, "a.b", "/a", "a.b", "X");
    return m;
  }
};

Builder& builder() {
  static Builder b;
  return b;
}

// Appends one property; text that D-Bus refuses (not UTF-8, embedded NUL) fails the append.
int append_property(sd_bus_message* m, Input& in) {
  static constexpr std::array<const char*, 9> kNames{
      "ActiveState",  "UnitFileState", "UnitFilePreset",
      "FragmentPath", "ControlGroup",  "MainPID",
      "ExecStart",    "NRestarts",     "Id"};
  const std::uint8_t selector = in.byte();
  const char* name = kNames[selector % kNames.size()];
  int r = sd_bus_message_open_container(m, 'e', "sv");
  if (r >= 0) r = sd_bus_message_append(m, "s", name);
  if (r < 0) return r;
  switch ((selector / kNames.size()) % 4) {
    case 0:
      r = sd_bus_message_append(m, "v", "s", in.text().c_str());
      break;
    case 1:
      r = sd_bus_message_append(m, "v", "u", static_cast<std::uint32_t>(in.byte()) << 8);
      break;
    case 2:
      r = sd_bus_message_append(m, "v", "as", 1, in.text().c_str());
      break;
    default: {
      r = sd_bus_message_open_container(m, 'v', "a(sasbttttuii)");
      if (r >= 0) r = sd_bus_message_open_container(m, 'a', "(sasbttttuii)");
      const int commands = in.byte() % 4;
      for (int c = 0; c < commands && r >= 0; ++c) {
        r = sd_bus_message_open_container(m, 'r', "sasbttttuii");
        if (r >= 0) r = sd_bus_message_append(m, "s", in.text().c_str());
        if (r >= 0) r = sd_bus_message_open_container(m, 'a', "s");
        const int args = in.byte() % 6;
        for (int a = 0; a < args && r >= 0; ++a)
          r = sd_bus_message_append(m, "s", in.text().c_str());
        if (r >= 0) r = sd_bus_message_close_container(m);
        if (r >= 0) r = sd_bus_message_append(m, "bttttuii", 0, 0ULL, 0ULL, 0ULL, 0ULL, 0U, 0, 0);
        if (r >= 0) r = sd_bus_message_close_container(m);
      }
      if (r >= 0) r = sd_bus_message_close_container(m);
      if (r >= 0) r = sd_bus_message_close_container(m);
    }
  }
  return r < 0 ? r : sd_bus_message_close_container(m);
}

void judge(const UnitFact& unit, const std::string& binary) {
  for (const ExecCommand& command : unit.exec_start) {
    for (const std::string& program : exec_programs(command)) {
      if (program.empty()) std::abort();
    }
  }
  (void)unit_runs_binary(unit, binary);
  const std::string why = boot_reason(unit);
  if (!(why.empty() || why == "enabled" || why == "enabled by preset" || why == "enabled-runtime" ||
        why == "preset would enable")) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in{data, size};
  const std::string binary = in.text();
  sd_bus_message* m = builder().message();
  int r = sd_bus_message_open_container(m, 'a', "{sv}");
  for (int i = 0; i < 16 && in.more() && r >= 0; ++i) r = append_property(m, in);
  if (r >= 0) r = sd_bus_message_close_container(m);
  if (r >= 0 && sd_bus_message_seal(m, 1, 0) >= 0 && sd_bus_message_rewind(m, 1) >= 0) {
    UnitFact unit;
    if (read_unit_properties(m, unit) >= 0) judge(unit, binary);
  }
  sd_bus_message_unref(m);

  // The same text as ListUnitFiles rows: every kept row is a service file's name.
  m = builder().message();
  r = sd_bus_message_open_container(m, 'a', "(ss)");
  for (int i = 0; i < 8 && in.more() && r >= 0; ++i) {
    const std::string path = in.text();
    r = sd_bus_message_append(m, "(ss)", path.c_str(), in.text().c_str());
  }
  if (r >= 0) r = sd_bus_message_close_container(m);
  if (r >= 0 && sd_bus_message_seal(m, 2, 0) >= 0 && sd_bus_message_rewind(m, 1) >= 0) {
    std::vector<ListedUnitFile> files;
    if (read_list_unit_files(m, files) >= 0) {
      for (const ListedUnitFile& f : files) {
        if (!f.name.ends_with(".service") || f.name.find('/') != std::string::npos) std::abort();
        (void)may_start_at_boot(f.state);
      }
    }
  }
  sd_bus_message_unref(m);
  return 0;
}
