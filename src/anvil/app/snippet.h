// Search-result snippets: the part of a chunk that best shows why it matched, short enough for
// one or two terminal lines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "anvil/rag/analyzer.h"

namespace anvil::app {

// The window of whole sentences holding the most distinct query terms, whitespace collapsed, at
// most `max_code_points` long including the "…" that marks a window not at the chunk's start or a
// single sentence cut at a character boundary. max_code_points must be at least 2.
std::string make_snippet(std::string_view text, const std::vector<std::string>& query_terms,
                         const rag::Analyzer& analyzer, size_t max_code_points = 200);

}  // namespace anvil::app
