#include "anvil/core/environment.h"

#include <cstring>

extern "C" char** environ;  // POSIX: declared by no standard header in C++

namespace anvil::core {

Environment process_environment() {
  Environment env;
  if (environ == nullptr) return env;
  for (char** p = environ; *p != nullptr; ++p) {
    const char* entry = *p;
    const char* eq = std::strchr(entry, '=');
    if (eq == nullptr || eq == entry) continue;
    env.emplace(std::string(entry, eq), std::string(eq + 1));
  }
  return env;
}

}  // namespace anvil::core
