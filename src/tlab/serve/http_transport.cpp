#include "tlab/serve/http_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace tlab::serve {

ConnectionState& current_connection() {
  thread_local ConnectionState state;
  return state;
}

namespace {

using Clock = std::chrono::steady_clock;

// 1: ready, 0: timed out, -1: error (or the peer hung up without data).
int wait_fd(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r > 0 && !(p.revents & (events | POLLHUP | POLLERR))) return -1;
    return r;
  }
}

int to_ms(time_t sec, time_t usec) { return int(sec * 1000 + usec / 1000); }

void address_of(const sockaddr_storage& a, std::string& ip, int& port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    ::inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
    port = ntohs(v4->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
    port = ntohs(v6->sin6_port);
  }
  ip = buf;
}

}  // namespace

// The connection to httplib's request parser: buffered reads (its line reader reads one byte at a
// time) that stop at the request's byte budget, and writes that never raise SIGPIPE.
class BoundedStream final : public httplib::Stream {
 public:
  BoundedStream(socket_t sock, int read_timeout_ms, int write_timeout_ms)
      : sock_(sock), read_ms_(read_timeout_ms), write_ms_(write_timeout_ms) {}

  void start_request(uint64_t budget) { budget_ = budget; }
  bool buffered() const { return off_ < len_; }

  bool is_readable() const override { return buffered() || wait_fd(sock_, POLLIN, read_ms_) > 0; }
  bool is_writable() const override { return wait_fd(sock_, POLLOUT, write_ms_) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    if (size == 0) return 0;
    if (budget_ == 0) {
      current_connection().over_budget = true;
      return -1;
    }
    if (!buffered()) {
      if (wait_fd(sock_, POLLIN, read_ms_) <= 0) return -1;
      ssize_t n;
      do n = ::recv(sock_, buf_, sizeof buf_, 0);
      while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      off_ = 0;
      len_ = size_t(n);
    }
    const size_t n = std::min<uint64_t>({uint64_t(size), uint64_t(len_ - off_), budget_});
    std::memcpy(ptr, buf_ + off_, n);
    off_ += n;
    budget_ -= n;
    return ssize_t(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (wait_fd(sock_, POLLOUT, write_ms_) <= 0) return -1;
    ssize_t n;
    do n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&a), &len) == 0) address_of(a, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&a), &len) == 0) address_of(a, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  const socket_t sock_;
  const int read_ms_, write_ms_;
  uint64_t budget_ = 0;
  char buf_[16384];
  size_t off_ = 0, len_ = 0;
};

namespace {

// cpp-httplib's ThreadPool plus a count of the jobs (accepted connections) not started yet.
class ConnectionPool final : public httplib::TaskQueue {
 public:
  ConnectionPool(size_t threads, std::shared_ptr<std::atomic<size_t>> waiting) : waiting_(std::move(waiting)) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
  }
  ~ConnectionPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      waiting_->fetch_add(1);  // before the job is visible, so the count never goes below zero
      jobs_.push_back(std::move(fn));
    }
    wake_.notify_one();
  }

  // Runs the jobs already queued, then joins (httplib calls it once the listening socket closed).
  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      shutdown_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return shutdown_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
        waiting_->fetch_sub(1);
      }
      job();
    }
  }

  std::shared_ptr<std::atomic<size_t>> waiting_;
  std::vector<std::thread> threads_;
  std::deque<std::function<void()>> jobs_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool shutdown_ = false;
};

// Closes a connection whose request body was not read to its end. Closing at once with unread
// bytes makes the kernel send a reset, which can destroy the response before the client reads it;
// so stop writing, read and discard what the client still sends (for at most `linger` and
// `max_bytes`), then close.
void lingering_close(socket_t sock, std::chrono::milliseconds linger, uint64_t max_bytes) {
  ::shutdown(sock, SHUT_WR);
  const auto until = Clock::now() + linger;
  char discard[16384];
  uint64_t discarded = 0;
  while (Clock::now() < until && discarded < max_bytes && wait_fd(sock, POLLIN, 50) >= 0) {
    const ssize_t n = ::recv(sock, discard, sizeof discard, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) break;
    if (n > 0) discarded += uint64_t(n);
  }
  ::close(sock);
}

}  // namespace

BoundedHttpServer::BoundedHttpServer(size_t threads, uint64_t request_budget, size_t keep_alive_requests)
    : request_budget_(request_budget),
      keep_alive_requests_(keep_alive_requests),
      waiting_(std::make_shared<std::atomic<size_t>>(0)) {
  auto waiting = waiting_;
  new_task_queue = [threads, waiting] { return new ConnectionPool(threads, waiting); };
  set_keep_alive_max_count(keep_alive_requests);
}

bool BoundedHttpServer::wait_for_request(BoundedStream& stream, bool first) const {
  if (stream.buffered()) return true;
  const auto give_up = Clock::now() + std::chrono::seconds(first ? std::max<time_t>(1, read_timeout_sec_)
                                                                 : std::max<time_t>(1, keep_alive_timeout_sec_));
  for (;;) {
    // Stopping, or another connection waits for this thread: serve only a request already there.
    if (svr_sock_ == INVALID_SOCKET || (!first && waiting_->load() > 0)) return wait_fd(stream.socket(), POLLIN, 0) > 0;
    const int r = wait_fd(stream.socket(), POLLIN, 20);
    if (r != 0) return r > 0;
    if (Clock::now() >= give_up) return false;
  }
}

bool BoundedHttpServer::process_and_close_socket(socket_t sock) {
  // httplib writes the headers and the body of a response apart; with Nagle's algorithm the body
  // then waits for the client's delayed ACK (~40 ms per request on a keep-alive connection).
  const int one = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  BoundedStream stream(sock, to_ms(read_timeout_sec_, read_timeout_usec_), to_ms(write_timeout_sec_, write_timeout_usec_));
  bool ret = false, unread = false;
  for (size_t served = 0; served < keep_alive_requests_; ++served) {
    if (!wait_for_request(stream, served == 0)) break;
    ConnectionState& state = current_connection();
    state = ConnectionState{};
    state.request_start = Clock::now();
    stream.start_request(request_budget_);
    const bool last = served + 1 == keep_alive_requests_ || svr_sock_ == INVALID_SOCKET;
    bool closed = false;
    ret = process_request(stream, last, closed, nullptr);
    unread = state.close_after_response || state.over_budget;
    if (!ret || closed || last || unread) break;
  }
  if (unread && ret) {  // a response was written: let a client that is still sending read it
    lingering_close(sock, std::chrono::seconds(2), 4 * request_budget_ + (16 << 20));
  } else {
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
  }
  return ret;
}

}  // namespace tlab::serve
