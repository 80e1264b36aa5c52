#pragma once
// HTTP(S) downloads with libcurl, and SHA-256 with OpenSSL.
#include <cstdint>
#include <functional>
#include <string>

namespace tlab::weights {

// Reports bytes received so far and the total (0 when the server does not say).
using DownloadProgress = std::function<void(uint64_t received, uint64_t total)>;

// Downloads `url` to `path` atomically (a .part file beside it, renamed when complete).
// Throws IoError with curl's reason (no network, HTTP status, ...) on failure.
void download_file(const std::string& url, const std::string& path, const DownloadProgress& progress = {},
                   long connect_timeout_seconds = 15);

// Lower-case hex SHA-256 of a file's contents. Throws IoError when unreadable.
std::string sha256_file(const std::string& path);

}  // namespace tlab::weights
