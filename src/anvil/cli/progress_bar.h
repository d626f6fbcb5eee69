// A one-line progress bar on stderr for long commands (files, MB/s, ETA); silent when stderr is
// not a terminal, so logs and pipes get only the final summary.
#pragma once

#include <cstdint>
#include <string>

namespace anvil::cli {

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled);
  ~ProgressBar();

  // Redraws the line; `label` is shown truncated at the end (e.g. the current file).
  void update(int64_t done_bytes, int64_t total_bytes, int files_done, int files_total, double seconds,
              const std::string& label);
  // Erases the line so the summary starts on a clean one.
  void finish();

 private:
  bool enabled_;
  bool drawn_ = false;
};

// "3.2 MB", "850 B": bytes for people.
std::string human_bytes(double bytes);
// "1:05", "12:00:01": seconds for people.
std::string human_duration(double seconds);

}  // namespace anvil::cli
