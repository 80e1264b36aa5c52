#pragma once
// Terminal progress for `tlab train`: a redrawn bar on a terminal, plain log lines otherwise.
#include <chrono>
#include <string>

#include "tlab/train/trainer.h"

namespace tlab::app {

class Progress {
 public:
  Progress();  // decides by isatty(stdout)
  void step(const train::StepProgress& p);
  void epoch(const train::EpochRecord& r);

 private:
  bool tty_;
  std::chrono::steady_clock::time_point last_line_;
};

std::string format_seconds(double s);

}  // namespace tlab::app
