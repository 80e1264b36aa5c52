#pragma once
// Progress of the library's long phases, drawn for a person: a redrawn bar on a terminal, a plain
// line every 10 seconds otherwise (stdout is a file or a pipe). Training steps, epoch lines, and
// the other phases (features, evaluation, a teacher's outputs, the linear probe's fit, compare rows).
#include <chrono>
#include <string>

#include "tlab/core/progress.h"
#include "tlab/train/trainer.h"

namespace tlab::app {

class Progress {
 public:
  Progress();  // decides by isatty(stdout)
  void update(const tlab::Progress& p);
  void epoch(const train::EpochRecord& r);
  void done();  // a phase ended: clear its bar

 private:
  bool tty_;
  std::chrono::steady_clock::time_point last_line_;
};

// Clears a bar left on the terminal line, so a message (the log sink's) starts on a clean line.
void clear_progress_line();

std::string format_seconds(double s);

}  // namespace tlab::app
