// The `anvil` command: parses the command line and dispatches to subcommands.
#include <cstdio>

int main() {
  std::puts("anvil " ANVIL_VERSION);
  return 0;
}
