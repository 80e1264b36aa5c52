#pragma once
// Helpers for the server tests: a small in-memory model (fast to load and run), a model that is
// slow on purpose (to fill queues deterministically), encoded test images, an in-process server on
// a free port, and reading Prometheus values.
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "../test_util.h"
#include "tlab/infer/loaded_model.h"
#include "tlab/models/model.h"
#include "tlab/serve/server.h"

namespace tlab::test {

// simple_cnn, 3 classes, 20x20 RGB input (resized straight, mean 0.5 / std 0.25), seeded weights.
inline infer::LoadedModel small_model() {
  torch::manual_seed(7);
  infer::LoadedModel m;
  m.model = models::create_model("simple_cnn", {3, 3, 20, 20});
  models::prepare_for_inference(*m.model);
  m.architecture = "simple_cnn";
  m.input.channels = 3;
  m.input.height = m.input.width = 20;
  m.input.mean = {0.5f, 0.5f, 0.5f};
  m.input.std = {0.25f, 0.25f, 0.25f};
  m.classes = {"ant", "bee", "wasp"};
  return m;
}

// Wraps a model and sleeps before each forward pass.
class SlowModel : public models::Model {
 public:
  SlowModel(models::ModelPtr inner, std::chrono::milliseconds delay)
      : inner_(register_module("inner", std::move(inner))), delay_(delay) {}
  torch::Tensor forward(torch::Tensor x) override {
    std::this_thread::sleep_for(delay_);
    return inner_->forward(x);
  }
  torch::Tensor forward_observed(torch::Tensor x, const models::LayerObserver& observe) override {
    return inner_->forward_observed(x, observe);
  }
  int64_t feature_dim() const override { return inner_->feature_dim(); }

 private:
  models::ModelPtr inner_;
  std::chrono::milliseconds delay_;
};

inline infer::LoadedModel slow_small_model(std::chrono::milliseconds delay) {
  auto m = small_model();
  m.model = std::make_shared<SlowModel>(m.model, delay);
  return m;
}

// A w x h colour image (a gradient that depends on `seed`) encoded as `ext` (".png", ".jpg", ".bmp").
inline std::string encoded_image(int w, int h, int seed, const std::string& ext = ".png") {
  cv::Mat img(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar((x * 7 + seed * 40) % 256), uchar((y * 5 + seed * 90) % 256), uchar(seed * 60 % 256));
  std::vector<uchar> buf;
  cv::imencode(ext, img, buf);
  return std::string(buf.begin(), buf.end());
}

inline serve::ServeOptions test_options() {
  serve::ServeOptions o;
  o.port = 0;
  o.threads = 1;
  o.http_threads = 8;
  return o;
}

// A started server with its model ready.
struct TestServer {
  TestServer(const serve::ServeOptions& o, serve::Server::ModelLoader load) : server(o, std::move(load)) {
    server.start();
    ready = server.wait_ready(std::chrono::seconds(120));
    EXPECT_TRUE(ready) << "the server did not become ready";
  }
  std::unique_ptr<httplib::Client> client(int read_timeout_s = 30) const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server.port());
    c->set_read_timeout(read_timeout_s, 0);
    c->set_write_timeout(30, 0);
    return c;
  }
  serve::Server server;
  bool ready = false;
};

inline nlohmann::json json_body(const httplib::Result& r) {
  if (!r) return nullptr;
  return nlohmann::json::parse(r->body, nullptr, false);
}

// The value of one sample line of Prometheus text, e.g. `tlab_queue_depth` or
// `tlab_requests_total{route="/v2",code="200"}`; -1 when absent.
inline double prometheus_value(const std::string& text, const std::string& sample) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(sample + " ", 0) == 0) return std::stod(line.substr(sample.size() + 1));
  return -1;
}

// Polls `done` every 10 ms for up to `timeout`; returns its last value.
template <typename Done>
bool eventually(Done done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// A process's peak resident set (VmHWM) in kB, from /proc/PID/status; -1 when unreadable.
inline long peak_rss_kb(const std::string& pid = "self") {
  std::istringstream in(read_text("/proc/" + pid + "/status"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// A child process started with fork/exec of fixed arguments (no shell); its stdout and stderr
// go to one pipe that is read as the test waits. Killed when the object dies, if still running.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {  // only async-signal-safe calls until exec
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
      ::close(fds[0]);
      ::close(fds[1]);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
    ::fcntl(out_, F_SETFL, O_NONBLOCK);
  }
  ~Child() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& output() const { return output_; }

  // Reads until a line containing `needle` is complete; returns that line, or "" after `timeout`.
  std::string wait_for_line(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      const size_t at = output_.find(needle);
      const size_t end = at == std::string::npos ? at : output_.find('\n', at);
      if (end != std::string::npos) return output_.substr(output_.rfind('\n', at) + 1, end - output_.rfind('\n', at) - 1);
      if (!read_some(50)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "";
  }

  // The exit code (128 + N for signal N), or -1 when it is still running after `timeout`.
  int wait_exit(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      read_some(20);
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        while (read_some(0)) {
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
    return -1;
  }

 private:
  bool read_some(int timeout_ms) {
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[4096];
    const ssize_t n = ::read(out_, buf, sizeof buf);
    if (n <= 0) return false;
    output_.append(buf, size_t(n));
    return true;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  bool exited_ = false;
  std::string output_;
};

// The port in a "listening on http://127.0.0.1:PORT" line; -1 when there is none.
inline int port_of(const std::string& line) {
  const size_t at = line.rfind(':');
  if (line.find("listening on http://") == std::string::npos || at == std::string::npos) return -1;
  return std::atoi(line.c_str() + at + 1);
}

}  // namespace tlab::test
