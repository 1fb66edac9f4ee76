// What systemd says about units, judged: which program a unit runs (through env and
// interpreters), whether it would start at boot (presets included), and the duplicates
// find_conflicts finds from units alone; and the bus replies read into those values.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "exclusivity/conflicts.hpp"
#include "exclusivity/unit_facts.hpp"
#include "exclusivity/unit_properties.hpp"

namespace lifeline::exclusivity {
namespace {

RoleConfig media_role() {
  RoleConfig role;
  role.name = "media";
  role.unit = "avatar-tank.service";
  role.ports = {{PortProto::tcp, 8554}};
  role.binaries = {"/usr/local/bin/mediamtx", "mediamtx_main.py"};
  return role;
}

UnitFact unit(const std::string& name, const std::string& active, const std::string& file_state,
              const std::string& preset, ExecCommand exec, pid_t pid = 0) {
  UnitFact u;
  u.name = name;
  u.active_state = active;
  u.unit_file_state = file_state;
  u.unit_file_preset = preset;
  u.fragment_path = "/etc/systemd/system/" + name;
  u.control_group = active == "active" ? "/system.slice/" + name : "";
  u.main_pid = pid;
  u.exec_start = {std::move(exec)};
  return u;
}

const ExecCommand kMediamtx{"/usr/local/bin/mediamtx",
                            {"/usr/local/bin/mediamtx", "/etc/mediamtx.yml"}};

TEST(ExclusivityUnits, ExecProgramsSeeThroughEnvAndInterpreters) {
  EXPECT_EQ(exec_programs(kMediamtx), std::vector<std::string>{"/usr/local/bin/mediamtx"});
  EXPECT_EQ(exec_programs({"/usr/bin/python3", {"python3", "-u", "modules/mediamtx_main.py"}}),
            (std::vector<std::string>{"/usr/bin/python3", "python3", "modules/mediamtx_main.py"}));
  EXPECT_EQ(
      exec_programs({"/usr/bin/env",
                     {"/usr/bin/env", "A=1", "-i", "python3.11", "/opt/tank/mediamtx_main.py"}}),
      (std::vector<std::string>{"/usr/bin/env", "python3.11", "/opt/tank/mediamtx_main.py"}));
  EXPECT_EQ(exec_programs({"/bin/sh", {"/bin/sh", "-c", "exec /usr/local/bin/mediamtx x.yml"}}),
            (std::vector<std::string>{"/bin/sh", "/usr/local/bin/mediamtx"}));
  // `python3 -m pkg` names no script file: only the interpreter.
  EXPECT_EQ(exec_programs({"/usr/bin/python3", {"/usr/bin/python3", "-m", "http"}}),
            std::vector<std::string>{"/usr/bin/python3"});
  EXPECT_TRUE(exec_programs({"", {}}).empty());
}

TEST(ExclusivityUnits, UnitRunsBinaryByPathOrFileName) {
  const UnitFact media = unit("mediamtx.service", "active", "enabled", "", kMediamtx);
  EXPECT_TRUE(unit_runs_binary(media, "/usr/local/bin/mediamtx"));
  EXPECT_TRUE(unit_runs_binary(media, "mediamtx"));
  EXPECT_FALSE(unit_runs_binary(media, "/usr/bin/mediamtx"));
  EXPECT_FALSE(unit_runs_binary(media, ""));
  const UnitFact script = unit("avatar-mediamtx.service", "active", "enabled", "",
                               {"/usr/bin/python3", {"python3", "-u", "modules/mediamtx_main.py"}});
  EXPECT_TRUE(unit_runs_binary(script, "mediamtx_main.py"));
  EXPECT_FALSE(unit_runs_binary(script, "/usr/local/bin/mediamtx"));
}

TEST(ExclusivityUnits, BootReasonCountsPresets) {
  auto with = [](const std::string& state, const std::string& preset) {
    return boot_reason(unit("x.service", "inactive", state, preset, kMediamtx));
  };
  EXPECT_EQ(with("enabled", ""), "enabled");
  EXPECT_EQ(with("enabled", "disabled"), "enabled");
  EXPECT_EQ(with("enabled", "enabled"), "enabled by preset");
  EXPECT_EQ(with("enabled-runtime", ""), "enabled-runtime");
  EXPECT_EQ(with("disabled", "enabled"), "preset would enable");
  EXPECT_EQ(with("disabled", "disabled"), "");
  EXPECT_EQ(with("disabled", ""), "");
  EXPECT_EQ(with("static", "enabled"), "");
  EXPECT_EQ(with("masked", "enabled"), "");
  EXPECT_TRUE(masked("masked"));
  EXPECT_TRUE(masked("masked-runtime"));
  EXPECT_FALSE(masked("enabled"));
}

TEST(ExclusivityUnits, ARunningUnitWithARoleBinaryIsADuplicateAndEnabledIsSaid) {
  Observation seen;
  seen.units = {unit("avatar-tank.service", "active", "enabled", "enabled",
                     {"/usr/bin/python3", {"python3", "-u", "main.py"}}, 3000),
                unit("mediamtx.service", "active", "enabled", "enabled", kMediamtx, 4100)};
  const auto conflicts = find_conflicts({media_role()}, seen);
  ASSERT_EQ(conflicts.size(), 1U);
  const Conflict& c = conflicts[0];
  EXPECT_EQ(c.kind, ConflictKind::binary);
  EXPECT_EQ(c.unit, "mediamtx.service");
  EXPECT_EQ(c.pid, 4100);
  EXPECT_EQ(c.shared, "/usr/local/bin/mediamtx");
  EXPECT_EQ(c.cmdline, "/usr/local/bin/mediamtx /etc/mediamtx.yml");
  EXPECT_EQ(c.boot, "enabled by preset");
  EXPECT_EQ(c.fix, "systemctl stop mediamtx.service && systemctl mask mediamtx.service");
  EXPECT_TRUE(c.running());
  EXPECT_TRUE(c.stoppable());
}

TEST(ExclusivityUnits, TheSameDuplicateFromProcAndFromItsUnitIsOneConflict) {
  Observation seen;
  seen.processes = {ProcessFact{4100, 1, "/usr/local/bin/mediamtx", "/usr/local/bin/mediamtx",
                                "/usr/local/bin/mediamtx /etc/mediamtx.yml",
                                "/system.slice/mediamtx.service", "mediamtx.service"}};
  seen.units = {unit("mediamtx.service", "active", "enabled", "", kMediamtx, 4100)};
  const auto conflicts = find_conflicts({media_role()}, seen);
  ASSERT_EQ(conflicts.size(), 1U);
  EXPECT_EQ(conflicts[0].boot, "enabled");
}

TEST(ExclusivityUnits, AnEnabledUnitThatIsNotRunningWouldStartAtBoot) {
  Observation seen;
  seen.units = {unit("mediamtx.service", "inactive", "enabled", "", kMediamtx)};
  const auto conflicts = find_conflicts({media_role()}, seen);
  ASSERT_EQ(conflicts.size(), 1U);
  const Conflict& c = conflicts[0];
  EXPECT_EQ(c.kind, ConflictKind::boot);
  EXPECT_EQ(c.boot, "enabled");
  EXPECT_EQ(c.pid, 0);
  EXPECT_EQ(c.fix, "systemctl mask mediamtx.service");
  EXPECT_FALSE(c.running());
  EXPECT_TRUE(c.stoppable());
  EXPECT_EQ(c.key(), "media|boot|/usr/local/bin/mediamtx|mediamtx.service");
}

// 2025-10-25: the duplicate had been disabled by hand; the preset enabled it again.
TEST(ExclusivityUnits, ADisabledUnitThatAPresetWouldEnableIsADuplicate) {
  Observation seen;
  seen.units = {unit("avatar-mediamtx.service", "inactive", "disabled", "enabled",
                     {"/usr/bin/python3", {"python3", "-u", "modules/mediamtx_main.py"}})};
  const auto conflicts = find_conflicts({media_role()}, seen);
  ASSERT_EQ(conflicts.size(), 1U);
  EXPECT_EQ(conflicts[0].boot, "preset would enable");
  EXPECT_EQ(conflicts[0].shared, "mediamtx_main.py");
}

TEST(ExclusivityUnits, NoDuplicateFromTheOwnerMaskedDisabledOrForeignUnits) {
  Observation seen;
  seen.units = {
      unit("avatar-tank.service", "active", "enabled", "enabled", kMediamtx, 3000),  // owner
      unit("mediamtx.service", "inactive", "masked", "enabled", kMediamtx),
      unit("old-mediamtx.service", "inactive", "disabled", "disabled", kMediamtx),
      unit("static-mediamtx.service", "inactive", "static", "", kMediamtx),
      unit("ssh.service", "active", "enabled", "enabled", {"/usr/sbin/sshd", {"sshd", "-D"}}, 9),
  };
  EXPECT_TRUE(find_conflicts({media_role()}, seen).empty());
}

// A message built on a connection that is never used, then read back like a reply.
class BuiltMessage {
 public:
  BuiltMessage() {
    ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_);
    sd_bus_new(&bus_);
    sd_bus_set_fd(bus_, fds_[0], fds_[0]);
    sd_bus_start(bus_);
    sd_bus_message_new_method_call(bus_, &m_, "a.b", "/a", "a.b", "X");
  }
  ~BuiltMessage() {
    sd_bus_message_unref(m_);
    sd_bus_close_unref(bus_);  // no flush: it would wait for a peer that never answers
    ::close(fds_[1]);
  }
  BuiltMessage(const BuiltMessage&) = delete;
  BuiltMessage& operator=(const BuiltMessage&) = delete;
  sd_bus_message* get() { return m_; }
  sd_bus_message* sealed() {
    sd_bus_message_seal(m_, 1, 0);
    sd_bus_message_rewind(m_, 1);
    return m_;
  }

