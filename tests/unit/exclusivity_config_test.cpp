// [exclusivity] and [[exclusivity.role]]: what is accepted, the defaults, what is refused.
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "config_test_support.hpp"

namespace lifeline {
namespace {

using test::errors;
using test::kFile;
using test::parse;

TEST(ExclusivityConfig, NoRolesByDefault) {
  auto config = parse("");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_TRUE(config->exclusivity.roles.empty());
  EXPECT_EQ(config->exclusivity.interval, std::chrono::milliseconds(60000));
  EXPECT_EQ(config->exclusivity.mask_dir, "/etc/systemd/system");
}

TEST(ExclusivityConfig, MaskDirIsAnAbsolutePath) {
  auto config = parse("[exclusivity]\nmask_dir = \"/tmp/units\"\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->exclusivity.mask_dir, "/tmp/units");
  EXPECT_NE(errors("[exclusivity]\nmask_dir = \"etc/systemd/system\"\n")
                .find("[exclusivity] mask_dir: expected an absolute path"),
            std::string::npos)
      << errors("[exclusivity]\nmask_dir = \"etc/systemd/system\"\n");
}

TEST(ExclusivityConfig, ReadsEveryRoleKey) {
  auto config = parse(R"([exclusivity]
interval_ms = 2000
[[exclusivity.role]]
name = "media"
unit = "avatar-tank.service"
ports = ["tcp/8554", "udp/8888"]
binaries = ["/usr/local/bin/mediamtx", "mediamtx_main.py"]
max_instances = 2
mode = "stop"
[[exclusivity.role]]
name = "web"
unit = "avatar-tank.service"
ports = ["tcp/5000"]
)");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const auto& x = config->exclusivity;
  EXPECT_EQ(x.interval, std::chrono::milliseconds(2000));
  ASSERT_EQ(x.roles.size(), 2U);
  const RoleConfig& media = x.roles[0];
  EXPECT_EQ(media.name, "media");
  EXPECT_EQ(media.unit, "avatar-tank.service");
  EXPECT_EQ(media.ports, (std::vector<RolePort>{{PortProto::tcp, 8554}, {PortProto::udp, 8888}}));
  EXPECT_EQ(media.binaries,
            (std::vector<std::string>{"/usr/local/bin/mediamtx", "mediamtx_main.py"}));
  EXPECT_EQ(media.max_instances, 2U);
  EXPECT_EQ(media.mode, ExclusivityMode::stop);
  const RoleConfig& web = x.roles[1];
  EXPECT_EQ(web.max_instances, 1U);
  EXPECT_EQ(web.mode, ExclusivityMode::report);
  EXPECT_TRUE(web.binaries.empty());
  EXPECT_EQ(port_text(web.ports.at(0)), "tcp/5000");
}

TEST(ExclusivityConfig, RefusesBadValuesWithTheirPosition) {
  const std::string head = "[[exclusivity.role]]\nname = \"media\"\nunit = \"a.service\"\n";
  EXPECT_EQ(errors(head + "ports = [\"tcp/0\"]\n"),
            kFile +
                ":4:10: [exclusivity.role #1] ports: expected an array of at most 64 "
                "strings, each \"tcp/N\" or \"udp/N\" with N from 1 to 65535, found "
                "\"tcp/0\"");
  for (const char* bad : {"sctp/80", "tcp/65536", "tcp/80x", "tcp/", "8554"}) {
    EXPECT_NE(errors(head + "ports = [\"" + bad + "\"]\n").find("ports: expected"),
              std::string::npos)
        << bad;
  }
  EXPECT_NE(errors(head + "ports = [\"tcp/1\"]\nmode = \"hide\"\n")
                .find("mode: expected \"report\", \"stop\" or \"mask\", found \"hide\""),
            std::string::npos);
  EXPECT_NE(errors(head + "ports = [\"tcp/1\"]\nmax_instances = 0\n").find("max_instances"),
            std::string::npos);
  EXPECT_NE(errors(head + "binaries = [\"bin/mediamtx\"]\n").find("binaries: expected"),
            std::string::npos);
  // A role with nothing to own guards nothing.
  EXPECT_NE(errors(head).find("at least one port or binary"), std::string::npos);
}

TEST(ExclusivityConfig, RoleNeedsAUniqueNameAndAServiceOrScopeOwner) {
  EXPECT_NE(errors("[[exclusivity.role]]\nunit = \"a.service\"\nports = [\"tcp/1\"]\n")
                .find("[exclusivity.role #1] name: expected a unique name of 1 to 32 characters "
                      "from a-z, 0-9, '_' and '-', found nothing (the key is required)"),
            std::string::npos);
  EXPECT_NE(errors("[[exclusivity.role]]\nname = \"a\"\nports = [\"tcp/1\"]\n")
                .find("unit: expected a unit name such as \"avatar-tank.service\", found nothing"),
            std::string::npos);
  EXPECT_NE(errors("[[exclusivity.role]]\nname = \"a\"\nunit = \"a.slice\"\nports = "
                   "[\"tcp/1\"]\n")
                .find("unit: expected"),
            std::string::npos);
  const std::string role =
      "[[exclusivity.role]]\nname = \"a\"\nunit = \"a.service\"\nports = "
      "[\"tcp/1\"]\n";
  EXPECT_NE(errors(role + role).find("[exclusivity.role #2] name: expected a unique name"),
            std::string::npos);
  EXPECT_NE(errors(role + "port = [\"tcp/1\"]\n").find("port: unknown key"), std::string::npos);
}

}  // namespace
}  // namespace lifeline
