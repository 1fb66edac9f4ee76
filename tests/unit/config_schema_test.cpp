// The schema is the single list of keys: the docs must match it, and so must config.hpp.
#include "config/schema.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "config/checker.hpp"
#include "config_test_support.hpp"

namespace lifeline {
namespace {

using test::expect_same_settings;
using test::parse;

// The rows of a doc's key tables: | `[section]` | `key` | type | `default` | unit | range | ...
struct DocRow {
  std::string section;
  std::string key;
  std::string type;
  std::string default_value;
};

std::string strip(std::string_view cell) {
  while (!cell.empty() && (cell.front() == ' ' || cell.front() == '`')) cell.remove_prefix(1);
  while (!cell.empty() && (cell.back() == ' ' || cell.back() == '`')) cell.remove_suffix(1);
  return std::string(cell);
}

std::vector<DocRow> doc_rows(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::vector<DocRow> rows;
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("| `[") && !line.starts_with("| (top level)")) continue;
    std::vector<std::string> cells;
    std::string_view rest = std::string_view(line).substr(1);
    for (std::size_t bar = rest.find(" |"); bar != std::string_view::npos; bar = rest.find(" |")) {
      cells.push_back(strip(rest.substr(0, bar)));
      rest.remove_prefix(bar + 2);
    }
    if (cells.size() >= 4) rows.push_back(DocRow{cells[0], cells[1], cells[2], cells[3]});
  }
  return rows;
}

std::string kind_name(schema::Kind kind) {
  switch (kind) {
    case schema::Kind::boolean:
      return "boolean";
    case schema::Kind::integer:
      return "integer";
    case schema::Kind::string:
      return "string";
    case schema::Kind::path:
      return "path";
    case schema::Kind::table_array:
      return "array of tables";
    case schema::Kind::string_list:
      return "array of strings";
  }
  return "?";
}

// Every schema key has a row with its type and default, and every row is a schema key.
template <typename Label>
void expect_docs_match(const std::string& doc, std::span<const schema::Key> keys, Label label) {
  const auto rows = doc_rows(std::string(LIFELINE_SOURCE_DIR) + "/docs/" + doc);
  for (const schema::Key& key : keys) {
    const std::string section = label(key.section);
    const auto row = std::find_if(rows.begin(), rows.end(), [&](const DocRow& r) {
      return r.section == section && r.key == key.name;
    });
    ASSERT_NE(row, rows.end()) << section << " " << key.name << " is not in " << doc;
    EXPECT_EQ(row->type, kind_name(key.kind)) << section << " " << key.name;
    EXPECT_EQ(row->default_value, key.default_value) << section << " " << key.name;
  }
  for (const DocRow& row : rows) {
    const bool known = std::any_of(keys.begin(), keys.end(), [&](const schema::Key& k) {
      return label(k.section) == row.section && k.name == row.key;
    });
    EXPECT_TRUE(known) << row.section << " " << row.key << " is in " << doc
                       << " but not in the schema";
  }
}

TEST(ConfigSchema, DocsListEveryKeyAndOnlySchemaKeys) {
  expect_docs_match("configuration.md", schema::config_keys(), [](std::string_view section) {
    const bool table_array = section == "health.file_check" || section == "memory.watch" ||
                             section == "exclusivity.role";
    return table_array ? "[[" + std::string(section) + "]]" : "[" + std::string(section) + "]";
  });
}

TEST(BoardSchema, DocsListEveryKeyAndOnlySchemaKeys) {
  expect_docs_match("boards.md", schema::board_keys(), [](std::string_view section) {
    if (section.empty()) return std::string("(top level)");
    if (section == schema::kLineSection) return std::string("[<line role>]");
    return "[" + std::string(section) + "]";
  });
}

TEST(ConfigSchema, DefaultsMatchConfigStruct) {
  // A file spelling out every schema default must mean what an empty file means.
  std::string text;
  for (std::string_view section : schema::config_sections()) {
    text += "[" + std::string(section) + "]\n";
    for (const schema::Key& key : schema::config_keys()) {
      if (key.section == section && key.kind != schema::Kind::table_array) {
        text += std::string(key.name) + " = " + std::string(key.default_value) + "\n";
      }
    }
  }
  text += "[[health.file_check]]\nname = \"a\"\npath = \"/a\"\n";
  for (const schema::Key& key : schema::config_keys()) {
    if (key.section == "health.file_check" && key.default_value != "required") {
      text += std::string(key.name) + " = " + std::string(key.default_value) + "\n";
    }
  }
  auto spelled = parse(text);
  ASSERT_TRUE(spelled.ok()) << spelled.error().message << "\n" << text;
  FileCheckConfig check;
  check.name = "a";
  check.path = "/a";
  Config expected;
  expected.health.file_checks.push_back(check);
  expect_same_settings(*spelled, expected);
}

TEST(ConfigSchema, EditDistanceCountsSwapsAsOne) {
  EXPECT_EQ(check::edit_distance("timeout_s", "timeout_s"), 0U);
  EXPECT_EQ(check::edit_distance("timout_s", "timeout_s"), 1U);
  EXPECT_EQ(check::edit_distance("tiemout_s", "timeout_s"), 1U);
  EXPECT_EQ(check::edit_distance("", "abc"), 3U);
  EXPECT_EQ(check::edit_distance("kitten", "sitting"), 3U);
}

TEST(ConfigSchema, QuoteEscapesAndShortens) {
  EXPECT_EQ(check::quote("a\"b\\c\n\x01"), R"("a\"b\\c\n\x01")");
  const std::string long_text(100, 'x');
  EXPECT_EQ(check::quote(long_text), "\"" + std::string(80, 'x') + "...\"");
}

}  // namespace
}  // namespace lifeline
