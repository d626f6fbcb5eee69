#include "anvil/rag/loaders/loader_common.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>

#include <fmt/format.h>

#include "anvil/text/utf8.h"

namespace anvil::rag::loaders {
namespace {

std::string iso8601_utc(time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos; }

bool is_space_or_newline(char c) { return c == '\n' || c == ' ' || c == '\t' || c == '\r'; }

}  // namespace

core::Status FileContext::error(core::StatusCode code, std::string_view message) const {
  return {code, display + ": " + std::string(message)};
}

core::Status FileContext::line_error(uint64_t line, std::string_view message) const {
  return {core::StatusCode::kInvalidArgument, fmt::format("{}: line {}: {}", display, line, message)};
}

std::string human_bytes(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30) && bytes % (uint64_t{1} << 30) == 0) return fmt::format("{} GiB", bytes >> 30);
  if (bytes >= (uint64_t{1} << 20) && bytes % (uint64_t{1} << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= (uint64_t{1} << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
  if (bytes >= 1024 && bytes % 1024 == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} bytes", bytes);
}

core::Result<FileContext> open_context(const std::filesystem::path& path, const LoaderOptions& options) {
  FileContext ctx;
  ctx.path = path;
  ctx.display = path.string();
  ctx.options = &options;
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    const auto code = err == ENOENT || err == ENOTDIR ? core::StatusCode::kNotFound
                      : err == EACCES             ? core::StatusCode::kPermissionDenied
                                                  : core::StatusCode::kIo;
    return ctx.error(code, std::string("cannot open: ") + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) {
    return ctx.error(core::StatusCode::kInvalidArgument, "expected a regular file, found a directory");
  }
  if (!S_ISREG(st.st_mode)) {
    return ctx.error(core::StatusCode::kInvalidArgument, "expected a regular file, found a special file");
  }
  if (st.st_size == 0) return ctx.error(core::StatusCode::kInvalidArgument, "file is empty");
  ctx.size = static_cast<uint64_t>(st.st_size);
  ctx.mtime_iso = iso8601_utc(st.st_mtim.tv_sec);
  return ctx;
}

core::Result<std::string> read_whole_file(const FileContext& ctx, std::string_view type) {
  const uint64_t limit = ctx.options->max_parsed_file_bytes;
  if (ctx.size > limit) {
    return ctx.error(core::StatusCode::kResourceExhausted,
                     fmt::format("file is {}, above the {} limit for {} files (max_parsed_file_bytes)",
                                 human_bytes(ctx.size), human_bytes(limit), type));
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(ctx.path.c_str(), "rb"), &std::fclose);
  if (!f) return ctx.error(core::StatusCode::kIo, std::string("cannot open: ") + std::strerror(errno));
  std::string data;
  data.resize(static_cast<size_t>(ctx.size));
  const size_t got = std::fread(data.data(), 1, data.size(), f.get());
  if (std::ferror(f.get())) {
    return ctx.error(core::StatusCode::kIo, std::string("read failed: ") + std::strerror(errno));
  }
  data.resize(got);  // the file may have shrunk since stat
  if (data.empty()) return ctx.error(core::StatusCode::kInvalidArgument, "file is empty");
  return data;
}

core::Status check_text(const FileContext& ctx, std::string_view bytes, uint64_t base_offset, uint64_t base_line) {
  auto line_of = [&](size_t offset) {
    uint64_t line = base_line;
    for (size_t i = 0; i < offset; ++i) line += bytes[i] == '\n';
    return line;
  };
  if (const void* nul = std::memchr(bytes.data(), 0, bytes.size())) {
    const size_t off = static_cast<size_t>(static_cast<const char*>(nul) - bytes.data());
    if (base_offset == 0 && (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF"))) {
      return ctx.error(core::StatusCode::kUnsupported,
                       "UTF-16 text is not supported; expected UTF-8 (convert the file first)");
    }
    return ctx.error(core::StatusCode::kUnsupported,
                     fmt::format("binary content (NUL byte at offset {}); expected UTF-8 text", base_offset + off));
  }
  if (auto bad = text::find_invalid_utf8(bytes)) {
    return ctx.error(core::StatusCode::kInvalidArgument,
                     fmt::format("invalid UTF-8 at byte {} (line {}); expected UTF-8 text (convert legacy "
                                 "encodings such as GBK or Latin-1 first)",
                                 base_offset + *bad, line_of(*bad)));
  }
  return {};
}

std::string_view strip_bom(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  return text;
}

std::string normalize_newlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

bool is_reserved_key(std::string_view key) {
  return key == "type" || key == "source" || key == "title" || key == "timestamp";
}

DocumentInfo make_info(const FileContext& ctx, std::string_view type, std::string source, std::string title,
                       std::string timestamp, const boost::json::object& fields) {
  DocumentInfo info;
  info.source = std::move(source);
  info.type = std::string(type);
  info.title = std::move(title);
  auto& md = info.metadata;
  for (const auto& [key, value] : fields) {
    if (is_reserved_key(key)) {
      md[std::string("record_") + std::string(key)] = value;
    } else {
      md[key] = value;
    }
  }
  for (const auto& [key, value] : ctx.options->extra_metadata) md[key] = value;
  md["type"] = info.type;
  md["source"] = info.source;
  if (!info.title.empty()) md["title"] = info.title;
  md["timestamp"] = timestamp.empty() ? ctx.mtime_iso : timestamp;
  return info;
}

std::pair<size_t, size_t> find_cut(std::string_view text, size_t limit) {
  if (text.size() <= limit) return {text.size(), text.size()};
  const std::string_view head = text.substr(0, limit + 1);
  // Blank line: "\n" followed by optional spaces and another "\n", searched backwards.
  for (size_t pos = head.rfind('\n'); pos != std::string_view::npos && pos > 0; pos = head.rfind('\n', pos - 1)) {
    size_t k = pos;
    while (k > 0 && (head[k - 1] == ' ' || head[k - 1] == '\t' || head[k - 1] == '\r')) --k;
    if (k > 0 && head[k - 1] == '\n') {
      size_t end = k - 1;
      while (end > 0 && is_space_or_newline(head[end - 1])) --end;
      if (end == 0) break;
      size_t rest = pos + 1;
      while (rest < text.size() && is_space_or_newline(text[rest])) ++rest;
      return {end, rest};
    }
  }
  for (const char sep : {'\n', ' '}) {
    const size_t pos = head.rfind(sep);
    if (pos != std::string_view::npos && pos > 0) {
      size_t rest = pos + 1;
      while (rest < text.size() && text[rest] == sep) ++rest;
      return {pos, rest};
    }
  }
  const size_t cut = text::floor_boundary(text, limit);
  return {cut, cut};
}

core::Status emit_section(DocumentSink& sink, Section section, size_t max_bytes) {
  if (max_bytes == 0) max_bytes = 1;
  if (section.text.size() <= max_bytes) return sink.add_section(std::move(section));
  std::string_view rest(section.text);
  bool first = true;
  while (!rest.empty()) {
    auto [end, next] = find_cut(rest, max_bytes);
    if (next == 0) {  // a limit below one code point: take one anyway
      text::decode_utf8(rest, next);
      end = next;
    }
    Section piece;
    piece.text.assign(rest.substr(0, end));
    piece.heading_path = section.heading_path;
    piece.page = section.page;
    piece.continues_previous = first ? section.continues_previous : true;
    rest.remove_prefix(next);
    if (!is_blank(piece.text)) {
      ANVIL_RETURN_IF_ERROR(sink.add_section(std::move(piece)));
      first = false;
    }
  }
  return {};
}

core::Status emit_document(DocumentSink& sink, const DocumentInfo& info, std::vector<Section> sections,
                           size_t max_section_bytes) {
  ANVIL_RETURN_IF_ERROR(sink.begin_document(info));
  for (auto& s : sections) {
    if (is_blank(s.text)) continue;
    if (!text::is_valid_utf8(s.text)) {  // parsers' output (PDF, DOCX XML) is not guaranteed
      std::string fixed;
      for (auto [cp, offset] : text::CodePoints(s.text)) text::append_utf8(fixed, cp);
      s.text = std::move(fixed);
    }
    ANVIL_RETURN_IF_ERROR(emit_section(sink, std::move(s), max_section_bytes));
  }
  return sink.end_document();
}

}  // namespace anvil::rag::loaders
