#include "tlab/serve/body_reader.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "tlab/serve/http_transport.h"

namespace tlab::serve {
namespace {

constexpr size_t kMaxParts = 1024;  // multipart parts per body (cpp-httplib's own default cap)

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }), s.end());
  return s;
}

std::string megabytes(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g MB", double(bytes) / (1024.0 * 1024.0));
  return buf;
}

RequestError too_large(int64_t limit, const std::string& what) {
  current_connection().close_after_response = true;
  return RequestError(413, what + " is over the server's limit of " + std::to_string(limit) + " bytes (" +
                               megabytes(limit) + ", --max-body-mb)");
}

}  // namespace

bool has_content_encoding(const httplib::Request& req) {
  const std::string e = lower(req.get_header_value("Content-Encoding"));
  return !e.empty() && e != "identity";
}

RequestBody read_body(const httplib::Request& req, const httplib::ContentReader& reader, int64_t limit) {
  const std::string encoding = lower(req.get_header_value("Content-Encoding"));
  if (!encoding.empty() && encoding != "identity" && encoding != "gzip" && encoding != "deflate" && encoding != "br") {
    current_connection().close_after_response = true;
    throw RequestError(415, "Content-Encoding '" + encoding + "': expected gzip, deflate, br or none");
  }
  if (req.has_header("Content-Length")) {
    const std::string length = req.get_header_value("Content-Length");
    const bool digits = !length.empty() && length.size() < 19 &&
                        std::all_of(length.begin(), length.end(), [](unsigned char c) { return std::isdigit(c); });
    if (!digits) {
      current_connection().close_after_response = true;
      throw RequestError(400, "Content-Length '" + length.substr(0, 40) + "': expected a byte count");
    }
    if (std::stoll(length) > limit) throw too_large(limit, "the body (Content-Length " + length + ")");
  }
  RequestBody body;
  body.content_type = req.get_header_value("Content-Type");
  int64_t total = 0;
  bool over = false;
  auto take = [&](std::string& into, const char* data, size_t n) {
    total += int64_t(n);
    if (total > limit) return !(over = true);
    into.append(data, n);
    return true;
  };
  bool ok;
  if (req.is_multipart_form_data()) {
    body.multipart = true;
    ok = reader(
        [&](const httplib::MultipartFormData& f) {
          body.parts.push_back({f.name, f.filename, f.content_type, {}});
          return body.parts.size() <= kMaxParts;
        },
        [&](const char* data, size_t n) { return !body.parts.empty() && take(body.parts.back().bytes, data, n); });
  } else {
    ok = reader([&](const char* data, size_t n) { return take(body.bytes, data, n); });
  }
  if (ok) return body;
  current_connection().close_after_response = true;
  if (over || current_connection().over_budget)
    throw too_large(limit, encoding.empty() || encoding == "identity" ? "the body" : "the body, inflated,");
  if (body.parts.size() > kMaxParts)
    throw RequestError(413, "the multipart body has more than " + std::to_string(kMaxParts) + " parts");
  throw RequestError(400, "the body could not be read: malformed chunked, " +
                              (encoding.empty() ? std::string("compressed") : encoding) +
                              " or multipart data, or the client stopped sending");
}

}  // namespace tlab::serve
