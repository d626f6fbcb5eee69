#include "anvil/rag/loaders/csv_reader.h"

#include <fmt/format.h>

namespace anvil::rag::loaders {

core::Result<bool> CsvReader::next(std::vector<std::string>& fields) {
  fields.clear();
  auto first = lines_.next(line_);
  if (!first.ok()) {
    fatal_ = true;  // an encoding or I/O problem: the rest of the file cannot be trusted
    return first.status();
  }
  if (!*first) return false;
  record_line_ = lines_.line_number();
  const size_t limit = ctx_->options->max_record_bytes;
  size_t record_bytes = line_.size();

  std::string field;
  size_t i = 0;
  for (;;) {
    // At the start of a field.
    field.clear();
    if (i < line_.size() && line_[i] == '"') {
      ++i;
      for (;;) {
        const size_t q = line_.find('"', i);
        if (q == std::string::npos) {
          // The quoted field goes on over a line break.
          field.append(line_, i, std::string::npos);
          field.push_back('\n');
          auto got = lines_.next(line_);
          if (!got.ok()) {
            fatal_ = true;
            return got.status();
          }
          if (!*got) {
            fatal_ = true;
            return ctx_->line_error(record_line_, "unterminated quoted field: a '\"' in this record is never closed");
          }
          record_bytes += line_.size() + 1;
          if (record_bytes > limit) {
            fatal_ = true;
            return ctx_->line_error(record_line_, fmt::format("record longer than {} (max_record_bytes); "
                                                              "is a quote left open?", human_bytes(limit)));
          }
          i = 0;
          continue;
        }
        field.append(line_, i, q - i);
        if (q + 1 < line_.size() && line_[q + 1] == '"') {  // "" is an escaped quote
          field.push_back('"');
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      while (i < line_.size() && (line_[i] == ' ' || line_[i] == '\t') && line_[i] != delimiter_) ++i;
      if (i < line_.size() && line_[i] != delimiter_) {
        return ctx_->line_error(lines_.line_number(),
                                fmt::format("field {}: expected '{}' or end of line after a closing quote, found '{}'",
                                            fields.size() + 1, delimiter_ == '\t' ? "\\t" : std::string(1, delimiter_),
                                            line_[i]));
      }
    } else {
      const size_t d = line_.find(delimiter_, i);
      const size_t end = d == std::string::npos ? line_.size() : d;
      field.assign(line_, i, end - i);
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line_.size()) return true;
    ++i;  // the delimiter
    if (i == line_.size()) {  // a trailing delimiter: one more, empty field
      fields.emplace_back();
      return true;
    }
  }
}

}  // namespace anvil::rag::loaders
