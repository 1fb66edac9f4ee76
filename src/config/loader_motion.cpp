#include "config/loader_motion.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/schema.hpp"
#include "motion/http_wire.hpp"
#include "motion/lease_wire.hpp"
#include "motion/protocols/motor_protocol.hpp"

namespace lifeline::config_detail {

namespace {

using check::Checker;
using check::Scope;

constexpr std::size_t kMaxSocketPath = 107;  // sizeof(sockaddr_un::sun_path) - 1 for the NUL
constexpr std::size_t kMaxUnitName = 255;    // systemd's UNIT_NAME_MAX less the NUL
constexpr std::int64_t kMinAutoRearmMs = 1000;
constexpr std::int64_t kMinControllerTimeoutMs = 100;
constexpr std::size_t kMaxOdriveAxes = 2;

constexpr std::string_view kProtocolText =
    R"("none" or a motor protocol: "sabertooth-packetized", "sabertooth-simplified", )"
    R"("roboclaw", "pololu-compact", "pololu", "odrive" or "custom")";
constexpr std::string_view kOdriveStopText = R"("velocity-zero", "idle" or "both")";
constexpr std::string_view kAxesText = "an array of 1 or 2 distinct ODrive axes, each 0 or 1";
constexpr std::string_view kHexText = R"(hex bytes such as "80 00 00 00")";
constexpr std::string_view kUnitText = R"(a systemd service unit name such as "robot.service", )"
                                       R"(or "" for none)";
constexpr std::string_view kLeaseNameText =
    "a name of 1 to 32 characters from a-z, 0-9, '_' and '-'";
constexpr std::string_view kUrlText =
    R"("" (no probe) or an http:// URL on loopback (127.x.x.x, localhost or [::1]))";

// True when `key` is in the file but its value was not taken (it was reported).
bool rejected(const Checker& c, const Scope& s, std::string_view key, bool taken) {
  return !taken && c.node(s, key) != nullptr;
}

// A key holding "" or an absolute path; false when a given value was rejected.
bool read_optional_path(Checker& c, const Scope& s, std::string_view key,
                        std::string_view empty_means, std::string& out) {
  const std::string what = R"(an absolute path, or "" )" + std::string(empty_means);
  auto value = c.text(s, key, what);
  if (!value) return c.node(s, key) == nullptr;
  if (!value->empty() && value->front() != '/') {
    c.expected(c.position(s, key), s, key, what, check::quote(*value));
    return false;
  }
  out = std::move(*value);
  return true;
}

// A key that is 0 (meaning `zero_means`) or from `min` to the schema's maximum.
bool read_zero_or_range(Checker& c, const Scope& s, std::string_view key,
                        std::string_view zero_means, std::int64_t min, Millis& out) {
  const schema::Key* spec = schema::find(schema::config_keys(), s.section, key);
  const std::int64_t max = spec != nullptr ? spec->max : min;
  const std::string what = "0 (" + std::string(zero_means) + ") or " +
                           check::integer_range_text(min, max, spec != nullptr ? spec->unit : "");
  auto value = c.any_integer(s, key, what);
  if (!value) return c.node(s, key) == nullptr;
  if (*value != 0 && (*value < min || *value > max)) {
    c.expected(c.position(s, key), s, key, what, std::to_string(*value));
    return false;
  }
  out = Millis(*value);
  return true;
}

bool is_protocol_name(std::string_view name) {
  return name == "none" || motion::parse_motor_protocol(name).has_value();
}

std::optional<motion::OdriveStopMode> parse_odrive_stop(std::string_view name) {
  if (name == "velocity-zero") return motion::OdriveStopMode::velocity_zero;
  if (name == "idle") return motion::OdriveStopMode::idle;
  if (name == "both") return motion::OdriveStopMode::both;
  return std::nullopt;
}

// An enumeration key: stored when it is one of the accepted names.
bool read_choice(Checker& c, const Scope& s, std::string_view key, std::string_view what,
                 bool (*accepted)(std::string_view), std::string& out) {
  auto value = c.text(s, key, what);
  if (!value) return c.node(s, key) == nullptr;
  if (!accepted(*value)) {
    c.expected(c.position(s, key), s, key, what, check::quote(*value));
    return false;
  }
  out = std::move(*value);
  return true;
}

bool read_odrive_axes(Checker& c, const Scope& s, std::vector<std::uint8_t>& out) {
  const toml::node* node = c.node(s, "odrive_axes");
  if (node == nullptr) return true;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    c.expected(node->source().begin, s, "odrive_axes", kAxesText, check::describe(*node));
    return false;
  }
  if (array->empty() || array->size() > kMaxOdriveAxes) {
    c.expected(node->source().begin, s, "odrive_axes", kAxesText,
               array->empty() ? std::string("an empty array")
                              : "an array of " + std::to_string(array->size()) + " values");
    return false;
  }
  std::vector<std::uint8_t> axes;
  for (const toml::node& element : *array) {
    const auto* integer = element.as_integer();
    if (integer == nullptr || integer->get() < 0 || integer->get() > 1) {
      c.expected(element.source().begin, s, "odrive_axes", kAxesText,
                 "an array holding " + (integer != nullptr ? std::to_string(integer->get())
                                                           : check::describe(element)));
      return false;
    }
    const auto axis = static_cast<std::uint8_t>(integer->get());
    if (std::find(axes.begin(), axes.end(), axis) != axes.end()) {
      c.expected(element.source().begin, s, "odrive_axes", kAxesText,
                 "axis " + std::to_string(axis) + " twice");
      return false;
    }
    axes.push_back(axis);
  }
  out = std::move(axes);
  return true;
}

// A unit lifeline can watch over sd-bus: a name systemd accepts, of a service, and not a
// bare template ("name@.service" has no instance to run).
bool valid_service_unit(std::string_view unit) {
  constexpr std::string_view kSuffix = ".service";
  if (unit.size() <= kSuffix.size() || unit.size() > kMaxUnitName || !unit.ends_with(kSuffix)) {
    return false;
  }
  const std::string_view stem = unit.substr(0, unit.size() - kSuffix.size());
  const bool chars_ok = std::all_of(stem.begin(), stem.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == ':' || ch == '-' || ch == '_' || ch == '.' || ch == '\\' || ch == '@';
  });
  const std::size_t at = stem.find('@');
  const bool at_ok = at == std::string_view::npos ||
                     (at != 0 && at + 1 < stem.size() && stem.find('@', at + 1) == stem.npos);
  return chars_ok && at_ok;
}

