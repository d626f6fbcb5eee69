// Double-quoted string literals with backslash escapes, the form shared by TOML basic strings,
// JSON and Anvil's filter syntax: used wherever a value is printed so that it can be read back.
#pragma once

#include <string>
#include <string_view>

namespace anvil::core {

// "a\"b\n": quotes, backslashes, \n \t \r escaped; other control characters (and DEL) as \u00XX.
void append_quoted(std::string& out, std::string_view text);
std::string quoted(std::string_view text);

}  // namespace anvil::core
