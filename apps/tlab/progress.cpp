#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace tlab::app {

std::string format_seconds(double s) {
  const int t = int(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%d:%02d", t / 60, t % 60);
  return buf;
}

Progress::Progress() : tty_(::isatty(STDOUT_FILENO)), last_line_(std::chrono::steady_clock::now()) {}

void Progress::step(const train::StepProgress& p) {
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = int(kWidth * double(p.step) / double(p.steps));
    std::string bar(size_t(filled), '=');
    if (filled < kWidth) bar += '>' + std::string(size_t(kWidth - filled - 1), ' ');
    std::printf("\rEpoch %d/%d [%s] %lld/%lld  loss %.4f  acc %.4f  %.0f img/s  ETA %s \x1b[K", p.epoch, p.epochs,
                bar.c_str(), (long long)p.step, (long long)p.steps, p.loss, p.accuracy, p.images_per_second,
                format_seconds(p.eta_seconds).c_str());
    std::fflush(stdout);
    return;
  }
  // Not a terminal: a log line at most every 10 seconds.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_line_ < std::chrono::seconds(10) || p.step == p.steps) return;
  last_line_ = now;
  std::printf("epoch %d/%d step %lld/%lld loss %.4f acc %.4f lr %.3g %.0f img/s eta %s\n", p.epoch, p.epochs,
              (long long)p.step, (long long)p.steps, p.loss, p.accuracy, p.lr, p.images_per_second,
              format_seconds(p.eta_seconds).c_str());
  std::fflush(stdout);
}

void Progress::epoch(const train::EpochRecord& r) {
  if (tty_) std::printf("\r\x1b[K");
  std::printf("epoch %d  train loss %.4f acc %.4f", r.epoch, r.train_loss, r.train_accuracy);
  if (r.val_accuracy) std::printf("  val loss %.4f acc %.4f", *r.val_loss, *r.val_accuracy);
  std::printf("  lr %.3g  %s  %.0f img/s  data wait %.1f%%\n", r.lr, format_seconds(r.seconds).c_str(),
              r.images_per_second, 100.0 * r.data_wait_seconds / std::max(1e-9, r.seconds));
  std::fflush(stdout);
  last_line_ = std::chrono::steady_clock::now();
}

}  // namespace tlab::app