// The parts of [motion] the frame builder needs, and whether each was read cleanly.
struct FrameInputs {
  bool protocol_ok = true;
  bool rest_ok = true;  // address, odrive_axes, odrive_stop, custom_stop_hex, controller timeout
  std::vector<std::uint8_t> custom_stop;
};

void read_motion_keys(Checker& c, const Scope& s, MotionConfig& out, FrameInputs& in,
                      bool& enable_line_ok) {
  c.reject_unknown(s);
  if (auto enabled = c.boolean(s, "enabled")) out.enabled = *enabled;
  if (auto category = c.any_integer(s, "stop_category", "0 or 1 (the IEC 60204-1 stop category)")) {
    if (*category == 0 || *category == 1) {
      out.stop_category = static_cast<int>(*category);
    } else {
      c.expected(c.position(s, "stop_category"), s, "stop_category",
                 "0 or 1 (the IEC 60204-1 stop category)", std::to_string(*category));
    }
  }
  if (auto ms = c.integer(s, "cat1_delay_ms")) out.cat1_delay = Millis(*ms);
  if (auto ms = c.integer(s, "stop_repeat_ms")) out.stop_repeat = Millis(*ms);
  read_zero_or_range(c, s, "auto_rearm_after_ms", "only an operator re-arms", kMinAutoRearmMs,
                     out.auto_rearm_after);
  const auto enable_line = c.boolean(s, "use_enable_line");
  if (enable_line) out.use_enable_line = *enable_line;
  enable_line_ok = !rejected(c, s, "use_enable_line", enable_line.has_value());
  read_optional_path(c, s, "serial_device", "for the board's motor_serial device",
                     out.serial_device);
  in.protocol_ok = read_choice(c, s, "protocol", kProtocolText, is_protocol_name, out.protocol);

  bool ok = true;
  if (auto address = c.integer(s, "address")) {
    out.address = static_cast<std::uint32_t>(*address);
  } else {
    ok = c.node(s, "address") == nullptr;
  }
  ok = read_odrive_axes(c, s, out.odrive_axes) && ok;
  ok = read_choice(
           c, s, "odrive_stop", kOdriveStopText,
           [](std::string_view name) { return parse_odrive_stop(name).has_value(); },
           out.odrive_stop) &&
       ok;
  if (auto hex = c.text(s, "custom_stop_hex", kHexText)) {
    if (hex->empty()) {
      out.custom_stop_hex.clear();
    } else if (auto bytes = motion::parse_hex_bytes(*hex)) {
      out.custom_stop_hex = std::move(*hex);
      in.custom_stop = std::move(*bytes);
    } else {
      c.expected(c.position(s, "custom_stop_hex"), s, "custom_stop_hex", kHexText,
                 check::quote(*hex) + " (" + bytes.error().message + ")");
      ok = false;
    }
  } else {
    ok = ok && c.node(s, "custom_stop_hex") == nullptr;
  }
  ok = read_zero_or_range(c, s, "controller_timeout_ms", "off", kMinControllerTimeoutMs,
                          out.controller_timeout) &&
       ok;
  in.rest_ok = ok;
  if (auto reset = c.boolean(s, "reset_board_on_output_failure")) {
    out.reset_board_on_output_failure = *reset;
  }
}

