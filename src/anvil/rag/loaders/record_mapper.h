// Turns one record of a CSV or JSON-lines file (named, typed fields) into a document: id, title,
// timestamp, text and metadata chosen by the FieldMapping or its documented defaults.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "anvil/core/status.h"
#include "anvil/rag/document.h"
#include "anvil/rag/loaders/loader_common.h"

namespace anvil::rag::loaders {

struct Record {
  std::vector<std::pair<std::string, boost::json::value>> fields;  // in file order
  uint64_t number = 0;  // 1-based position among the file's records
};

// A CSV cell as a typed value: "" -> null, true/false (any case) -> bool, integers without
// leading zeros -> int64, decimals / exponents -> double, anything else the string itself.
// Surrounding spaces are ignored for typing and dropped.
boost::json::value typed_cell(std::string_view cell);

// A value as text: strings as they are, numbers and booleans as JSON writes them, arrays one
// element per line ("- " before each when several), objects as "key: value" pairs joined by "; ".
std::string render_value(const boost::json::value& value);

class RecordMapper {
 public:
  RecordMapper(const FileContext& ctx, std::string type) : ctx_(ctx), type_(std::move(type)) {}

  // Fills `info` and `text` for the record. A bad record (a mapped field missing or malformed)
  // returns an error without file/line context; a record with nothing in it leaves `text` empty.
  core::Status map(const Record& record, DocumentInfo& info, std::string& text) const;

 private:
  const FileContext& ctx_;
  std::string type_;
};

}  // namespace anvil::rag::loaders
