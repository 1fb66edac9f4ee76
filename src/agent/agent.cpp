#include "agent/agent.hpp"

#include <sys/mman.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <pthread.h>
#include <sched.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "config/loader.hpp"
#include "util/files.hpp"
#include "util/prefault.hpp"

namespace lifeline {

namespace {

// The loop's deepest path (a memory-guard kill: scan, records, signal) used under 40 KiB
// of stack in the memory benchmark.
constexpr std::size_t kLoopStackPrefault = std::size_t{128} * 1024;

Severity start_severity(StartReason reason) {
  switch (reason) {
    case StartReason::watchdog_reset:
    case StartReason::unclean_reboot:
    case StartReason::agent_crashed:
      return Severity::warning;
    default:
      return Severity::info;
  }
}

}  // namespace

Agent::~Agent() {
  // Components that call back into others go first; the black box is flushed last.
  doctor_.reset();  // kills and reaps a doctor child still running
  rescue_.reset();  // stops the web threads before anything they read goes away
  control_.reset();
  exclusivity_.reset();
  memory_.reset();
  motion_.reset();
  signals_.reset();
  file_checks_.clear();
  liveness_.reset();
  watchdog_.reset();
  if (blackbox_) blackbox_->flush();
}

int Agent::run() {
  // Block the loop's signals before any thread exists (the black box writer): a thread
  // that inherits them unblocked would take SIGTERM's default action and kill us.
  sigset_t signals;
  sigemptyset(&signals);
  for (int signo : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, signo);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto loaded = load_config(options_.config_path);
  if (!loaded) {
    std::fprintf(stderr, "lifeline: configuration rejected:\n%s\n", loaded.error().message.c_str());
    return 78;  // EX_CONFIG
  }
  if (auto started = start(std::move(*loaded)); !started) {
    std::fprintf(stderr, "lifeline: %s\n", started.error().message.c_str());
    return 1;
  }
  const int rc = loop_->run();
  return rc < 0 ? 1 : rc;
}

Status Agent::start(Config config) {
  config_ = std::move(config);
  // Keep lifeline's own pages in RAM: under memory pressure it must still run.
  // MCL_ONFAULT (as Android's lmkd does) locks pages as they are touched instead of
  // faulting in every mapped library and thread stack up front: what lifeline uses stays
  // resident, what it never touches costs nothing.
  bool locked = ::mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0;
  if (!locked && errno == EINVAL) locked = ::mlockall(MCL_CURRENT | MCL_FUTURE) == 0;
  // The loop thread's stack, locked from here on: a kill went one page deeper than the
  // start-up's rehearsal of it (the memory benchmark's per-mapping RSS), and that page
  // was then a fresh one on a starved box.
  util::prefault_stack(kLoopStackPrefault);
  auto loop = EventLoop::create();
  if (!loop) return loop.error();
  loop_ = std::move(*loop);
  if (auto made = make_directories(config_.agent.state_dir); !made) return made;
  // One lifeline per state dir: two would fight over the watchdog, the history and the
  // black box. The lock dies with the process, so a crash never leaves it stale.
  auto lock = lock_file(config_.agent.state_dir + "/lifeline.lock");
  if (!lock) return lock.error();
  lock_fd_ = *lock;

  board_hal_ = std::make_unique<BoardHal>(config_.board, config_.agent.state_dir + "/sim", clock_);
  boot_id_ = board_hal_->boot_id();
  RecorderSinks sinks;
  sinks.journal = std::getenv("JOURNAL_STREAM") != nullptr;  // set by systemd for services
  sinks.console = options_.console ? stdout : nullptr;
  recorder_ = std::make_unique<Recorder>(clock_, boot_id_, sinks);
  start_blackbox();
  // Real-time only for this (the loop) thread: the black-box writer, already started,
  // keeps normal priority, so a slow disk never competes with a motor stop. Threads made
  // later (the rescue page's CivetWeb workers, which answer strangers) would inherit
  // SCHED_FIFO and, at the loop's own priority, hold the CPU the stop needs until they
  // block: SCHED_RESET_ON_FORK starts every thread and child created after this one at
  // SCHED_OTHER.
  std::string realtime = "off";
  if (config_.agent.realtime_priority > 0) {
    sched_param param{};
    param.sched_priority = config_.agent.realtime_priority;
    // pid 0 is the calling thread; pthread_setschedparam cannot pass the flag.
    const int rc = ::sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param);
    realtime = rc == 0 ? "SCHED_FIFO " + std::to_string(param.sched_priority)
                       : std::string("refused: ") + std::strerror(errno);  // NOLINT
  }
  faults_ = std::make_unique<FaultSet>(*recorder_, clock_);
  safe_state_ = std::make_unique<SafeState>(*recorder_);
  watchdog_ = std::make_unique<WatchdogService>(*loop_, *faults_, *recorder_, *safe_state_, gate_,
                                                board_hal_->make_watchdog(config_.watchdog.device));