// False when a detector key was given a value that was rejected.
bool read_app(Checker& c, const Scope& s, AppConfig& out) {
  c.reject_unknown(s);
  bool ok = read_optional_path(c, s, "pidfile", "for none", out.pidfile);
  ok = read_optional_path(c, s, "exe", "for none", out.exe) && ok;
  if (auto unit = c.text(s, "unit", kUnitText)) {
    if (unit->empty() || valid_service_unit(*unit)) {
      out.unit = std::move(*unit);
    } else {
      c.expected(c.position(s, "unit"), s, "unit", kUnitText, check::quote(*unit));
      ok = false;
    }
  } else {
    ok = ok && c.node(s, "unit") == nullptr;
  }
  if (auto ms = c.integer(s, "resolve_interval_ms")) out.resolve_interval = Millis(*ms);
  if (auto deaths = c.integer(s, "crash_loop_deaths")) {
    out.crash_loop_deaths = static_cast<std::uint32_t>(*deaths);
  }
  if (auto window = c.integer(s, "crash_loop_window_s")) out.crash_loop_window = Seconds(*window);
  if (auto stop = c.boolean(s, "stop_unit_on_crash_loop")) out.stop_unit_on_crash_loop = *stop;
  if (out.stop_unit_on_crash_loop && out.unit.empty() && ok) {
    c.warn(c.position(s, "stop_unit_on_crash_loop"), s, "stop_unit_on_crash_loop",
           "has no effect without a unit; set unit to the app's .service");
  }
  return ok;
}

bool read_lease(Checker& c, const Scope& s, const AgentConfig& agent, MotionConfig& out) {
  c.reject_unknown(s);
  LeaseConfig& lease = out.lease;
  const auto enabled = c.boolean(s, "enabled");
  if (enabled) out.lease_enabled = *enabled;
  bool ok = !rejected(c, s, "enabled", enabled.has_value());
  if (auto socket = c.absolute_path(s, "socket")) {
    if (socket->size() > kMaxSocketPath) {
      c.expected(c.position(s, "socket"), s, "socket",
                 "an absolute path of at most 107 bytes (the sun_path limit)",
                 "a path of " + std::to_string(socket->size()) + " bytes");
    } else if (out.lease_enabled && *socket == agent.control_socket) {
      c.expected(c.position(s, "socket"), s, "socket", "a path other than [agent] control_socket",
                 check::quote(*socket));
    } else {
      lease.socket_path = std::move(*socket);
    }
  }
  if (auto name = c.text(s, "name", kLeaseNameText)) {
    if (is_valid_lease_name(*name)) {
      lease.name = std::move(*name);
    } else {
      c.expected(c.position(s, "name"), s, "name", kLeaseNameText, check::quote(*name));
    }
  }
  if (auto ms = c.integer(s, "timeout_ms")) lease.timeout = Millis(*ms);
  if (auto uid = c.integer(s, "allowed_uid")) {
    lease.allowed_uid = *uid < 0 ? std::nullopt : std::optional<uid_t>(static_cast<uid_t>(*uid));
  }
  if (auto rate = c.integer(s, "max_datagrams_per_second")) {
    lease.max_datagrams_per_second = static_cast<std::uint32_t>(*rate);
  }
  return ok;
}

