#include "anvil/gateway/upstream.h"

namespace anvil::gateway {

std::string_view operation_path(Operation op) {
  switch (op) {
    case Operation::kChatCompletions: return "/v1/chat/completions";
    case Operation::kCompletions: return "/v1/completions";
    case Operation::kEmbeddings: return "/v1/embeddings";
    case Operation::kRerank: return "/v1/rerank";
  }
  return "";
}

std::string_view operation_name(Operation op) {
  switch (op) {
    case Operation::kChatCompletions: return "chat";
    case Operation::kCompletions: return "completions";
    case Operation::kEmbeddings: return "embeddings";
    case Operation::kRerank: return "rerank";
  }
  return "";
}

std::string_view failure_kind_name(FailureKind kind) {
  switch (kind) {
    case FailureKind::kConnect: return "connect";
    case FailureKind::kTimeout: return "timeout";
    case FailureKind::kReset: return "reset";
    case FailureKind::kHttpStatus: return "http_status";
    case FailureKind::kProtocol: return "protocol";
    case FailureKind::kContextOverflow: return "context_overflow";
    case FailureKind::kCancelled: return "cancelled";
  }
  return "";
}

}  // namespace anvil::gateway
