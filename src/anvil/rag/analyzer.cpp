#include "anvil/rag/analyzer.h"

#include "anvil/rag/chinese_analyzer.h"
#include "anvil/rag/english_analyzer.h"

namespace anvil::rag {

core::Result<std::shared_ptr<const Analyzer>> make_analyzer(std::string_view language) {
  if (language == "en") {
    ANVIL_ASSIGN_OR_RETURN(auto en, EnglishAnalyzer::create());
    return std::shared_ptr<const Analyzer>(std::move(en));
  }
  if (language == "auto" || language == "zh") {
    ANVIL_ASSIGN_OR_RETURN(auto zh, ChineseAnalyzer::create(language));
    return std::shared_ptr<const Analyzer>(std::move(zh));
  }
  return core::Status::invalid_argument("unknown analyzer '" + std::string(language) +
                                        "': expected one of \"auto\", \"en\", \"zh\"");
}

}  // namespace anvil::rag