// The reason parse_probe_url gives, without its echo of the URL (the message quotes it).
std::string url_reason(const std::string& url, const std::string& message) {
  const std::string echo = "probe URL \"" + url + "\": ";
  return message.starts_with(echo) ? message.substr(echo.size()) : message;
}

bool read_http_probe(Checker& c, const Scope& s, HttpProbeConfig& out) {
  c.reject_unknown(s);
  bool ok = true;
  if (auto url = c.text(s, "url", kUrlText)) {
    auto parsed = url->empty() ? Expected<HttpUrl>(HttpUrl{}) : parse_probe_url(*url);
    if (parsed) {
      out.url = std::move(*url);
    } else {
      c.expected(c.position(s, "url"), s, "url", kUrlText,
                 check::quote(*url) + " (" + url_reason(*url, parsed.error().message) + ")");
      ok = false;
    }
  } else {
    ok = c.node(s, "url") == nullptr;
  }
  const auto interval = c.integer(s, "interval_ms");
  if (interval) out.interval = Millis(*interval);
  if (interval && c.node(s, "timeout_ms") == nullptr && out.timeout >= out.interval) {
    // The default timeout does not fit a short interval: say so where the choice was made.
    const schema::Key* spec = schema::find(schema::config_keys(), s.section, "interval_ms");
    c.expected(
        c.position(s, "interval_ms"), s, "interval_ms",
        check::integer_range_text(out.timeout.count() + 1,
                                  spec != nullptr ? spec->max : out.timeout.count() + 1, "ms") +
            ", more than timeout_ms = " + std::to_string(out.timeout.count()) +
            " (the default; or set a shorter timeout_ms)",
        std::to_string(*interval));
  }
  if (auto timeout = c.integer(s, "timeout_ms")) {
    // A probe still waiting when the next one is due would overlap it.
    if (*timeout >= out.interval.count()) {
      if (!rejected(c, s, "interval_ms", interval.has_value())) {
        const schema::Key* spec = schema::find(schema::config_keys(), s.section, "timeout_ms");
        c.expected(c.position(s, "timeout_ms"), s, "timeout_ms",
                   check::integer_range_text(spec != nullptr ? spec->min : 0,
                                             out.interval.count() - 1, "ms") +
                       ", less than interval_ms = " + std::to_string(out.interval.count()),
                   std::to_string(*timeout));
      }
    } else {
      out.timeout = Millis(*timeout);
    }
  }
  if (auto failures = c.integer(s, "failures")) {
    out.failures_to_trip = static_cast<std::uint32_t>(*failures);
  }
  return ok;
}

// Builds the protocol's frames as the stop path will, so anything the protocol cannot
// express (an address out of its range, a timeout it cannot set) stops the load.
void validate_motor_frames(Checker& c, const Scope& s, const MotionConfig& m,
                           const FrameInputs& in) {
  if (!in.protocol_ok || !in.rest_ok || m.protocol == "none") return;
  const auto protocol = motion::parse_motor_protocol(m.protocol);
  const auto stop = parse_odrive_stop(m.odrive_stop);
  if (!protocol || !stop) return;  // reported while reading
  if (*protocol == motion::MotorProtocol::custom && in.custom_stop.empty()) {
    // Reported where the frame belongs; the protocol key demands it.
    const bool given = c.node(s, "custom_stop_hex") != nullptr;
    c.expected(c.position(s, given ? "custom_stop_hex" : "protocol"), s, "custom_stop_hex",
               std::string(kHexText) + R"( (the stop frame protocol = "custom" writes))",
               given ? std::string(R"("")") : "nothing (required with protocol = \"custom\")");
    return;
  }
  motion::MotorProtocolConfig config;
  config.protocol = *protocol;
  config.address = static_cast<std::uint8_t>(m.address);
  config.odrive_axes = m.odrive_axes;
  config.odrive_stop = *stop;
  config.custom_stop = in.custom_stop;
  config.controller_timeout = m.controller_timeout;
  auto frames = motion::build_motor_frames(config);
  if (!frames) {
    c.expected(c.position(s, "protocol"), s, "protocol",
               "settings protocol " + check::quote(m.protocol) + " can build its frames from",
               frames.error().message);
  }
}

}  // namespace

