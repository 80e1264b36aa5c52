#include "progress.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

namespace tlab::app {
namespace {

std::atomic<bool> bar_drawn{false};  // a bar is on the terminal line now

std::string bar(int64_t step, int64_t steps) {
  constexpr int kWidth = 30;
  const int filled = steps > 0 ? int(kWidth * double(std::min(step, steps)) / double(steps)) : 0;
  std::string s(size_t(filled), '=');
  if (filled < kWidth) s += '>' + std::string(size_t(kWidth - filled - 1), ' ');
  return s;
}

}  // namespace

std::string format_seconds(double s) {
  const int t = int(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%d:%02d", t / 60, t % 60);
  return buf;
}

void clear_progress_line() {
  if (bar_drawn.exchange(false)) {
    std::printf("\r\x1b[K");
    std::fflush(stdout);
  }
}

Progress::Progress() : tty_(::isatty(STDOUT_FILENO)), last_line_(std::chrono::steady_clock::now()) {}

void Progress::update(const tlab::Progress& p) {
  const std::string rate = p.images_per_second > 0 ? "  " + std::to_string(int(p.images_per_second + 0.5)) + " img/s" : "";
  if (tty_) {
    if (p.training())
      std::printf("\rEpoch %d/%d [%s] %lld/%lld  loss %.4f  acc %.4f%s  ETA %s \x1b[K", p.epoch, p.epochs,
                  bar(p.step, p.steps).c_str(), (long long)p.step, (long long)p.steps, p.loss, p.accuracy,
                  rate.c_str(), format_seconds(p.eta_seconds).c_str());
    else
      std::printf("\r%s [%s] %lld/%lld%s%s \x1b[K", p.phase.c_str(), bar(p.step, p.steps).c_str(), (long long)p.step,
                  (long long)p.steps, rate.c_str(),
                  p.step > 0 && p.step < p.steps ? ("  ETA " + format_seconds(p.eta_seconds)).c_str() : "");
    std::fflush(stdout);
    bar_drawn = true;
    return;
  }
  // Not a terminal: a log line at most every 10 seconds.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_line_ < std::chrono::seconds(10) || p.step == 0 || p.step == p.steps) return;
  last_line_ = now;
  if (p.training())
    std::printf("epoch %d/%d step %lld/%lld loss %.4f acc %.4f lr %.3g%s eta %s\n", p.epoch, p.epochs,
                (long long)p.step, (long long)p.steps, p.loss, p.accuracy, p.lr, rate.c_str(),
                format_seconds(p.eta_seconds).c_str());
  else
    std::printf("%s %lld/%lld%s eta %s\n", p.phase.c_str(), (long long)p.step, (long long)p.steps, rate.c_str(),
                format_seconds(p.eta_seconds).c_str());
  std::fflush(stdout);
}

void Progress::done() { clear_progress_line(); }

void Progress::epoch(const train::EpochRecord& r) {
  clear_progress_line();
  std::printf("epoch %d  train loss %.4f acc %.4f", r.epoch, r.train_loss, r.train_accuracy);
  if (r.val_accuracy) std::printf("  val loss %.4f acc %.4f", *r.val_loss, *r.val_accuracy);
  if (r.lr) std::printf("  lr %.3g", *r.lr);
  std::printf("  %s  %.0f img/s  data wait %.1f%%\n", format_seconds(r.seconds).c_str(), r.images_per_second,
              100.0 * r.data_wait_seconds / std::max(1e-9, r.seconds));
  std::fflush(stdout);
  last_line_ = std::chrono::steady_clock::now();
}

}  // namespace tlab::app
