// Small HTML helpers shared by the page's parts (page.cpp, page_memory.cpp). Every value
// they write passes the HTML escaper.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace lifeline::rescue {

// A JSON value as a person reads it: strings as they are, null "-", booleans yes/no.
std::string text_of(const nlohmann::json& value);
// object[key], or null when the object or key is missing: the page shows any subset.
const nlohmann::json& part(const nlohmann::json& object, const char* key);
// <tr><th>label</th><td [id]>value</td></tr>, both escaped.
void row(std::string& out, std::string_view label, const std::string& value,
         const char* id = nullptr);
// A capability's part shown as rows of its plain values ("not monitored" when absent).
void generic_part(std::string& out, const char* title, const nlohmann::json& value);
// The memory guard's part and its SSH probe.
void memory_part(std::string& out, const nlohmann::json& memory);
void ssh_part(std::string& out, const nlohmann::json& ssh);

}  // namespace lifeline::rescue
