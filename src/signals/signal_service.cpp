#include "signals/signal_service.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <utility>

namespace lifeline::signals {

namespace {

constexpr std::chrono::seconds kMaxLocate{3600};

std::string clock_text(int minute) {
  char text[8];
  std::snprintf(text, sizeof text, "%02d:%02d", (minute / 60) % 24, minute % 60);
  return text;
}

}  // namespace

int local_minute_of_day(hal::WallTime time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm local{};
  if (localtime_r(&seconds, &local) == nullptr) return -1;
  return local.tm_hour * 60 + local.tm_min;
}

SignalService::SignalService(EventLoop& loop, const hal::Clock& clock,
                             std::unique_ptr<hal::OutputLine> led,
                             std::unique_ptr<hal::OutputLine> led_secondary,
                             std::unique_ptr<hal::OutputLine> buzzer, SignalSettings settings,
                             FailureCallback on_output_failure)
    : loop_(loop),
      clock_(clock),
      led_("status_led", std::move(led)),
      led_secondary_("status_led_secondary", std::move(led_secondary)),
      buzzer_("buzzer", std::move(buzzer)),
      settings_(settings),
      on_output_failure_(std::move(on_output_failure)),
      policy_(settings.buzzer_reminder) {}

SignalService::~SignalService() = default;

Status SignalService::start() {
  if (started_) return ok_status();
  if (auto prepared = loop_.prepare_oneshot(timer_, "signals", [this] { on_timer(); }); !prepared) {
    return prepared;
  }
  started_ = true;
  if (stopping_) return ok_status();
  const hal::MonoTime now = clock_.now();
  select_leds(now);
  select_buzzer(now);
  apply(now);
  return ok_status();
}

void SignalService::on_faults_changed(const std::vector<ActiveFault>& active) {
  active_ = active;
  if (stopping_) return;
  const hal::MonoTime now = clock_.now();
  if (auto alert = policy_.on_faults_changed(active_, now, quiet_now())) start_alert(*alert, now);
  select_leds(now);
  apply(now);
}

void SignalService::locate(std::chrono::seconds duration) {
  if (stopping_) return;
  const hal::MonoTime now = clock_.now();
  if (duration <= std::chrono::seconds(0)) {
    locate_until_.reset();
  } else {
    if (!locate_until_) locate_since_ = now;  // extending a locate keeps its phase
    locate_until_ = now + std::min(duration, kMaxLocate);
  }
  select_leds(now);
  select_buzzer(now);
  apply(now);
}

void SignalService::set_quiet(bool quiet) {
  SignalSettings next = settings_;
  next.quiet = quiet;
  apply_settings(next);
}

void SignalService::apply_settings(const SignalSettings& settings) {
  settings_ = settings;
  policy_.set_reminder(settings.buzzer_reminder);
  if (stopping_) return;
  const hal::MonoTime now = clock_.now();
  if (quiet_now()) alert_ = nullptr;  // silence a playing alert at once
  select_buzzer(now);
  apply(now);
}

void SignalService::shutdown() {
  stopping_ = true;
  locate_until_.reset();
  alert_ = nullptr;
  const hal::MonoTime now = clock_.now();
  select_leds(now);
  play(buzzer_, &patterns().off, now);
  drive(led_, false);
  drive(led_secondary_, false);
  drive(buzzer_, false);
  timer_.disarm();
  report_failures();
}

bool SignalService::quiet_now() const {
  if (settings_.quiet) return true;
  if (settings_.quiet_start_minute < 0 || settings_.quiet_end_minute < 0) return false;
  return in_quiet_window(local_minute_of_day(clock_.wall_now()), settings_.quiet_start_minute,
                         settings_.quiet_end_minute);
}

void SignalService::on_timer() {
  if (stopping_) return;
  const hal::MonoTime now = clock_.now();
  if (locate_until_ && now >= *locate_until_) {
    locate_until_.reset();
    select_leds(now);
    select_buzzer(now);
  }
  if (alert_ != nullptr && buzzer_.player.finished(now)) select_buzzer(now);
  if (const auto due = policy_.next_reminder(); due && now >= *due) {
    if (auto reminder = policy_.on_tick(now, quiet_now())) start_alert(*reminder, now);
  }
  apply(now);
}

void SignalService::select_leds(hal::MonoTime now) {
  const LedChoice choice = choose_leds(active_, stopping_, locating(),
                                       LedOutputs{led_.usable(), led_secondary_.usable()});
  play(led_, choice.primary, now);
  play(led_secondary_, choice.secondary, now);
  shown_ = choice.fault;
}

void SignalService::select_buzzer(hal::MonoTime now) {
  if (alert_ != nullptr && !buzzer_.player.finished(now)) return;  // plays to its end
  alert_ = nullptr;
  if (locating() && !quiet_now()) {
    play(buzzer_, &patterns().buzzer_locate, locate_since_);  // in step with the LEDs
  } else {
    play(buzzer_, &patterns().off, now);
  }
}

void SignalService::start_alert(const Pattern* alert, hal::MonoTime now) {
  alert_ = alert;
  buzzer_.player.start(alert, now);  // restarts even the same alert: a new onset
}

void SignalService::play(Output& output, const Pattern* pattern, hal::MonoTime now) {
  // The same pattern keeps its phase: an unrelated fault change must not garble a code.
  if (output.player.pattern() != pattern) output.player.start(pattern, now);
}

void SignalService::apply(hal::MonoTime now) {
  if (!started_ || stopping_) return;
  // An LED that fails while being set hands its job to the other one: at most two rounds.
  for (int round = 0; round < 3; ++round) {
    const bool primary = led_.usable();
    const bool secondary = led_secondary_.usable();
    drive(led_, led_.player.level(now));
    drive(led_secondary_, led_secondary_.player.level(now));
    if (primary == led_.usable() && secondary == led_secondary_.usable()) break;
    select_leds(now);
  }
  drive(buzzer_, buzzer_.player.level(now));
  schedule(now);
  report_failures();
}

void SignalService::drive(Output& output, bool level) {
  if (!output.usable() || output.driven == level) return;
  output.driven = level;
  if (auto set = output.line->set(level); !set) {
    output.failed = true;
    output.error = set.error().message;
  }
}

void SignalService::schedule(hal::MonoTime now) {
  std::optional<hal::MonoTime> next;
  const auto consider = [&next](std::optional<hal::MonoTime> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  for (const Output* output : {&led_, &led_secondary_, &buzzer_}) {
    if (output->usable()) consider(output->player.next_edge(now));
  }
  if (alert_ != nullptr) consider(buzzer_.player.end_time());
  consider(locate_until_);
  consider(policy_.next_reminder());
  if (!next) {
    timer_.disarm();
    return;
  }
  // Rounded up: when the timer fires, the edge has been reached.
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(next->time_since_epoch()).count();
  const auto usec = ns <= 0 ? 0 : (ns + 999) / 1000;
  timer_.arm_at(static_cast<std::uint64_t>(usec));
}

void SignalService::report_failures() {
  for (Output* output : {&led_, &led_secondary_, &buzzer_}) {
    if (!output->failed || output->reported) continue;
    output->reported = true;  // before the call: the callback may come back in here
    if (on_output_failure_) on_output_failure_(output->role, output->error);
  }
}

nlohmann::json SignalService::output_json(const Output& output) const {
  nlohmann::json json = {
      {"output", output.line == nullptr ? "absent" : (output.failed ? "failed" : "ok")},
      {"pattern", output.player.pattern() != nullptr ? output.player.pattern()->name : "none"}};
  if (output.failed) json["error"] = output.error;
  return json;
}

nlohmann::json SignalService::status() const {
  nlohmann::json led = output_json(led_);
  led["fault"] = shown_ ? nlohmann::json(std::string(fault_info(*shown_).name)) : nullptr;
  nlohmann::json buzzer = output_json(buzzer_);
  buzzer["reminder_s"] = settings_.buzzer_reminder.count();
  nlohmann::json window = nullptr;
  if (settings_.quiet_start_minute >= 0 && settings_.quiet_end_minute >= 0) {
    window =
        clock_text(settings_.quiet_start_minute) + "-" + clock_text(settings_.quiet_end_minute);
  }
  long long remaining = 0;
  if (locate_until_) {
    remaining = std::chrono::ceil<std::chrono::seconds>(*locate_until_ - clock_.now()).count();
  }
  return {{"led", led},
          {"led_secondary", output_json(led_secondary_)},
          {"buzzer", buzzer},
          {"quiet", {{"switch", settings_.quiet}, {"window", window}, {"active", quiet_now()}}},
          {"locate", {{"active", locating()}, {"remaining_s", std::max(remaining, 0LL)}}}};
}

}  // namespace lifeline::signals
