// Output escaping for everything the rescue server writes. Unit and process names come
// from the system and may hold markup or control characters; nothing reaches a page, a
// JSON string or a metrics line without passing through one of these.
#pragma once

#include <string>
#include <string_view>

namespace lifeline::rescue {

// & < > " ' become entities; control characters become visible escapes (\xNN),
// so a name can neither open a tag nor break out of an attribute.
void append_html(std::string& out, std::string_view text);
std::string html(std::string_view text);

// A Prometheus label value: backslash, double quote and newline escaped (exposition 0.0.4);
// other control characters become "?" so a line can never be split.
void append_label_value(std::string& out, std::string_view text);

}  // namespace lifeline::rescue
