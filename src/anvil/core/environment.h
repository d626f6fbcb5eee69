// The process environment as a plain map, so configuration and secrets can be tested with an
// explicit environment instead of the real one.
#pragma once

#include <map>
#include <string>

namespace anvil::core {

// Variable name -> value. Names are case-sensitive, as on POSIX.
using Environment = std::map<std::string, std::string>;

// A snapshot of `environ`. Entries without '=' (which POSIX does not allow) are skipped.
Environment process_environment();

}  // namespace anvil::core