 private:
  int fds_[2] = {-1, -1};
  sd_bus* bus_ = nullptr;
  sd_bus_message* m_ = nullptr;
};

TEST(ExclusivityUnits, ReadsGetAllWithExecStartAndSkipsWrongTypes) {
  BuiltMessage msg;
  sd_bus_message* m = msg.get();
  ASSERT_GE(sd_bus_message_open_container(m, 'a', "{sv}"), 0);
  ASSERT_GE(sd_bus_message_append(m, "{sv}", "ActiveState", "s", "active"), 0);
  ASSERT_GE(sd_bus_message_append(m, "{sv}", "UnitFileState", "s", "enabled"), 0);
  ASSERT_GE(sd_bus_message_append(m, "{sv}", "UnitFilePreset", "s", "enabled"), 0);
  ASSERT_GE(sd_bus_message_append(m, "{sv}", "FragmentPath", "s", "/lib/systemd/system/m.service"),
            0);
  ASSERT_GE(sd_bus_message_append(m, "{sv}", "ControlGroup", "s", "/system.slice/m.service"), 0);
  ASSERT_GE(sd_bus_message_append(m, "{sv}", "MainPID", "u", 4100U), 0);
  ASSERT_GE(sd_bus_message_append(m, "{sv}", "NRestarts", "u", 3U), 0);     // not read
  ASSERT_GE(sd_bus_message_append(m, "{sv}", "ControlGroup", "u", 7U), 0);  // wrong type
  ASSERT_GE(sd_bus_message_append(m, "{sv}", "ExecStart", "a(sasbttttuii)", 1,
                                  "/usr/local/bin/mediamtx", 2, "/usr/local/bin/mediamtx",
                                  "/etc/mediamtx.yml", 0, 0ULL, 0ULL, 0ULL, 0ULL, 4100U, 0, 0),
            0);
  ASSERT_GE(sd_bus_message_close_container(m), 0);
  UnitFact fact;
  ASSERT_GE(read_unit_properties(msg.sealed(), fact), 0);
  EXPECT_EQ(fact.active_state, "active");
  EXPECT_EQ(fact.unit_file_state, "enabled");
  EXPECT_EQ(fact.unit_file_preset, "enabled");
  EXPECT_EQ(fact.fragment_path, "/lib/systemd/system/m.service");
  EXPECT_EQ(fact.control_group, "/system.slice/m.service");
  EXPECT_EQ(fact.main_pid, 4100);
  ASSERT_EQ(fact.exec_start.size(), 1U);
  EXPECT_EQ(fact.exec_start[0], kMediamtx);
}

TEST(ExclusivityUnits, ReadsListUnitsAndListUnitFilesKeepingServicesOnly) {
  BuiltMessage units;
  ASSERT_GE(sd_bus_message_append(
                units.get(), "a(ssssssouso)", 3, "mediamtx.service", "d", "loaded", "active",
                "running", "", "/org/freedesktop/systemd1/unit/mediamtx_2eservice", 0U, "", "/",
                "ssh.socket", "d", "loaded", "active", "listening", "", "/o/s", 0U, "", "/",
                "getty@tty1.service", "d", "loaded", "active", "running", "", "/o/g", 0U, "", "/"),
            0);
  std::vector<ListedUnit> listed;
  ASSERT_GE(read_list_units(units.sealed(), listed), 0);
  ASSERT_EQ(listed.size(), 2U);  // the socket is not a service
  EXPECT_EQ(listed[0].name, "mediamtx.service");
  EXPECT_EQ(listed[0].path, "/org/freedesktop/systemd1/unit/mediamtx_2eservice");
  EXPECT_EQ(listed[1].name, "getty@tty1.service");

  BuiltMessage files;
  ASSERT_GE(sd_bus_message_append(files.get(), "a(ss)", 3, "/etc/systemd/system/mediamtx.service",
                                  "enabled", "/lib/systemd/system/getty@.service", "enabled",
                                  "/lib/systemd/system/ssh.socket", "enabled"),
            0);
  std::vector<ListedUnitFile> file_list;
  ASSERT_GE(read_list_unit_files(files.sealed(), file_list), 0);
  ASSERT_EQ(file_list.size(), 1U);  // no template, no socket
  EXPECT_EQ(file_list[0].name, "mediamtx.service");
  EXPECT_EQ(file_list[0].state, "enabled");
  EXPECT_TRUE(may_start_at_boot("disabled"));
  EXPECT_FALSE(may_start_at_boot("masked"));
  EXPECT_FALSE(may_start_at_boot("static"));
}

TEST(ExclusivityUnits, AMalformedReplyIsAnErrorNotACrash) {
  BuiltMessage msg;
  ASSERT_GE(sd_bus_message_append(msg.get(), "as", 1, "x"), 0);
  UnitFact fact;
  EXPECT_LT(read_unit_properties(msg.sealed(), fact), 0);
}

}  // namespace
}  // namespace lifeline::exclusivity
