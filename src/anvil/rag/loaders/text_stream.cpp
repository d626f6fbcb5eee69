#include "anvil/rag/loaders/text_stream.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "anvil/text/utf8.h"

namespace anvil::rag::loaders {

core::Result<TextStream> TextStream::open(const FileContext& ctx) {
  std::FILE* f = std::fopen(ctx.path.c_str(), "rb");
  if (f == nullptr) return ctx.error(core::StatusCode::kIo, std::string("cannot open: ") + std::strerror(errno));
  return TextStream(ctx, f);
}

core::Result<std::string_view> TextStream::next() {
  while (!eof_) {
    block_ = std::move(carry_);
    carry_.clear();
    const size_t have = block_.size();
    block_.resize(have + kBlockBytes);
    const size_t n = std::fread(block_.data() + have, 1, kBlockBytes, file_.get());
    if (std::ferror(file_.get())) {
      return ctx_->error(core::StatusCode::kIo, std::string("read failed: ") + std::strerror(errno));
    }
    block_.resize(have + n);
    if (n == 0) {
      eof_ = true;
      if (!block_.empty()) {  // a multi-byte sequence cut off by the end of the file
        return ctx_->error(core::StatusCode::kInvalidArgument,
                           fmt::format("invalid UTF-8 at byte {} (line {}): truncated sequence at end of file",
                                       offset_, line_));
      }
      break;
    }
    if (first_) {
      first_ = false;
      if (block_.starts_with("\xEF\xBB\xBF")) {
        block_.erase(0, 3);
        offset_ += 3;
      }
    }
    const size_t keep = text::incomplete_utf8_suffix(block_);
    carry_.assign(block_, block_.size() - keep, keep);
    block_.resize(block_.size() - keep);
    ANVIL_RETURN_IF_ERROR(check_text(*ctx_, block_, offset_, line_));
    if (block_.empty()) continue;
    offset_ += block_.size();
    line_ += static_cast<uint64_t>(std::count(block_.begin(), block_.end(), '\n'));
    return std::string_view(block_);
  }
  return std::string_view();
}

core::Result<bool> LineReader::next(std::string& line) {
  line.clear();
  const size_t limit = ctx_->options->max_record_bytes;
  for (;;) {
    if (pending_.empty()) {
      if (!eof_) {
        ANVIL_ASSIGN_OR_RETURN(pending_, stream_.next());
        if (pending_.empty()) eof_ = true;
      }
      if (eof_) {
        if (line.empty()) return false;
        ++line_number_;
        return true;
      }
    }
    if (skip_lf_) {
      skip_lf_ = false;
      if (pending_.front() == '\n') {
        pending_.remove_prefix(1);
        continue;
      }
    }
    size_t pos = 0;
    const size_t n = pending_.size();
    while (pos < n && pending_[pos] != '\n' && pending_[pos] != '\r') ++pos;
    line.append(pending_.substr(0, std::min(pos, n)));
    if (line.size() > limit) {
      return ctx_->line_error(line_number_ + 1,
                              fmt::format("line longer than {} (max_record_bytes)", human_bytes(limit)));
    }
    if (pos == n) {
      pending_ = {};
      continue;
    }
    skip_lf_ = pending_[pos] == '\r';
    pending_.remove_prefix(pos + 1);
    ++line_number_;
    return true;
  }
}

}  // namespace anvil::rag::loaders
