#pragma once
// Dynamic batching. HTTP threads decode and preprocess their images into [C, H, W] tensors and
// queue them as one job per request; ONE inference worker takes up to max_batch_size images at a
// time, waiting at most max_delay after the first image of a batch for more to arrive, runs the
// forward pass on the stacked [N, C, H, W] batch and hands each image its row of the output.
//
// Why one worker: the forward pass already uses every core LibTorch is given (intra-op threads);
// two forwards at once would only fight over them, while one batch of 8 costs far less than 8
// forwards of one. Why a bounded queue: a server that queues without bound answers everything late
// under overload; with a bound, clients past it are told at once (503, Retry-After) and those inside
// it are answered within their deadline. An image whose job's deadline passed while it waited is
// dropped, not computed: nobody waits for its answer any more.
#include <torch/torch.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tlab::serve {

using Clock = std::chrono::steady_clock;

// The outputs of one image.
struct ItemResult {
  torch::Tensor logits;         // [classes], float32, CPU
  torch::Tensor probabilities;  // [classes], softmax of `logits`
  double queue_seconds = 0;     // from submit to the start of its batch
  double compute_seconds = 0;   // the forward pass of its batch
  int batch_size = 0;           // images in its batch
};

// Why a job failed.
enum class JobError {
  kNone,     // every image has its result
  kFailed,   // the forward pass threw (500)
  kExpired,  // its deadline passed while an image was queued: dropped, not computed (504)
  kStopped,  // the batcher stopped before computing it (503)
};

// One request's images on their way through the batcher; the HTTP thread waits on it.
class Job {
 public:
  Job(size_t items, Clock::time_point deadline);
  // Blocks until every image has a result or failed (true), or until `deadline` (false).
  bool wait_until(Clock::time_point deadline);
  // After wait_until returned true: kNone when every image has its result, else why the first
  // failed image failed, and the message that says so.
  JobError error() const;
  std::string error_message() const;
  // After wait_until returned true and error() is empty: the results in submit order.
  const std::vector<ItemResult>& results() const { return results_; }
  Clock::time_point deadline() const { return deadline_; }

 private:
  friend class DynamicBatcher;
  void complete(size_t index, ItemResult result);
  void fail(JobError kind, const std::string& why);

  mutable std::mutex mutex_;
  std::condition_variable done_;
  std::vector<ItemResult> results_;
  size_t remaining_;
  JobError error_ = JobError::kNone;
  std::string message_;
  const Clock::time_point deadline_;
};

struct BatcherOptions {
  int max_batch_size = 8;                  // images per forward pass at most
  std::chrono::microseconds max_delay{5000};  // wait for more images after the first of a batch
  int max_queue = 64;                      // images queued at most (not counting the batch running)
  std::chrono::milliseconds idle_after{200};  // when BatcherHooks::on_idle runs
};

// What the batcher reports as it works (for metrics); each hook is optional and runs on the worker
// thread, outside the batcher's lock. (The queue depth is read when wanted: depth().)
struct BatcherHooks {
  std::function<void(int batch_size, double seconds)> on_batch;  // one forward pass done
  std::function<void(double queue_seconds)> on_dequeue;          // one image taken into a batch
  std::function<void(int images)> on_expired;                    // images dropped past their deadline
  std::function<void()> on_idle;  // the queue stayed empty for BatcherOptions::idle_after (once per idle spell)
};

enum class SubmitStatus {
  kQueued,     // the job is queued; wait on it
  kQueueFull,  // it does not fit beside what is queued now (503, try again)
  kTooLarge,   // more images than the queue holds at all (413)
  kStopped,    // the batcher is draining or stopped (503)
};

class DynamicBatcher {
 public:
  // The forward pass: [N, C, H, W] -> logits [N, classes]; called on the worker thread only.
  using Forward = std::function<torch::Tensor(const torch::Tensor&)>;

  explicit DynamicBatcher(BatcherOptions options, BatcherHooks hooks = {});

  // Queues `inputs` (each [C, H, W], all of one shape) as one job, all or none. On kQueued, *job is
  // what to wait on.
  SubmitStatus submit(std::vector<torch::Tensor> inputs, Clock::time_point deadline, std::shared_ptr<Job>* job);

  // The worker's loop: forms and runs batches until stop(), or until drain() and the queue is empty.
  // Call from one thread only.
  void run(const Forward& forward);

  // No new jobs (kStopped); what is queued is computed at once, without waiting for fuller batches;
  // then run() returns.
  void drain();
  // No new jobs; queued jobs fail with "the server is stopping"; run() returns after the running batch.
  void stop();

  int depth() const;  // images queued now

 private:
  struct Entry {
    std::shared_ptr<Job> job;
    size_t index;  // the image's place in its job
    torch::Tensor input;
    Clock::time_point enqueued;
  };
  // Blocks until it took the next batch into `batch` (empty when all it took had expired); false
  // when run() should return.
  bool next_batch(std::vector<Entry>& batch);
  void take_batch(std::vector<Entry>& batch, int& expired);  // mutex_ held
  void compute(std::vector<Entry>& batch, const Forward& forward);

  const BatcherOptions options_;
  const BatcherHooks hooks_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Entry> queue_;
  bool draining_ = false;
  bool stopping_ = false;
};

}  // namespace tlab::serve
