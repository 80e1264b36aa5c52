#pragma once
// The connection layer under the routes: cpp-httplib's Server with each connection read through a
// stream that caps the bytes one request may take, and a thread pool that knows how many
// connections wait for a thread.
//
// Why: cpp-httplib 0.11 checks its payload limit against Content-Length only. A chunked body is
// read without any limit (read_content_chunked), and so is a request line or header line without
// a newline (stream_line_reader grows without bound), so a client could make the server allocate
// gigabytes. Here every request gets a byte budget (headers plus the body limit plus framing);
// past it, reads fail and the connection is closed. Compressed bodies are a second problem: httplib
// inflates gzip/deflate/br bodies without a limit; the routes that take bodies read them through
// read_body (body_reader.h), which bounds the inflated size, and every other route refuses an
// encoded body (415) before reading it.
//
// The pool: cpp-httplib serves one connection per thread for as long as it stays open (keep-alive),
// so idle keep-alive connections could hold every thread while new connections wait. Here an idle
// connection gives its thread back as soon as another connection waits for one.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace tlab::serve {

// What the request being served on this thread tells its connection (thread-local: cpp-httplib
// runs a request's handlers on the thread that reads it).
struct ConnectionState {
  std::chrono::steady_clock::time_point request_start;  // when its first bytes were there
  bool close_after_response = false;  // its body was left unread: the connection cannot carry another request
  bool over_budget = false;           // it tried to read past its byte budget
};
ConnectionState& current_connection();

class BoundedStream;  // http_transport.cpp

class BoundedHttpServer : public httplib::Server {
 public:
  // threads: connections served at once. request_budget: bytes one request may take, request line,
  // headers and body (with chunk framing, before decompression). keep_alive_requests: requests per
  // connection before it is closed.
  BoundedHttpServer(size_t threads, uint64_t request_budget, size_t keep_alive_requests);

  // Connections accepted and waiting for a thread.
  size_t waiting_connections() const { return waiting_->load(); }

 private:
  // httplib::Server's per-connection loop (a private virtual there; overriding it is allowed), with
  // the bounded stream and the yielding keep-alive wait.
  bool process_and_close_socket(socket_t sock) override;
  bool wait_for_request(BoundedStream& stream, bool first) const;

  const uint64_t request_budget_;
  const size_t keep_alive_requests_;
  std::shared_ptr<std::atomic<size_t>> waiting_;  // shared with the pool, which httplib owns and deletes
};

}  // namespace tlab::serve
