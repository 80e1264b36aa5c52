#pragma once
// Progress of a long phase, reported through one callback type that apps draw (a bar on a
// terminal, plain lines otherwise): training steps, feature extraction, evaluation, a teacher's
// outputs, the linear probe's fit, the rows of a comparison. The library never prints.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace tlab {

struct Progress {
  std::string phase = "train";  // what runs: "train", "features train", "evaluate test", "teacher outputs",
                                // "linear probe", "compare" (a phase name, then what it works on)
  int epoch = 0, epochs = 0;    // training: 1-based epoch of `epochs`; 0 in phases without epochs
  int64_t step = 0, steps = 0;  // 1-based units done of the phase: batches, L-BFGS evaluations (steps is
                                // then their cap), rows
  double loss = 0, accuracy = 0;  // training: running means over the epoch so far; a fit: the current loss
  double lr = 0;                  // training: the step's learning rate
  double images_per_second = 0;   // 0 where the phase reads no images
  double eta_seconds = 0;         // to the end of the phase (of this epoch's steps when training)
  bool training() const { return epoch > 0; }
};

using ProgressCallback = std::function<void(const Progress&)>;

// `callback` with every report's phase set to `phase` (e.g. a split's name added); empty stays empty.
ProgressCallback with_phase(ProgressCallback callback, std::string phase);

// Reports a phase of `steps` units through a callback (none: reports nothing): step 0 when it is
// constructed, then call step() after each unit.
class PhaseProgress {
 public:
  PhaseProgress(ProgressCallback callback, std::string phase, int64_t steps);
  // One unit done, having read `images` images; `loss`: the phase's current loss, if it has one.
  void step(int64_t images = 0, double loss = 0);

 private:
  ProgressCallback callback_;
  Progress progress_;
  int64_t images_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace tlab
