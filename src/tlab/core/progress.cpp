#include "tlab/core/progress.h"

namespace tlab {

ProgressCallback with_phase(ProgressCallback callback, std::string phase) {
  if (!callback) return callback;
  return [callback = std::move(callback), phase = std::move(phase)](const Progress& p) {
    Progress named = p;
    named.phase = phase;
    callback(named);
  };
}

PhaseProgress::PhaseProgress(ProgressCallback callback, std::string phase, int64_t steps)
    : callback_(std::move(callback)), start_(std::chrono::steady_clock::now()) {
  progress_.phase = std::move(phase);
  progress_.steps = steps;
  if (callback_) callback_(progress_);  // step 0: the phase has begun (a first batch can take a while)
}

void PhaseProgress::step(int64_t images, double loss) {
  if (!callback_) return;
  ++progress_.step;
  images_ += images;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  progress_.loss = loss;
  progress_.images_per_second = elapsed > 0 ? double(images_) / elapsed : 0;
  progress_.eta_seconds =
      progress_.steps > progress_.step ? elapsed / double(progress_.step) * double(progress_.steps - progress_.step) : 0;
  callback_(progress_);
}

}  // namespace tlab
