#include "anvil/rag/loaders/record_mapper.h"

#include <charconv>
#include <cstdlib>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "anvil/rag/loaders/timestamp.h"

namespace anvil::rag::loaders {
namespace {

using Field = std::pair<std::string, boost::json::value>;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto la = static_cast<char>(std::tolower(static_cast<unsigned char>(a[i])));
    const auto lb = static_cast<char>(std::tolower(static_cast<unsigned char>(b[i])));
    if (la != lb) return false;
  }
  return true;
}

// Field names match case-insensitively (ASCII): "ID", "Title" and "Date" work as defaults.
const Field* find(const Record& r, std::string_view name) {
  for (const auto& f : r.fields) {
    if (iequals(f.first, name)) return &f;
  }
  return nullptr;
}

bool is_empty(const boost::json::value& v) {
  if (v.is_null()) return true;
  if (v.is_string()) return v.get_string().find_first_not_of(" \t\r\n") == boost::json::string::npos;
  if (v.is_array()) return v.get_array().empty();
  if (v.is_object()) return v.get_object().empty();
  return false;
}

bool is_textual(const boost::json::value& v) { return v.is_string() || v.is_array() || v.is_object(); }

// A scalar as an id or title string.
std::string scalar_string(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  return render_value(v);
}

bool is_integer(std::string_view s) {
  if (s.starts_with('-')) s.remove_prefix(1);
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool is_decimal(std::string_view s) {
  if (s.starts_with('-')) s.remove_prefix(1);
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  const size_t int_digits = digits();
  if (int_digits == 0 || (int_digits > 1 && s[0] == '0')) return false;
  bool any = false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
    any = true;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
    any = true;
  }
  return any && i == s.size();
}

std::string field_line(std::string_view name, const std::string& value) {
  if (value.find('\n') != std::string::npos) return fmt::format("{}:\n{}", name, value);
  return fmt::format("{}: {}", name, value);
}

}  // namespace

boost::json::value typed_cell(std::string_view cell) {
  while (!cell.empty() && (cell.front() == ' ' || cell.front() == '\t')) cell.remove_prefix(1);
  while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\t')) cell.remove_suffix(1);
  if (cell.empty()) return nullptr;
  if (iequals(cell, "true")) return true;
  if (iequals(cell, "false")) return false;
  if (is_integer(cell)) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    if (ec == std::errc() && p == cell.data() + cell.size()) return v;
  }
  if (is_integer(cell) || is_decimal(cell)) {
    const std::string copy(cell);
    char* end = nullptr;
    const double d = std::strtod(copy.c_str(), &end);
    if (end == copy.c_str() + copy.size()) return d;
  }
  return boost::json::string(cell);
}

std::string render_value(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::string:
      return std::string(v.get_string());
    case boost::json::kind::null:
      return {};
    case boost::json::kind::array: {
      const auto& a = v.get_array();
      std::string out;
      for (const auto& item : a) {
        if (is_empty(item)) continue;
        if (!out.empty()) out += '\n';
        if (a.size() > 1) out += "- ";
        out += render_value(item);
      }
      return out;
    }
    case boost::json::kind::object: {
      std::string out;
      for (const auto& [k, item] : v.get_object()) {
        if (is_empty(item)) continue;
        if (!out.empty()) out += "; ";
        out += fmt::format("{}: {}", std::string_view(k), render_value(item));
      }
      return out;
    }
    case boost::json::kind::double_:
      return fmt::format("{}", v.get_double());  // shortest form: 4.5, not 4.5E0
    default:
      return boost::json::serialize(v);
  }
}