  // Signals first, so a SIGTERM during start-up is a clean stop, not a kill.
  for (int signo : {SIGTERM, SIGINT}) {
    auto source = loop_->add_signal(signo == SIGTERM ? "sigterm" : "sigint", signo,
                                    [this] { on_stop_signal(); });
    if (!source) return source.error();
    signal_sources_.push_back(std::move(*source));
  }
  auto hup = loop_->add_signal("sighup", SIGHUP, [this] { on_reload_signal(); });
  if (!hup) return hup.error();
  signal_sources_.push_back(std::move(*hup));

  recorder_->record(Event{EventKind::agent_started,
                          std::nullopt,
                          Severity::info,
                          "lifeline " LIFELINE_VERSION " started on board '" + config_.board.name +
                              "' (" + config_.board.description + ")",
                          {{"config", config_.source_path},
                           {"board", config_.board.name},
                           {"pid", std::to_string(::getpid())},
                           {"memory_locked", locked ? "yes" : "no"},
                           {"realtime", realtime}}});
  for (const auto& warning : config_.warnings) {
    recorder_->record(
        Event{EventKind::config_loaded, std::nullopt, Severity::warning, warning, {}});
  }
  start_signals();
  const std::uint32_t boot_status =
      watchdog_->open(config_.watchdog, config_.board.watchdog.max_timeout);
  // Motion starts (stopped) before the lockout decision, so a lockout's safe state
  // includes the motor stop path.
  if (config_.motion.enabled) {
    motion_ = std::make_unique<motion::MotionService>(*loop_, *faults_, *recorder_, gate_,
                                                      config_.motion);
    if (auto started = motion_->start(*board_hal_, *safe_state_); !started) {
      return Error{started.error().errno_value, "motion: " + started.error().message};
    }
  }
  start_memory();
  assess_start(boot_status);
  start_health_checks();
  start_exclusivity();  // its first check records, so after the start is assessed
  start_control_socket();
  start_rescue();
  if (auto started = watchdog_->start(); !started) return started;
  if (auto started = loop_->start_periodic(blackbox_timer_, "blackbox-health",
                                           std::chrono::seconds(5), [this] { check_blackbox(); });
      !started) {
    return started;
  }
  loop_->enable_systemd_watchdog();
  sd_notify(0, "READY=1");
  update_systemd_status();
  start_doctor();  // after READY: it runs beside the loop and never delays the start
  return ok_status();
}

void Agent::start_blackbox() {
  const std::string dir = config_.agent.state_dir + "/blackbox";
  auto store = blackbox::Store::open(
      dir, blackbox::StoreLimits{config_.blackbox.segment_bytes, config_.blackbox.segments});
  if (!store) {
    // Not fatal: the watchdog matters more than the record of it. The fault is raised
    // once the fault set exists (check_blackbox).
    blackbox_error_ = store.error().message;
    return;
  }
  blackbox_ = std::make_unique<blackbox::AsyncWriter>(std::move(*store), 256);
  recorder_->set_blackbox(blackbox_.get());
}

std::int64_t Agent::wall_seconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.wall_now().time_since_epoch())
      .count();
}

signals::SignalSettings signal_settings(const SignalsConfig& config) {
  return {config.buzzer_reminder, config.quiet, config.quiet_start_minute, config.quiet_end_minute};
}

void Agent::start_signals() {
  const auto line = [this](
                        const std::string& role,
                        const std::optional<LineRole>& wired) -> std::unique_ptr<hal::OutputLine> {
    if (!wired) return nullptr;  // the board has no such output: nothing to drive
    auto output = board_hal_->make_output(role, false);
    if (output) return std::move(*output);
    faults_->raise(Fault::signal_output_unavailable, output.error().message, {{"role", role}});
    return nullptr;
  };
  const Board& board = config_.board;
  signals_ = std::make_unique<signals::SignalService>(
      *loop_, clock_, line("status_led", board.status_led),
      line("status_led_secondary", board.status_led_secondary), line("buzzer", board.buzzer),
      signal_settings(config_.signals), [this](const std::string& which, const std::string& error) {
        faults_->raise(Fault::signal_output_unavailable, which + ": " + error, {{"role", which}});
      });
  if (auto started = signals_->start(); !started) {
    faults_->raise(Fault::signal_output_unavailable, started.error().message);
  }
  // From here on every fault change reaches the LED and buzzer, and systemd's STATUS=.
  recorder_->on_recorded([this](const Event& event) {
    if (event.kind == EventKind::fault_raised || event.kind == EventKind::fault_cleared) {
      signals_->on_faults_changed(faults_->active_faults());
    }
    update_systemd_status();
    if (rescue_) rescue_->on_event(event);
  });
  signals_->on_faults_changed(faults_->active_faults());
}

