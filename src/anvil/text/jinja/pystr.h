// Python string behaviour that chat templates rely on, for UTF-8 strings: float repr, string
// repr, whitespace (str.isspace), strip/split, case mapping, and indexing by code point.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anvil::text::jinja::py {

// repr(float): the shortest digits that read back to `d`, fixed notation for 1e-4 <= |d| < 1e16
// ("1.0", "0.0001", "123.5"), scientific otherwise ("1e+16", "1.5e-05"); "inf", "nan".
std::string float_repr(double d);

// repr(str): single quotes unless the text holds ' and no ", escapes \\ \n \r \t and other
// non-printable ASCII as \xNN; non-ASCII characters are kept.
std::string string_repr(std::string_view s);

// str.isspace() for one code point: ASCII whitespace, \x1c-\x1f, \x85, \xa0, U+1680,
// U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
bool is_space(char32_t cp);

// str.strip([chars]) / lstrip / rstrip. Without `chars`, strips is_space() code points.
std::string strip(std::string_view s, std::optional<std::string_view> chars, bool left, bool right);

// str.split(sep=None, maxsplit=-1): without `sep`, splits on runs of whitespace and drops empty
// pieces; with `sep` (non-empty), splits on every occurrence. maxsplit < 0 means no limit.
std::vector<std::string> split(std::string_view s, std::optional<std::string_view> sep,
                               int64_t maxsplit);

// str.splitlines(): on \n, \r\n, \r and the other Unicode line boundaries; no line ends kept.
std::vector<std::string> splitlines(std::string_view s);

// Case mapping with Unicode's full mappings (ICU): upper("ß") == "SS".
std::string upper(std::string_view s);
std::string lower(std::string_view s);
// str.capitalize(): the first code point upper-cased, the rest lower-cased.
std::string capitalize(std::string_view s);
// str.title(): a cased character after an uncased one is upper-cased, others lower-cased.
std::string title(std::string_view s);
// True when the string has cased characters and all of them are upper (lower) case.
bool is_upper(std::string_view s);
bool is_lower(std::string_view s);

// The code points of `s`, each as its own UTF-8 string (iteration over a str).
std::vector<std::string> chars(std::string_view s);
// len(str): code points.
size_t length(std::string_view s);

}  // namespace anvil::text::jinja::py