core::Status RecordMapper::map(const Record& r, DocumentInfo& info, std::string& text) const {
  const FieldMapping& m = ctx_.options->fields;
  text.clear();

  // Id: the mapped field (required), else "id" / "_id", else the record number.
  std::string id;
  const Field* id_field = nullptr;
  if (!m.id_field.empty()) {
    id_field = find(r, m.id_field);
    if (id_field == nullptr || is_empty(id_field->second)) {
      return core::Status::invalid_argument(fmt::format("missing id field '{}'", m.id_field));
    }
  } else {
    for (const char* name : {"id", "_id"}) {
      const Field* f = find(r, name);
      if (f != nullptr && !is_empty(f->second)) {
        id_field = f;
        break;
      }
    }
  }
  id = id_field != nullptr ? scalar_string(id_field->second) : std::to_string(r.number);

  // Title: the mapped field ("-" = none), else "title" / "name".
  const Field* title_field = nullptr;
  if (m.title_field == "-") {
    // no title
  } else if (!m.title_field.empty()) {
    title_field = find(r, m.title_field);
  } else {
    for (const char* name : {"title", "name"}) {
      const Field* f = find(r, name);
      if (f != nullptr && !is_empty(f->second)) {
        title_field = f;
        break;
      }
    }
  }
  std::string title = title_field != nullptr ? scalar_string(title_field->second) : std::string();

  // Timestamp: the mapped field (must parse when present), else the first default candidate
  // whose value parses, else the file's modification time (make_info).
  std::string timestamp;
  if (m.timestamp_field == "-") {
    // the file's time
  } else if (!m.timestamp_field.empty()) {
    const Field* f = find(r, m.timestamp_field);
    if (f != nullptr && !is_empty(f->second)) {
      auto t = timestamp_from_json(f->second);
      if (!t) {
        return core::Status::invalid_argument(fmt::format(
            "field '{}': expected a date/time (ISO 8601, YYYY/MM/DD, YYYY年M月D日 or Unix seconds), found {}",
            f->first, boost::json::serialize(f->second)));
      }
      timestamp = *t;
    }
  } else {
    for (const char* name : {"timestamp", "date", "time", "created_at"}) {
      const Field* f = find(r, name);
      if (f == nullptr || is_empty(f->second)) continue;
      if (auto t = timestamp_from_json(f->second)) {
        timestamp = *t;
        break;
      }
    }
  }

  // Text.
  std::vector<const Field*> text_fields;
  if (!m.text_fields.empty()) {
    for (const auto& name : m.text_fields) {
      const Field* f = find(r, name);
      if (f != nullptr && !is_empty(f->second)) text_fields.push_back(f);
    }
    if (text_fields.empty()) {
      std::string names;
      for (const auto& n : m.text_fields) names += (names.empty() ? "" : ", ") + n;
      return core::Status::invalid_argument(fmt::format("none of the text fields ({}) has a value", names));
    }
  } else {
    for (const auto& f : r.fields) {
      if (&f == id_field || &f == title_field || is_empty(f.second) || !is_textual(f.second)) continue;
      text_fields.push_back(&f);
    }
    if (text_fields.empty()) {  // all numbers: keep them as text rather than lose the record
      for (const auto& f : r.fields) {
        if (&f == id_field || &f == title_field || is_empty(f.second)) continue;
        text_fields.push_back(&f);
      }
    }
  }
  std::string body;
  if (text_fields.size() == 1) {
    body = render_value(text_fields[0]->second);
  } else {
    for (const Field* f : text_fields) {
      if (!body.empty()) body += '\n';
      body += field_line(f->first, render_value(f->second));
    }
  }
  if (!title.empty() && body.find(title) != 0) {
    text = body.empty() ? title : title + "\n\n" + body;
  } else {
    text = body;
  }
  if (text.find('\r') != std::string::npos) text = normalize_newlines(text);

  // Metadata: the mapped fields as they are, else every field but long text.
  boost::json::object fields;
  if (!m.metadata_fields.empty()) {
    for (const auto& name : m.metadata_fields) {
      if (const Field* f = find(r, name); f != nullptr && !f->second.is_null()) fields[f->first] = f->second;
    }
  } else {
    const size_t limit = ctx_.options->max_metadata_string_bytes;
    for (const auto& f : r.fields) {
      if (f.second.is_null()) continue;
      if (f.second.is_string() && f.second.get_string().size() > limit) continue;
      if ((f.second.is_array() || f.second.is_object()) && boost::json::serialize(f.second).size() > limit) continue;
      fields[f.first] = f.second;
    }
  }
  info = make_info(ctx_, type_, ctx_.display + "#" + id, std::move(title), std::move(timestamp), fields);
  return {};
}

}  // namespace anvil::rag::loaders
