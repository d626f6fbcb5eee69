// The "auto" and "zh" analyzers: Han runs are segmented by jieba in search-engine mode, all
// other text goes through the English pipeline; every term is NFKC case-folded.
// Pipeline and the evidence behind it: docs/ANALYZERS.md.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/rag/analyzer.h"
#include "anvil/rag/english_analyzer.h"
#include "anvil/text/jieba.h"

namespace anvil::rag {

class ChineseAnalyzer final : public Analyzer {
 public:
  // `name` is "auto" or "zh". Fails when jieba's data (python3-jieba) or the English
  // pipeline's data are missing.
  static core::Result<std::shared_ptr<const ChineseAnalyzer>> create(std::string_view name);

  void analyze(std::string_view utf8, std::vector<std::string>& out) const override;
  std::string_view name() const override { return name_; }

 private:
  ChineseAnalyzer(std::string name, std::shared_ptr<const text::Jieba> jieba,
                  std::shared_ptr<const EnglishAnalyzer> english)
      : name_(std::move(name)), jieba_(std::move(jieba)), english_(std::move(english)) {}
  void analyze_han(std::string_view run, std::vector<std::string>& out) const;

  std::string name_;
  std::shared_ptr<const text::Jieba> jieba_;
  std::shared_ptr<const EnglishAnalyzer> english_;
};

}  // namespace anvil::rag
