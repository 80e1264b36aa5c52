#include "tlab/core/log.h"

#include <mutex>

namespace tlab {
namespace {
LogSink& sink() {
  static LogSink s;
  return s;
}
std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

void set_log_sink(LogSink s) {
  std::lock_guard<std::mutex> lock(sink_mutex());
  sink() = std::move(s);
}

void log(LogLevel level, const std::string& message) {
  std::lock_guard<std::mutex> lock(sink_mutex());
  if (sink()) sink()(level, message);
}

}  // namespace tlab
