// detect_type(): by extension first, then by sniffing the first bytes of the file.
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include <boost/json/parse.hpp>
#include <zip.h>

#include "anvil/rag/loaders/loader.h"
#include "anvil/rag/loaders/loader_common.h"

namespace anvil::rag {
namespace {

constexpr std::string_view kSupported =
    ".txt .md .html .pdf .docx .csv .tsv .jsonl (and BEIR corpus.jsonl), or text content";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

core::Status error(const std::filesystem::path& path, core::StatusCode code, std::string_view message) {
  return {code, path.string() + ": " + std::string(message)};
}

// The first `n` bytes, or the first line when `line` (up to n bytes).
core::Result<std::string> read_prefix(const std::filesystem::path& path, size_t n) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return error(path, core::StatusCode::kIo, std::string("cannot open: ") + std::strerror(errno));
  std::string data(n, '\0');
  data.resize(std::fread(data.data(), 1, n, f.get()));
  return data;
}

// The first non-blank line of `prefix` when it is a complete JSON object: "beir" when it has
// "_id" and "text", else "jsonl". Empty when it is not JSON lines.
std::string sniff_json_lines(std::string_view prefix) {
  if (prefix.starts_with("\xEF\xBB\xBF")) prefix.remove_prefix(3);
  size_t start = 0;
  for (;;) {
    size_t end = prefix.find('\n', start);
    if (end == std::string_view::npos) end = prefix.size();
    std::string_view line = prefix.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) {
      boost::system::error_code ec;
      boost::json::value v = boost::json::parse(line, ec);
      if (ec || !v.is_object()) return {};
      const auto& o = v.get_object();
      const auto* text = o.if_contains("text");
      return o.contains("_id") && text != nullptr && text->is_string() ? "beir" : "jsonl";
    }
    if (end >= prefix.size()) return {};
    start = end + 1;
  }
}

bool looks_like_html(std::string_view prefix) {
  if (prefix.starts_with("\xEF\xBB\xBF")) prefix.remove_prefix(3);
  const size_t first = prefix.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return false;
  const std::string head = lower(prefix.substr(first, 1024));
  if (head.starts_with("<!doctype html") || head.starts_with("<html")) return true;
  if (head.starts_with("<?xml") && head.find("<html") != std::string::npos) return true;
  return head.starts_with("<") && (head.find("<head") != std::string::npos || head.find("<body") != std::string::npos);
}

core::Result<std::string> sniff_zip(const std::filesystem::path& path) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (z == nullptr) return error(path, core::StatusCode::kCorrupt, "a damaged zip archive (not a readable DOCX)");
  const bool docx = zip_name_locate(z, "word/document.xml", 0) >= 0;
  zip_discard(z);
  if (!docx) {
    return error(path, core::StatusCode::kUnsupported,
                 "unsupported file type: a zip archive without word/document.xml (not a DOCX); supported: " +
                     std::string(kSupported));
  }
  return std::string("docx");
}

}  // namespace

core::Result<std::string> detect_type(const std::filesystem::path& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    return error(path, err == ENOENT || err == ENOTDIR ? core::StatusCode::kNotFound : core::StatusCode::kIo,
                 std::string("cannot open: ") + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) return error(path, core::StatusCode::kInvalidArgument, "expected a regular file");
  if (st.st_size == 0) return error(path, core::StatusCode::kInvalidArgument, "file is empty");

  const std::string ext = lower(path.extension().string());
  if (ext == ".txt" || ext == ".text" || ext == ".log") return std::string("text");
  if (ext == ".md" || ext == ".markdown" || ext == ".mdown" || ext == ".mkd") return std::string("markdown");
  if (ext == ".html" || ext == ".htm" || ext == ".xhtml") return std::string("html");
  if (ext == ".pdf") return std::string("pdf");
  if (ext == ".docx") return std::string("docx");
  if (ext == ".csv" || ext == ".tsv") return std::string("csv");
  if (ext == ".doc" || ext == ".xls" || ext == ".xlsx" || ext == ".ppt" || ext == ".pptx" || ext == ".rtf" ||
      ext == ".odt") {
    return error(path, core::StatusCode::kUnsupported,
                 "unsupported file type '" + ext + "' (save it as .docx, .pdf or .csv); supported: " +
                     std::string(kSupported));
  }

  ANVIL_ASSIGN_OR_RETURN(std::string prefix, read_prefix(path, size_t{1} << 16));
  if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") {
    std::string kind = sniff_json_lines(prefix);
    if (!kind.empty()) return kind;
    if (ext == ".json") {
      return error(path, core::StatusCode::kUnsupported,
                   "a JSON document, not JSON lines: expected one JSON object per line");
    }
    return std::string("jsonl");  // the loader names the bad line
  }

  // Unknown extension: look at the content.
  if (std::string_view(prefix).substr(0, 1024).find("%PDF-") != std::string_view::npos) return std::string("pdf");
  if (prefix.starts_with("PK\x03\x04")) return sniff_zip(path);
  if (std::memchr(prefix.data(), 0, prefix.size()) != nullptr) {
    return error(path, core::StatusCode::kUnsupported,
                 "unsupported file type" + (ext.empty() ? std::string() : " '" + ext + "'") +
                     ": binary content; supported: " + std::string(kSupported));
  }
  if (looks_like_html(prefix)) return std::string("html");
  if (std::string kind = sniff_json_lines(prefix); !kind.empty()) return kind;
  return std::string("text");
}

}  // namespace anvil::rag
