#include "hal/linux/gpiod_output_line.hpp"

#include <gpiod.h>

#include <cerrno>
#include <memory>

namespace lifeline::hal {

namespace {

int request_flags(const LineRole& line) {
  int flags = line.active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
  switch (line.bias) {
    case LineBias::as_is:
      break;
    case LineBias::disabled:
      flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE;
      break;
    case LineBias::pull_up:
      flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP;
      break;
    case LineBias::pull_down:
      flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
      break;
  }
  return flags;
}

}  // namespace

Expected<std::unique_ptr<GpiodOutputLine>> GpiodOutputLine::request(const std::string& role,
                                                                    const LineRole& line,
                                                                    bool initial) {
  std::unique_ptr<GpiodOutputLine> out(new GpiodOutputLine());
  out->description_ = role + " (" + line.chip + " line " + std::to_string(line.offset) + ")";
  out->chip_ = gpiod_chip_open_lookup(line.chip.c_str());
  if (out->chip_ == nullptr) {
    return errno_error(role + ": cannot open GPIO chip '" + line.chip + "'");
  }
  out->line_ = gpiod_chip_get_line(out->chip_, line.offset);
  if (out->line_ == nullptr) {
    return errno_error(role + ": chip '" + line.chip + "' has no line " +
                       std::to_string(line.offset));
  }
  if (gpiod_line_is_used(out->line_)) {
    const char* holder = gpiod_line_consumer(out->line_);
    return Error{EBUSY, out->description_ + " is busy: held by consumer '" +
                            std::string(holder != nullptr ? holder : "unnamed") + "'"};
  }
  gpiod_line_request_config config{"lifeline", GPIOD_LINE_REQUEST_DIRECTION_OUTPUT,
                                   request_flags(line)};
  if (gpiod_line_request(out->line_, &config, initial ? 1 : 0) != 0) {
    return errno_error(out->description_ + ": request as output failed");
  }
  out->value_ = initial;
  return out;
}

GpiodOutputLine::~GpiodOutputLine() {
  if (line_ != nullptr) gpiod_line_release(line_);
  if (chip_ != nullptr) gpiod_chip_close(chip_);
}

Status GpiodOutputLine::set(bool active) {
  if (gpiod_line_set_value(line_, active ? 1 : 0) != 0) {
    return Error{errno, "GPIO set_value failed"};
  }
  value_ = active;
  return ok_status();
}

}  // namespace lifeline::hal
