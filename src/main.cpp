// lifeline's command line: argument parsing only; each subcommand lives in src/cli/ or
// src/agent/.
#include <CLI/CLI.hpp>

#include "agent/agent.hpp"
#include "cli/beat.hpp"
#include "cli/commands.hpp"
#include "cli/doctor.hpp"
#include "cli/exclusivity.hpp"
#include "cli/faults_doc.hpp"
#include "cli/passwd.hpp"

int main(int argc, char** argv) {
  using namespace lifeline;
  CLI::App app{"lifeline: keeps a robot safe, reachable and honest about what happened"};
  app.require_subcommand(1);
  app.set_version_flag("--version", LIFELINE_VERSION);
  std::string config_path = cli::kDefaultConfig;

  auto* run = app.add_subcommand("run", "run the agent (as the lifeline.service does)");
  RunOptions run_options;
  run->add_option("-c,--config", config_path, "configuration file");
  run->add_flag("--console", run_options.console, "also print every event on stdout");

  auto* check = app.add_subcommand("check-config", "validate a configuration file; exit 0/1");
  std::string check_path;
  check->add_option("file", check_path, "configuration file")->required();

  auto* events = app.add_subcommand("events", "print the black box");
  cli::EventsOptions events_options;
  events->add_option("-c,--config", config_path, "configuration file");
  events->add_option("--state-dir", events_options.state_dir, "read this state directory");
  events->add_flag("--json", events_options.json, "JSON array output");
  events->add_option("--since", events_options.since,
                     "@UNIX, YYYY-MM-DD[ HH:MM[:SS]] (UTC), or -30s/-10m/-2h/-1d");
  int boot = 0;
  auto* boot_option = events->add_option(
      "--boot", boot, "0 = this boot, -1 = the one before, 1 = the oldest recorded");

  auto* status = app.add_subcommand("status", "ask the running agent for its state");
  bool status_json = false;
  status->add_option("-c,--config", config_path, "configuration file");
  status->add_flag("--json", status_json, "JSON output");

  auto* rearm = app.add_subcommand("rearm", "allow motion again after a stop (operator action)");
  bool clear_lockout = false;
  rearm->add_option("-c,--config", config_path, "configuration file");
  rearm->add_flag("--clear-lockout", clear_lockout, "first clear the boot-loop lockout");

  auto* locate = app.add_subcommand("locate", "blink and beep so a person can find this robot");
  int locate_seconds = 30;
  locate->add_option("-c,--config", config_path, "configuration file");
  locate->add_option("--seconds", locate_seconds, "how long; 0 cancels")
      ->check(CLI::Range(0, 3600));

  auto* estop = app.add_subcommand("estop", "stop the motors now");
  estop->add_option("-c,--config", config_path, "configuration file");

  auto* lockout = app.add_subcommand(
      "check-lockout", "exit 1 while the boot-loop lockout holds (for ExecCondition=)");
  lockout->add_option("-c,--config", config_path, "configuration file");

  auto* faults = app.add_subcommand("faults", "list every fault: code, name, severity, blink code");
  bool faults_markdown = false;
  faults->add_flag("--markdown", faults_markdown, "print the Markdown page (docs/faults.md)");

  auto* doctor_cmd = app.add_subcommand(
      "doctor",
      "audit this robot: lifeline itself, configuration files, what runs; exit 0 ok, "
      "1 warning, 2 critical");
  cli::DoctorCommand doctor_command;
  bool doctor_live = false;
  bool doctor_offline = false;
  doctor_cmd->add_option("--root", doctor_command.request.root,
                         "read configuration files under DIR");
  doctor_cmd->add_option("--app-unit", doctor_command.request.app_unit,
                         "the robot application's unit, e.g. avatar-tank.service (default: "
                         "[motion.app] unit of lifeline's configuration)");
  auto* doctor_config = doctor_cmd->add_option(
      "-c,--config", doctor_command.request.config_path,
      "lifeline's configuration to check (default /etc/lifeline/lifeline.toml; with --root, "
      "only when given)");
  doctor_cmd->add_flag("--live", doctor_live,
                       "with --root: also check this host's processes "
                       "and devices");
  doctor_cmd->add_flag("--offline", doctor_offline, "configuration files only")
      ->excludes(doctor_cmd->get_option("--live"));
  doctor_cmd->add_flag("--json", doctor_command.json, "JSON output");

  auto* exclusivity =
      app.add_subcommand("exclusivity", "service exclusivity (docs/exclusivity.md)");
  exclusivity->require_subcommand(1);
  auto* exclusivity_check = exclusivity->add_subcommand(
      "check", "check every role once; with --enforce, stop or mask duplicates (for boot)");
  bool enforce = false;
  exclusivity_check->add_option("-c,--config", config_path, "configuration file");
  exclusivity_check->add_flag("--enforce", enforce, "apply each role's mode (stop, mask)");
  auto* release = exclusivity->add_subcommand(
      "release", "unmask a unit that mode \"mask\" masked, and record it (needs root)");
  std::string release_unit;
  release->add_option("-c,--config", config_path, "configuration file");
  release->add_option("unit", release_unit, "the unit, e.g. mediamtx.service")->required();

  auto* beat = app.add_subcommand("beat", "renew a heartbeat lease (for shell scripts)");
  std::string lease_name;
  std::string lease_socket = cli::kDefaultLeaseSocket;
  int beat_count = 1;
  int beat_interval_ms = 100;
  beat->add_option("name", lease_name, "the lease's name ([motion.lease] name)")->required();
  beat->add_option("--socket", lease_socket, "the lease socket ([motion.lease] socket)");
  beat->add_option("--count", beat_count, "beats to send; 0 = until SIGTERM")
      ->check(CLI::NonNegativeNumber);
  beat->add_option("--interval-ms", beat_interval_ms, "between beats")->check(CLI::Range(1, 60000));

  auto* passwd = app.add_subcommand("passwd", "set the rescue page's password (yescrypt hash)");
  cli::PasswdOptions passwd_options;
  passwd->add_option("-c,--config", config_path, "configuration file ([rescue] password_file)");
  passwd->add_option("--file", passwd_options.file, "write the hash to this file instead");

  CLI11_PARSE(app, argc, argv);

  if (run->parsed()) {
    run_options.config_path = config_path;
    return Agent(run_options).run();
  }
  if (check->parsed()) return cli::check_config(check_path);
  if (events->parsed()) {
    events_options.config_path = config_path;
    if (boot_option->count() > 0) events_options.boot = boot;
    return cli::events(events_options);
  }
  if (status->parsed()) return cli::status(config_path, status_json);
  if (rearm->parsed()) return cli::rearm(config_path, clear_lockout);
  if (estop->parsed()) return cli::estop(config_path);
  if (locate->parsed()) return cli::locate(config_path, locate_seconds);
  if (lockout->parsed()) return cli::check_lockout(config_path);
  if (faults->parsed()) return cli::print_faults(faults_markdown);
  if (doctor_cmd->parsed()) {
    const bool whole_host = doctor_command.request.root == "/";
    doctor_command.request.live = !doctor_offline && (whole_host || doctor_live);
    if (doctor_config->count() == 0)
      doctor_command.request.config_path = whole_host ? config_path : "";
    return cli::doctor(doctor_command);
  }
  if (exclusivity_check->parsed()) return cli::exclusivity_check(config_path, enforce);
  if (release->parsed()) return cli::exclusivity_release(config_path, release_unit);
  if (beat->parsed()) {
    return cli::beat(lease_socket, lease_name, beat_count,
                     std::chrono::milliseconds(beat_interval_ms));
  }
  if (passwd->parsed()) {
    passwd_options.config_path = config_path;
    return cli::passwd(passwd_options);
  }
  return 2;
}
