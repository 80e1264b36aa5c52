#pragma once
// The library never prints: it reports messages through a process-wide sink that apps install.
#include <functional>
#include <string>

namespace tlab {

enum class LogLevel { kInfo, kWarning };

using LogSink = std::function<void(LogLevel, const std::string&)>;

// Installs the sink (nullptr discards messages, the default); thread-safe: log() calls hold the same lock.
void set_log_sink(LogSink sink);
// Sends one message to the sink; thread-safe.
void log(LogLevel level, const std::string& message);
inline void log_info(const std::string& m) { log(LogLevel::kInfo, m); }
inline void log_warning(const std::string& m) { log(LogLevel::kWarning, m); }

}  // namespace tlab