MotionScopes read_motion(Checker& c, const toml::table& root, const AgentConfig& agent,
                         MotionConfig& out) {
  MotionScopes scopes;
  scopes.motion = c.section(root, "motion");
  scopes.app = c.subsection(scopes.motion, "app");
  scopes.lease = c.subsection(scopes.motion, "lease");
  scopes.http_probe = c.subsection(scopes.motion, "http_probe");
  const Scope& s = scopes.motion;

  FrameInputs frame_inputs;
  bool enable_line_ok = true;
  read_motion_keys(c, s, out, frame_inputs, enable_line_ok);
  bool detectors_ok = read_app(c, scopes.app, out.app);
  detectors_ok = read_lease(c, scopes.lease, agent, out) && detectors_ok;
  detectors_ok = read_http_probe(c, scopes.http_probe, out.http_probe) && detectors_ok;
  validate_motor_frames(c, s, out, frame_inputs);
  if (!frame_inputs.custom_stop.empty() && frame_inputs.protocol_ok && out.protocol != "custom") {
    c.warn(c.position(s, "custom_stop_hex"), s, "custom_stop_hex",
           "is ignored: protocol is " + check::quote(out.protocol) + ", not \"custom\"");
  }

  if (!out.enabled) return scopes;
  const AppConfig& app = out.app;
  const bool any_detector = !app.pidfile.empty() || !app.exe.empty() || !app.unit.empty() ||
                            out.lease_enabled || !out.http_probe.url.empty();
  if (!any_detector && detectors_ok) {
    c.expected(c.position(s, "enabled"), s, "enabled",
               "false, or at least one detector ([motion.app] pidfile, exe or unit, "
               "[motion.lease] enabled, or a [motion.http_probe] url)",
               "true with none configured");
  }
  if (!enable_line_ok || !frame_inputs.protocol_ok) return scopes;
  const bool has_protocol = out.protocol != "none";
  if (!out.use_enable_line && !has_protocol) {
    c.expected(c.position(s, "enabled"), s, "enabled",
               R"(false, or a way to stop the motors (use_enable_line = true or a protocol))",
               R"(true with use_enable_line = false and protocol = "none")");
  } else if (out.stop_category == 1 && (!out.use_enable_line || !has_protocol)) {
    // Category 1 is a controlled stop (the stop frame) followed by removal of power (the
    // enable line); without either it would promise a stop it cannot make.
    c.expected(c.position(s, "stop_category"), s, "stop_category",
               "0, or 1 with both a protocol (the controlled stop) and use_enable_line = true "
               "(power removed after cat1_delay_ms)",
               has_protocol ? std::string("1 with use_enable_line = false")
                            : std::string(R"(1 with protocol = "none")"));
  }
  return scopes;
}

void check_motion_against_board(Checker& c, const MotionScopes& scopes, const Config& config) {
  const MotionConfig& m = config.motion;
  const Scope& s = scopes.motion;
  if (!m.enabled) return;
  const std::string board = check::quote(config.board.name);
  const toml::node* enable_line = c.node(s, "use_enable_line");
  if (m.use_enable_line && !config.board.motor_enable &&
      (enable_line == nullptr || enable_line->is_boolean())) {
    c.expected(c.position(s, "use_enable_line"), s, "use_enable_line",
               "false when the board has no motor_enable line",
               std::string("true") + (enable_line == nullptr ? " (the default)" : "") + " (board " +
                   board + " has no [motor_enable])");
  }
  const toml::node* device = c.node(s, "serial_device");
  const bool device_taken =
      device == nullptr || (device->is_string() && device->as_string()->get() == m.serial_device);
  const toml::node* protocol = c.node(s, "protocol");
  const bool protocol_taken =
      protocol == nullptr || (protocol->is_string() && protocol->as_string()->get() == m.protocol);
  if (m.protocol != "none" && protocol_taken && device_taken && m.serial_device.empty() &&
      !config.board.motor_serial) {
    c.expected(c.position(s, "protocol"), s, "protocol",
               R"("none" when there is no serial device (set serial_device, or use a board )"
               R"(with [motor_serial]))",
               check::quote(m.protocol) + " (board " + board + " has no [motor_serial])");
  }
}

}  // namespace lifeline::config_detail