void Agent::assess_start(std::uint32_t boot_status) {
  auto previous = load_history(config_.agent.state_dir);
  if (!previous) {
    recorder_->record(
        Event{EventKind::reset_recorded,
              std::nullopt,
              Severity::warning,
              "reset history unreadable, starting a new one: " + previous.error().message,
              {}});
  }
  const auto assessment = lifeline::assess_start(previous ? *previous : std::nullopt, boot_id_,
                                                 boot_status, wall_seconds(), config_.lockout);
  history_ = assessment.next;
  // Persist before anything else can fail: the next start must know this one happened.
  if (auto saved = save_history(config_.agent.state_dir, history_); !saved) {
    recorder_->record(Event{EventKind::reset_recorded,
                            std::nullopt,
                            Severity::error,
                            "cannot persist reset history: " + saved.error().message,
                            {}});
  }
  const std::string reason(start_reason_name(assessment.reason));
  recorder_->record(Event{
      EventKind::reset_recorded,
      std::nullopt,
      start_severity(assessment.reason),
      "start after " + reason + (assessment.new_boot ? " (new boot)" : " (same boot)"),
      {{"reason", reason},
       {"new_boot", assessment.new_boot ? "yes" : "no"},
       {"boot_status", std::to_string(boot_status)},
       {"boot_count", std::to_string(history_.boot_count)},
       {"consecutive_unclean", std::to_string(history_.consecutive_unclean)},
       {"resets_in_window", std::to_string(resets_in_window(history_.unclean_resets_s,
                                                            wall_seconds(), config_.lockout))}}});
  if (is_unclean_reset(assessment.reason) || assessment.reason == StartReason::agent_crashed) {
    faults_->raise(Fault::unclean_reset, "previous run ended by " + reason);
  }
  if (assessment.entered_lockout) {
    recorder_->record(Event{EventKind::lockout_entered,
                            Fault::boot_loop_lockout,
                            Severity::critical,
                            "boot-loop lockout: " + history_.lockout_reason,
                            {{"reason", history_.lockout_reason}}});
  }
  if (history_.lockout) {
    gate_.set_mode(GateMode::lockout);
    faults_->raise(Fault::boot_loop_lockout, history_.lockout_reason);
    safe_state_->enter("boot-loop lockout");
  }
}

void Agent::start_health_checks() {
  liveness_ = std::make_unique<LoopLiveness>(gate_, config_.agent.loop_deadline);
  if (auto started = liveness_->start(*loop_); !started) {
    faults_->raise(Fault::health_check_failing, "loop liveness: " + started.error().message);
  }
  for (const auto& check_config : config_.health.file_checks) {
    auto check = std::make_unique<FileCheck>(gate_, check_config);
    if (auto started = check->start(*loop_); !started) {
      faults_->raise(Fault::health_check_failing,
                     check_config.name + ": " + started.error().message);
    }
    file_checks_.push_back(std::move(check));
  }
}

void Agent::start_control_socket() {
  const std::string& path = config_.agent.control_socket;
  const std::string dir = path.substr(0, path.find_last_of('/'));
  if (!dir.empty()) (void)make_directories(dir, 0755);
  control_ = std::make_unique<ControlServer>(
      *loop_, [this](const nlohmann::json& request) { return handle_control(request); });
  if (auto listening = control_->listen(path); !listening) {
    faults_->raise(Fault::control_socket_unavailable, listening.error().message);
    control_.reset();
  }
}

void Agent::start_rescue() {
  if (!config_.rescue.enabled) return;
  rescue::AgentHooks hooks{
      [this] { return status_json(); },
      [this](const nlohmann::json& request) { return handle_control(request); },
      &recorder_->recent()};
  rescue_ = std::make_unique<rescue::RescueService>(*loop_, clock_, *recorder_, config_.rescue,
                                                    std::move(hooks));
  if (auto started = rescue_->start(); !started) {
    rescue_.reset();
    faults_->raise(Fault::rescue_page_unavailable, started.error().message);
  }
}

void Agent::on_stop_signal() {
  if (stopping_) return;
  stopping_ = true;
  sd_notify(0, "STOPPING=1");
  watchdog_->stop_clean();
  mark_clean_stop(history_, wall_seconds());
  if (auto saved = save_history(config_.agent.state_dir, history_); !saved) {
    recorder_->record(Event{EventKind::agent_stopped,
                            std::nullopt,
                            Severity::error,
                            "cannot persist the clean stop: " + saved.error().message,
                            {}});
  }
  recorder_->record(Event{EventKind::agent_stopped,
                          std::nullopt,
                          Severity::info,
                          "lifeline stopped cleanly",
                          {{"pid", std::to_string(::getpid())}}});
  if (signals_) signals_->shutdown();  // the LED must not read as healthy once we are gone
  if (blackbox_) blackbox_->flush();
  loop_->exit(0);
}

void Agent::check_blackbox() {
  if (!blackbox_) {
    faults_->raise(Fault::blackbox_degraded, blackbox_error_);
    return;
  }
  if (auto error = blackbox_->take_error()) {
    faults_->raise(Fault::blackbox_degraded, error->message);
    blackbox_written_at_error_ = blackbox_->written();
  } else if (faults_->active(Fault::blackbox_degraded) &&
             blackbox_->written() > blackbox_written_at_error_) {
    // Only a record written since the error proves writing works again.
    faults_->clear(Fault::blackbox_degraded, "writes succeed again");
  }
}

void Agent::update_systemd_status() {
  const std::string status = "STATUS=" + state_name() + "; " +
                             std::to_string(faults_->active_faults().size()) + " active fault(s)";
  sd_notify(0, status.c_str());
}

}  // namespace lifeline
