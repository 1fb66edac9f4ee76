// The offline doctor checks: on in-memory trees for each rule, and on the fixture trees
// under tests/fixtures/doctor/ that recreate each incident's state.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "cli/doctor.hpp"
#include "doctor/checks.hpp"

namespace lifeline::doctor {
namespace {

// A tree in memory: path -> contents; directories are implied by the paths.
SystemFiles memory_tree(std::map<std::string, std::string> tree) {
  auto shared = std::make_shared<const std::map<std::string, std::string>>(std::move(tree));
  SystemFiles files;
  files.read = [shared](const std::string& path) -> std::optional<std::string> {
    const auto found = shared->find(path);
    if (found == shared->end()) return std::nullopt;
    return found->second;
  };
  files.list = [shared](const std::string& dir) {
    std::set<std::string> names;
    const std::string prefix = dir + "/";
    for (const auto& [path, text] : *shared) {
      if (!path.starts_with(prefix)) continue;
      const std::string rest = path.substr(prefix.size());
      names.insert(rest.substr(0, rest.find('/')));
    }
    return std::vector<std::string>(names.begin(), names.end());
  };
  return files;
}

using Summary = std::vector<std::pair<std::string, FindingSeverity>>;

Summary summary(const std::vector<Finding>& findings) {
  Summary out;
  for (const Finding& f : findings) out.emplace_back(f.id, f.severity);
  return out;
}

constexpr auto kOk = FindingSeverity::ok;
constexpr auto kInfo = FindingSeverity::info;
constexpr auto kWarning = FindingSeverity::warning;
constexpr auto kCritical = FindingSeverity::critical;

const std::string kWants = "/etc/systemd/system/multi-user.target.wants/";
const std::string kInstall = "[Install]\nWantedBy=multi-user.target\n";

std::string service(const std::string& body) {
  return "[Service]\n" + body + "\n" + kInstall;
}

TEST(DoctorProgramKeys, PrefixesInterpretersAndWrapperScripts) {
  const SystemFiles files = memory_tree(
      {{"/opt/run.sh", "#!/bin/sh\ncd /opt\nFOO=1 exec /usr/local/bin/mediamtx a.yml &\n"}});
  using Keys = std::vector<std::string>;
  EXPECT_EQ(program_keys(files, "-/usr/local/bin/mediamtx /etc/m.yml"), Keys{"mediamtx"});
  EXPECT_EQ(program_keys(files, "@/usr/bin/python3 myname -u app.py"), Keys{"python app.py"});
  EXPECT_EQ(program_keys(files, "!!/usr/bin/python3.11 -u -m avatar.main"),
            Keys{"python -m avatar.main"});
  EXPECT_EQ(program_keys(files, "/usr/bin/env PYTHONUNBUFFERED=1 python3 app.py"),
            Keys{"python app.py"});
  EXPECT_EQ(program_keys(files, "/bin/sh -c 'exec /usr/bin/app --x'"), Keys{"app"});
  EXPECT_EQ(program_keys(files, "\"/opt/my app/bin/x\" --y"), Keys{"x"});
  EXPECT_EQ(program_keys(files, "/opt/run.sh"), (Keys{"mediamtx", "run.sh"}));
  EXPECT_TRUE(program_keys(files, "").empty());
  EXPECT_TRUE(program_keys(files, "-@").empty());
}

TEST(DoctorDuplicates, SameProgramTwiceIsCriticalAndMaskKeepsTheAppUnit) {
  const SystemFiles files = memory_tree({
      {"/etc/systemd/system/a.service", service("ExecStart=/usr/bin/python3 -u app.py")},
      {"/lib/systemd/system/b.service", service("ExecStart=-python3 app.py --debug")},
      {"/lib/systemd/system/c.service", service("ExecStart=/usr/bin/other")},
      {"/lib/systemd/system/d.service", service("Type=oneshot\nExecStart=/usr/bin/python3 app.py")},
      {kWants + "a.service", ""},
      {kWants + "b.service", ""},
      {kWants + "c.service", ""},
      {kWants + "d.service", ""},
  });
  const auto findings = check_duplicates(files, DoctorOptions{"b.service"});
  ASSERT_EQ(summary(findings), (Summary{{"units.duplicate", kCritical}}));
  EXPECT_EQ(findings[0].fix, "systemctl mask --now a.service");
  EXPECT_EQ(findings[0].incident, kIncidentPort5000);
  EXPECT_NE(findings[0].seen.find("a.service: ExecStart=/usr/bin/python3 -u app.py"),
            std::string::npos);
}

TEST(DoctorDuplicates, MaskedDisabledAndPresetDisabledUnitsDoNotCount) {
  const SystemFiles files = memory_tree({
      {"/etc/systemd/system/a.service", service("ExecStart=/usr/bin/app")},
      {"/etc/systemd/system/b.service", ""},  // masked (empty file)
      {"/lib/systemd/system/b.service", service("ExecStart=/usr/bin/app")},
      {"/lib/systemd/system/c.service", service("ExecStart=/usr/bin/app")},  // disabled
      {"/lib/systemd/system/d.service", service("ExecStart=/usr/bin/app")},
      {"/lib/systemd/system/e.service", "[Service]\nExecStart=/usr/bin/app\n"},  // no [Install]
      {"/etc/systemd/system-preset/10-x.preset", "disable d.service\nenable e.service\n"},
      {"/lib/systemd/system-preset/99-default.preset", "enable *\n"},
      {kWants + "a.service", ""},
      {kWants + "b.service", ""},
  });
  EXPECT_EQ(summary(check_duplicates(files, {})), (Summary{{"units.ok", kOk}}));
}

TEST(DoctorDuplicates, TemplateInstancesAreNotDuplicates) {
  const SystemFiles files = memory_tree({
      {"/lib/systemd/system/getty@.service", service("ExecStart=-/sbin/agetty - $TERM")},
      {"/lib/systemd/system/serial-getty@.service", service("ExecStart=-/sbin/agetty -L %I")},
      {"/lib/systemd/system-preset/90-systemd.preset", "enable getty@.service\n"},
      {"/etc/systemd/system/getty.target.wants/getty@tty1.service", ""},
      {"/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service", ""},
  });
  const auto enabled = enabled_services(files);
  EXPECT_EQ(enabled.size(), 2U);  // the instances, loaded from their templates
  EXPECT_EQ(enabled.count("getty@.service"), 0U);
  EXPECT_EQ(summary(check_duplicates(files, {})), (Summary{{"units.ok", kOk}}));
}

TEST(DoctorDuplicates, EnabledOnlyByAPresetIsTheThirdNight) {
  const SystemFiles files = memory_tree({
      {"/etc/systemd/system/a.service", service("ExecStart=/usr/bin/app")},
      {"/lib/systemd/system/b.service", service("ExecStart=/usr/bin/app")},
      // /etc hides the vendor file of the same name, which would disable b.
      {"/etc/systemd/system-preset/50-robot.preset", "# robot\nenable b*.service\n"},
      {"/lib/systemd/system-preset/50-robot.preset", "disable b.service\n"},
      {kWants + "a.service", ""},
  });
  const auto findings = check_duplicates(files, {});
  ASSERT_EQ(summary(findings), (Summary{{"units.duplicate-preset", kCritical}}));
  EXPECT_EQ(findings[0].incident, kIncidentPreset);
  EXPECT_EQ(findings[0].fix, "systemctl mask --now b.service");
}

TEST(DoctorAppUnit, RestartPolicyAndMemoryLimits) {
  const auto run = [](const std::string& unit, const std::string& dropin = "") {
    std::map<std::string, std::string> tree = {{"/etc/systemd/system/app.service", unit}};
    if (!dropin.empty()) tree["/etc/systemd/system/app.service.d/10.conf"] = dropin;
    return summary(check_app_unit(memory_tree(tree), DoctorOptions{"app.service"}));
  };
  EXPECT_EQ(run("[Service]\nRestart=always\nMemoryMax=1G\n"),
            (Summary{{"app.restart-unlimited", kWarning}}));
  EXPECT_EQ(run("[Unit]\nStartLimitIntervalSec=0\n[Service]\nRestart=always\nMemoryHigh=1G\n"),
            (Summary{{"app.restart-unlimited", kWarning}}));
  EXPECT_EQ(run("[Unit]\nStartLimitBurst=3\n[Service]\nRestart=always\nMemoryMax=infinity\n"),
            (Summary{{"app.no-memory-limit", kWarning}}));
  EXPECT_EQ(run("[Service]\nRestart=always\n",
                "[Unit]\nStartLimitIntervalSec=5min\n"
                "[Service]\nMemoryHigh=800M\n"),
            (Summary{{"app.ok", kOk}}));
  EXPECT_EQ(run("[Service]\nMemoryMax=1G\n", "[Service]\nMemoryMax=\n"),
            (Summary{{"app.no-memory-limit", kWarning}}));
  EXPECT_EQ(run(""), (Summary{{"app.missing", kWarning}}));  // masked
  EXPECT_EQ(summary(check_app_unit(memory_tree({}), {})), (Summary{{"app.not-checked", kInfo}}));
}

TEST(DoctorSwap, ActiveConfiguredOrNone) {
  const std::string header = "Filename\tType\tSize\tUsed\tPriority\n";
  EXPECT_EQ(summary(check_swap(memory_tree({{"/proc/swaps", header + "/dev/zram0 p 1 0 100\n"}}))),
            (Summary{{"swap.ok", kOk}}));
  EXPECT_EQ(summary(check_swap(memory_tree(
                {{"/proc/swaps", header}, {"/etc/fstab", "/swapfile none swap sw 0 0\n"}}))),
            (Summary{{"swap.inactive", kWarning}}));
  EXPECT_EQ(summary(check_swap(memory_tree({{"/etc/systemd/zram-generator.conf", "[zram0]\n"}}))),
            (Summary{{"swap.ok", kOk}}));
  EXPECT_EQ(summary(check_swap(memory_tree(
                {{"/proc/swaps", header}, {"/etc/fstab", "# /swapfile none swap sw 0 0\n"}}))),
            (Summary{{"swap.none", kCritical}}));
}

TEST(DoctorWatchdog, RuntimeWatchdogAndDaemons) {
  EXPECT_EQ(
      summary(check_watchdog(memory_tree(
          {{"/etc/systemd/system.conf", "[Manager]\nRuntimeWatchdogSec=off\n"},
           {"/etc/systemd/system.conf.d/90-wd.conf", "[Manager]\nRuntimeWatchdogSec=15s\n"},
           {"/lib/systemd/system/watchdog.service", service("ExecStart=/usr/sbin/watchdog")},
           {kWants + "watchdog.service", ""}}))),
      (Summary{{"watchdog.systemd-runtime", kWarning}, {"watchdog.daemon-enabled", kWarning}}));
  EXPECT_EQ(summary(check_watchdog(
                memory_tree({{"/etc/systemd/system.conf", "[Manager]\nRuntimeWatchdogSec=0\n"}}))),
            (Summary{{"watchdog.ok", kOk}}));
}

TEST(DoctorOomDaemons, EarlyoomWarnsOomdInforms) {
  EXPECT_EQ(summary(check_oom_daemons(memory_tree(
                {{"/lib/systemd/system/earlyoom.service", service("ExecStart=/usr/bin/earlyoom")},
                 {"/lib/systemd/system/systemd-oomd.service", service("ExecStart=/x/oomd")},
                 {"/lib/systemd/system/nohang.service", service("ExecStart=/usr/bin/nohang")},
                 {kWants + "earlyoom.service", ""},
                 {kWants + "systemd-oomd.service", ""}}))),
            (Summary{{"oom.other-daemon", kWarning}, {"oom.other-daemon", kInfo}}));
}

TEST(DoctorJournal, StorageSettings) {
  const auto run = [](std::map<std::string, std::string> tree) {
    return summary(check_journal(memory_tree(std::move(tree))));
  };
  EXPECT_EQ(run({}), (Summary{{"journal.volatile", kWarning}}));  // auto, no directory
  EXPECT_EQ(run({{"/var/log/journal/id/system.journal", ""}}), (Summary{{"journal.ok", kOk}}));
  EXPECT_EQ(run({{"/var/log/journal/id/system.journal", ""},
                 {"/etc/systemd/journald.conf.d/40-rpi-volatile-storage.conf",
                  "[Journal]\nStorage=volatile\n"}}),
            (Summary{{"journal.volatile", kWarning}}));
  EXPECT_EQ(run({{"/etc/systemd/journald.conf", "[Journal]\nStorage=volatile\n"},
                 {"/etc/systemd/journald.conf.d/z.conf", "[Journal]\nStorage=persistent\n"}}),
            (Summary{{"journal.ok", kOk}}));
}

TEST(DoctorSsh, OomScoreAdjustFromUnitOrDropIn) {
  const auto run = [](std::map<std::string, std::string> tree) {
    return summary(check_ssh(memory_tree(std::move(tree))));
  };
  EXPECT_EQ(run({}), (Summary{{"ssh.absent", kInfo}}));
  EXPECT_EQ(run({{"/lib/systemd/system/sshd.service", service("ExecStart=/usr/sbin/sshd -D")}}),
            (Summary{{"ssh.no-oom-protection", kWarning}}));
  EXPECT_EQ(run({{"/lib/systemd/system/ssh.service", service("OOMScoreAdjust=-100")}}),
            (Summary{{"ssh.no-oom-protection", kWarning}}));
  EXPECT_EQ(run({{"/lib/systemd/system/ssh.service", service("OOMScoreAdjust=-100")},
                 {"/etc/systemd/system/ssh.service.d/oom.conf", "[Service]\nOOMScoreAdjust=-500"}}),
            (Summary{{"ssh.ok", kOk}}));
}

// The fixture trees: every check on each, with the exact findings expected.
std::string fixture(const std::string& name) {
  return std::string(LIFELINE_SOURCE_DIR) + "/tests/fixtures/doctor/" + name;
}

Summary run_fixture(const std::string& name, const std::string& app) {
  return summary(run_offline_checks(files_under_root(fixture(name)), DoctorOptions{app}));
}

TEST(DoctorFixtures, Incident20251023) {
  EXPECT_EQ(run_fixture("incident-2025-10-23", "avatar-tank.service"),
            (Summary{{"swap.ok", kOk},
                     {"units.duplicate", kCritical},
                     {"app.no-memory-limit", kWarning},
                     {"watchdog.ok", kOk},
                     {"oom.ok", kOk},
                     {"journal.ok", kOk},
                     {"ssh.no-oom-protection", kWarning}}));
  const auto dup = check_duplicates(files_under_root(fixture("incident-2025-10-23")),
                                    DoctorOptions{"avatar-tank.service"});
  ASSERT_EQ(dup.size(), 1U);
  EXPECT_EQ(dup[0].title,
            "2 services that start at boot run the same program: python modules/mediamtx_main.py");
  EXPECT_EQ(dup[0].fix, "systemctl mask --now avatar-mediamtx.service");
}

TEST(DoctorFixtures, Incident20251024) {
  EXPECT_EQ(run_fixture("incident-2025-10-24", "avatar-tank.service"),
            (Summary{{"swap.ok", kOk},
                     {"units.duplicate", kCritical},
                     {"app.restart-unlimited", kWarning},
                     {"app.no-memory-limit", kWarning},
                     {"watchdog.ok", kOk},
                     {"oom.ok", kOk},
                     {"journal.ok", kOk},
                     {"ssh.no-oom-protection", kWarning}}));
  const auto dup = check_duplicates(files_under_root(fixture("incident-2025-10-24")),
                                    DoctorOptions{"avatar-tank.service"});
  ASSERT_EQ(dup.size(), 1U);
  EXPECT_EQ(dup[0].fix, "systemctl mask --now mediamtx.service");
}

TEST(DoctorFixtures, Incident20251025) {
  EXPECT_EQ(run_fixture("incident-2025-10-25", "avatar-tank.service"),
            (Summary{{"swap.ok", kOk},
                     {"units.duplicate-preset", kCritical},
                     {"units.duplicate-preset", kCritical},
                     {"app.restart-unlimited", kWarning},
                     {"app.no-memory-limit", kWarning},
                     {"watchdog.ok", kOk},
                     {"oom.ok", kOk},
                     {"journal.ok", kOk},
                     {"ssh.no-oom-protection", kWarning}}));
  const auto dup = check_duplicates(files_under_root(fixture("incident-2025-10-25")),
                                    DoctorOptions{"avatar-tank.service"});
  ASSERT_EQ(dup.size(), 2U);
  EXPECT_EQ(dup[0].fix, "systemctl mask --now avatar-mediamtx.service");
  EXPECT_EQ(dup[1].fix, "systemctl mask --now mediamtx.service");
}

TEST(DoctorFixtures, Incident20260208) {
  EXPECT_EQ(run_fixture("incident-2026-02-08", "kontali-backend.service"),
            (Summary{{"swap.none", kCritical},
                     {"units.ok", kOk},
                     {"app.missing", kWarning},
                     {"watchdog.ok", kOk},
                     {"oom.other-daemon", kInfo},
                     {"journal.volatile", kWarning},
                     {"ssh.no-oom-protection", kWarning}}));
}

TEST(DoctorFixtures, HealthyHasNothingAboveInfo) {
  EXPECT_EQ(run_fixture("healthy", "avatar-tank.service"), (Summary{{"swap.ok", kOk},
                                                                    {"units.ok", kOk},
                                                                    {"app.ok", kOk},
                                                                    {"watchdog.ok", kOk},
                                                                    {"oom.ok", kOk},
                                                                    {"journal.ok", kOk},
                                                                    {"ssh.ok", kOk}}));
}

TEST(DoctorFinding, ExitCodeByWorstSeverity) {
  const auto with = [](std::vector<FindingSeverity> severities) {
    std::vector<Finding> findings;
    for (const auto s : severities) findings.push_back({"x", "", "", "", "", "", s});
    return exit_code_for(findings);
  };
  EXPECT_EQ(with({}), 0);
  EXPECT_EQ(with({kOk, kInfo}), 0);
  EXPECT_EQ(with({kOk, kWarning, kInfo}), 1);
  EXPECT_EQ(with({kCritical, kWarning}), 2);
}

TEST(DoctorFinding, JsonShapeAndText) {
  const std::vector<Finding> findings = {
      {"swap.none", "no swap", "seen it", "why", kIncidentNoSwap, "swapon -a", kCritical},
      {"oom.ok", "fine", "", "", "", "", kOk}};
  const nlohmann::json j = to_json(findings);
  ASSERT_EQ(j["findings"].size(), 2U);
  EXPECT_EQ(j["findings"][0]["id"], "swap.none");
  EXPECT_EQ(j["findings"][0]["severity"], "critical");
  EXPECT_EQ(j["findings"][0]["incident"], kIncidentNoSwap);
  EXPECT_TRUE(j["findings"][1]["incident"].is_null());
  for (const char* key : {"title", "seen", "why", "fix"}) {
    EXPECT_TRUE(j["findings"][0][key].is_string()) << key;
  }
  EXPECT_EQ(j["summary"],
            (nlohmann::json{{"ok", 1}, {"info", 0}, {"warning", 0}, {"critical", 1}}));
  EXPECT_EQ(j["exit_code"], 2);
  const std::string text = render_text(findings);
  EXPECT_NE(text.find("[CRITICAL] swap.none: no swap\n"), std::string::npos);
  EXPECT_NE(text.find("  incident: shared/incidents/" + std::string(kIncidentNoSwap)),
            std::string::npos);
  EXPECT_NE(text.find("[OK] oom.ok: fine\n"), std::string::npos);
  EXPECT_NE(text.find("2 checks: 1 critical, 0 warning, 0 info, 1 ok"), std::string::npos);
}

// The agent reads its doctor child's report back (agent/background_doctor.cpp).
TEST(DoctorFinding, JsonReadsBackAndRejectsWhatIsNoReport) {
  const std::vector<Finding> findings = {
      {"swap.none", "no swap", "seen it", "why", kIncidentNoSwap, "swapon -a", kCritical},
      {"oom.ok", "fine", "", "", "", "", kOk}};
  const auto back = findings_from_json(to_json(findings));
  ASSERT_TRUE(back.has_value());
  ASSERT_EQ(back->size(), 2U);
  EXPECT_EQ((*back)[0].id, "swap.none");
  EXPECT_EQ((*back)[0].incident, kIncidentNoSwap);
  EXPECT_EQ((*back)[0].fix, "swapon -a");
  EXPECT_EQ((*back)[0].severity, kCritical);
  EXPECT_EQ((*back)[1].incident, "");  // null
  EXPECT_EQ((*back)[1].severity, kOk);
  EXPECT_FALSE(findings_from_json(nlohmann::json::parse("[1,2]")).has_value());
  EXPECT_FALSE(findings_from_json(nlohmann::json{{"findings", 3}}).has_value());
  EXPECT_FALSE(
      findings_from_json(nlohmann::json::parse(R"({"findings":[{"id":"x","severity":"dire"}]})"))
          .has_value());
  EXPECT_FALSE(
      findings_from_json(nlohmann::json::parse(R"({"findings":[{"severity":"ok"}]})")).has_value());
  EXPECT_FALSE(findings_from_json(nlohmann::json::parse("{", nullptr, false)).has_value());
}

// Offline (--root without --live or --config): the two families it cannot see say so.
TEST(DoctorCli, ExitCodesAndJsonOnFixtures) {
  const auto offline = [](const std::string& tree, const std::string& app, bool json) {
    return cli::doctor(cli::DoctorCommand{{fixture(tree), app, "", false, 0}, json});
  };
  testing::internal::CaptureStdout();
  EXPECT_EQ(offline("healthy", "avatar-tank.service", true), 0);
  const nlohmann::json j = nlohmann::json::parse(testing::internal::GetCapturedStdout());
  EXPECT_EQ(j["exit_code"], 0);
  ASSERT_EQ(j["findings"].size(), 9U);
  EXPECT_EQ(j["findings"][0]["id"], "lifeline.not-checked");
  EXPECT_EQ(j["findings"][8]["id"], "live.not-checked");
  EXPECT_EQ(j["live"], false);
  testing::internal::CaptureStdout();
  EXPECT_EQ(offline("incident-2025-10-25", "avatar-tank.service", false), 2);
  const std::string text = testing::internal::GetCapturedStdout();
  EXPECT_NE(text.find("systemctl mask --now mediamtx.service"), std::string::npos);
  testing::internal::CaptureStdout();
  EXPECT_EQ(offline("healthy", "", false), 0);  // app.not-checked is info
  testing::internal::GetCapturedStdout();
}

}  // namespace
}  // namespace lifeline::doctor
