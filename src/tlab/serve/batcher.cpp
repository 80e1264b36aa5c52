#include "tlab/serve/batcher.h"

#include "tlab/core/error.h"

namespace tlab::serve {
namespace {
double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }
}  // namespace

Job::Job(size_t items, Clock::time_point deadline) : results_(items), remaining_(items), deadline_(deadline) {}

bool Job::wait_until(Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  return done_.wait_until(lock, deadline, [&] { return remaining_ == 0; });
}

JobError Job::error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return error_;
}

std::string Job::error_message() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return message_;
}

void Job::complete(size_t index, ItemResult result) {
  std::lock_guard<std::mutex> lock(mutex_);
  results_[index] = std::move(result);
  if (--remaining_ == 0) done_.notify_all();
}

void Job::fail(JobError kind, const std::string& why) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (error_ == JobError::kNone) {
    error_ = kind;
    message_ = why;
  }
  if (--remaining_ == 0) done_.notify_all();
}

DynamicBatcher::DynamicBatcher(BatcherOptions options, BatcherHooks hooks)
    : options_(options), hooks_(std::move(hooks)) {
  TLAB_CHECK(options_.max_batch_size >= 1, "batcher: max_batch_size must be at least 1, got ", options_.max_batch_size);
  TLAB_CHECK(options_.max_queue >= 1, "batcher: max_queue must be at least 1, got ", options_.max_queue);
}

SubmitStatus DynamicBatcher::submit(std::vector<torch::Tensor> inputs, Clock::time_point deadline,
                                    std::shared_ptr<Job>* job) {
  TLAB_CHECK(!inputs.empty(), "batcher: a job needs at least one image");
  if (inputs.size() > size_t(options_.max_queue)) return SubmitStatus::kTooLarge;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (draining_ || stopping_) return SubmitStatus::kStopped;
    if (queue_.size() + inputs.size() > size_t(options_.max_queue)) return SubmitStatus::kQueueFull;
    *job = std::make_shared<Job>(inputs.size(), deadline);
    const auto now = Clock::now();
    for (size_t i = 0; i < inputs.size(); ++i) queue_.push_back({*job, i, std::move(inputs[i]), now});
  }
  wake_.notify_one();
  return SubmitStatus::kQueued;
}

void DynamicBatcher::run(const Forward& forward) {
  std::vector<Entry> batch;
  while (next_batch(batch))
    if (!batch.empty()) compute(batch, forward);  // empty: every image taken had expired
}

bool DynamicBatcher::next_batch(std::vector<Entry>& batch) {
  batch.clear();
  int expired = 0;
  bool more = true;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto woken = [&] { return !queue_.empty() || draining_ || stopping_; };
    if (hooks_.on_idle && !wake_.wait_for(lock, options_.idle_after, woken)) {
      lock.unlock();  // nothing came for a while: housekeeping, outside the lock
      hooks_.on_idle();
      lock.lock();
    }
    wake_.wait(lock, woken);
    // The window opens with the oldest image: one that already waited (the worker was busy)
    // closes it at once, so waiting never adds to a backlog.
    if (!queue_.empty() && !stopping_) {
      const auto window_end = queue_.front().enqueued + options_.max_delay;
      wake_.wait_until(lock, window_end, [&] {
        return queue_.size() >= size_t(options_.max_batch_size) || draining_ || stopping_;
      });
    }
    if (stopping_) {
      for (auto& e : queue_) e.job->fail(JobError::kStopped, "the server is stopping");
      queue_.clear();
      more = false;
    } else if (queue_.empty()) {
      more = false;  // drained to the end
    } else {
      take_batch(batch, expired);
    }
  }
  if (expired > 0 && hooks_.on_expired) hooks_.on_expired(expired);
  return more;
}

void DynamicBatcher::take_batch(std::vector<Entry>& batch, int& expired) {
  const auto now = Clock::now();
  while (!queue_.empty() && batch.size() < size_t(options_.max_batch_size)) {
    Entry e = std::move(queue_.front());
    queue_.pop_front();
    if (now >= e.job->deadline()) {  // nobody waits for it any more
      e.job->fail(JobError::kExpired, "the deadline passed while the image was queued");
      ++expired;
      continue;
    }
    batch.push_back(std::move(e));
  }
}

void DynamicBatcher::compute(std::vector<Entry>& batch, const Forward& forward) {
  const auto start = Clock::now();
  std::vector<torch::Tensor> inputs;
  inputs.reserve(batch.size());
  for (auto& e : batch) {
    inputs.push_back(e.input);
    if (hooks_.on_dequeue) hooks_.on_dequeue(seconds_between(e.enqueued, start));
  }
  torch::Tensor logits, probabilities;
  try {
    logits = forward(torch::stack(inputs)).to(torch::kCPU, torch::kFloat32).contiguous();
    TLAB_CHECK(logits.dim() == 2 && logits.size(0) == int64_t(batch.size()), "the model returned logits of shape ",
               logits.sizes(), " for a batch of ", batch.size());
    probabilities = torch::softmax(logits, 1);
  } catch (const std::exception& ex) {
    for (auto& e : batch) e.job->fail(JobError::kFailed, std::string("inference failed: ") + ex.what());
    return;
  }
  const double seconds = seconds_between(start, Clock::now());
  if (hooks_.on_batch) hooks_.on_batch(int(batch.size()), seconds);
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& e = batch[i];
    e.job->complete(e.index, {logits[int64_t(i)], probabilities[int64_t(i)], seconds_between(e.enqueued, start),
                              seconds, int(batch.size())});
  }
}

void DynamicBatcher::drain() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    draining_ = true;
  }
  wake_.notify_all();
}

void DynamicBatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

int DynamicBatcher::depth() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return int(queue_.size());
}

}  // namespace tlab::serve
