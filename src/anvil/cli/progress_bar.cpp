#include "anvil/cli/progress_bar.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include <fmt/format.h>

namespace anvil::cli {

ProgressBar::ProgressBar(bool enabled) : enabled_(enabled && ::isatty(STDERR_FILENO)) {}

ProgressBar::~ProgressBar() { finish(); }

std::string human_bytes(double bytes) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000 && u < 4) {
    bytes /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} {}", bytes, kUnits[u]) : fmt::format("{:.1f} {}", bytes, kUnits[u]);
}

std::string human_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  auto s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

void ProgressBar::update(int64_t done_bytes, int64_t total_bytes, int files_done, int files_total,
                         double seconds, const std::string& label) {
  if (!enabled_) return;
  constexpr int kWidth = 24;
  double frac = total_bytes > 0 ? static_cast<double>(done_bytes) / static_cast<double>(total_bytes) : 0.0;
  if (frac > 1) frac = 1;
  int filled = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<size_t>(filled), '=');
  if (filled < kWidth) bar += '>';
  bar.resize(kWidth, ' ');
  double rate = seconds > 0 ? static_cast<double>(done_bytes) / seconds : 0;
  double eta = rate > 0 ? static_cast<double>(total_bytes - done_bytes) / rate : NAN;
  std::string name = label;
  if (name.size() > 40) name = "…" + name.substr(name.size() - 39);
  std::fprintf(stderr, "\r\033[K[%s] %3.0f%% %d/%d files  %s/s  ETA %s  %s", bar.c_str(), frac * 100, files_done,
               files_total, human_bytes(rate).c_str(), human_duration(eta).c_str(), name.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace anvil::cli
