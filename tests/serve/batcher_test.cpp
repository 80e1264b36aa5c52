// The dynamic batcher with a fake forward pass: batches up to the maximum size, the delay window,
// the bounded queue, deadlines, drain and stop.
#include "tlab/serve/batcher.h"

#include <atomic>
#include <thread>

#include "../test_util.h"

namespace tlab::test {
namespace {

using namespace std::chrono_literals;
using serve::Clock;

// logits[i] = [sum of image i, batch size]: each image's row says what it was and how it was batched.
torch::Tensor fake_forward(const torch::Tensor& x) {
  const auto sums = x.flatten(1).sum(1);
  return torch::stack({sums, torch::full_like(sums, double(x.size(0)))}, 1);
}

std::vector<torch::Tensor> images(int n, float first = 1) {
  std::vector<torch::Tensor> v;
  for (int i = 0; i < n; ++i) v.push_back(torch::full({1, 2, 2}, first + float(i)));
  return v;
}

struct Worker {
  explicit Worker(serve::DynamicBatcher& b, serve::DynamicBatcher::Forward f = fake_forward)
      : thread([&b, f] { b.run(f); }) {}
  ~Worker() { thread.join(); }
  std::thread thread;
};

TEST(ServeBatcher, GathersQueuedImagesIntoBatchesUpToTheMaximum) {
  serve::BatcherOptions o;
  o.max_batch_size = 4;
  o.max_delay = 200ms;
  std::vector<int> sizes;
  serve::DynamicBatcher b(o, {[&](int n, double) { sizes.push_back(n); }, nullptr, nullptr});
  std::shared_ptr<serve::Job> job;
  // 6 images queued before the worker starts: one full batch of 4, then 2 after the delay.
  ASSERT_EQ(b.submit(images(6), Clock::now() + 10s, &job), serve::SubmitStatus::kQueued);
  EXPECT_EQ(b.depth(), 6);
  {
    Worker w(b);
    ASSERT_TRUE(job->wait_until(Clock::now() + 10s));
    b.drain();
  }
  ASSERT_EQ(job->error(), serve::JobError::kNone);
  EXPECT_EQ(sizes, (std::vector<int>{4, 2}));
  for (int i = 0; i < 6; ++i) {
    const auto& r = job->results()[size_t(i)];
    EXPECT_FLOAT_EQ(r.logits[0].item<float>(), 4 * float(i + 1)) << "image " << i << " got another's row";
    EXPECT_EQ(r.batch_size, i < 4 ? 4 : 2);
    EXPECT_NEAR(r.probabilities.sum().item<float>(), 1, 1e-6);
  }
}

TEST(ServeBatcher, WaitsAtMostTheDelayAfterTheFirstImage) {
  serve::BatcherOptions o;
  o.max_batch_size = 8;
  o.max_delay = 150ms;
  serve::DynamicBatcher b(o);
  Worker w(b);
  std::shared_ptr<serve::Job> first, second;
  const auto start = Clock::now();
  ASSERT_EQ(b.submit(images(1), start + 10s, &first), serve::SubmitStatus::kQueued);
  std::this_thread::sleep_for(50ms);
  ASSERT_EQ(b.submit(images(1, 5), start + 10s, &second), serve::SubmitStatus::kQueued);
  ASSERT_TRUE(first->wait_until(start + 10s));
  const double waited = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_GE(waited, 0.14);  // the window stays open for the second image ...
  EXPECT_LT(waited, 1.0);   // ... and closes 150 ms after the first
  ASSERT_TRUE(second->wait_until(start + 10s));
  EXPECT_EQ(first->results()[0].batch_size, 2);
  EXPECT_EQ(second->results()[0].batch_size, 2);
  b.drain();
}

TEST(ServeBatcher, AFullQueueRefusesWholeJobs) {
  serve::BatcherOptions o;
  o.max_queue = 3;
  serve::DynamicBatcher b(o);  // no worker: nothing leaves the queue
  std::shared_ptr<serve::Job> job;
  EXPECT_EQ(b.submit(images(4), Clock::now() + 1s, &job), serve::SubmitStatus::kTooLarge);
  EXPECT_EQ(b.submit(images(2), Clock::now() + 1s, &job), serve::SubmitStatus::kQueued);
  EXPECT_EQ(b.submit(images(2), Clock::now() + 1s, &job), serve::SubmitStatus::kQueueFull);  // all or none
  EXPECT_EQ(b.depth(), 2);
  EXPECT_EQ(b.submit(images(1), Clock::now() + 1s, &job), serve::SubmitStatus::kQueued);
  b.stop();
  EXPECT_EQ(b.submit(images(1), Clock::now() + 1s, &job), serve::SubmitStatus::kStopped);
}

TEST(ServeBatcher, ImagesPastTheirDeadlineAreDroppedNotComputed) {
  serve::BatcherOptions o;
  o.max_batch_size = 8;
  o.max_delay = 300ms;
  std::atomic<int> computed{0}, expired{0};
  serve::DynamicBatcher b(o, {nullptr, nullptr, [&](int n) { expired += n; }});
  std::shared_ptr<serve::Job> late, fine;
  ASSERT_EQ(b.submit(images(2), Clock::now() + 50ms, &late), serve::SubmitStatus::kQueued);
  ASSERT_EQ(b.submit(images(1), Clock::now() + 10s, &fine), serve::SubmitStatus::kQueued);
  {
    Worker w(b, [&](const torch::Tensor& x) {
      computed += int(x.size(0));
      return fake_forward(x);
    });
    EXPECT_FALSE(late->wait_until(Clock::now() + 100ms)) << "answered before the batch window closed";
    ASSERT_TRUE(fine->wait_until(Clock::now() + 10s));
    ASSERT_TRUE(late->wait_until(Clock::now() + 10s));
    b.drain();
  }
  EXPECT_EQ(late->error(), serve::JobError::kExpired) << late->error_message();
  EXPECT_EQ(fine->error(), serve::JobError::kNone);
  EXPECT_EQ(computed.load(), 1);
  EXPECT_EQ(expired.load(), 2);
}

TEST(ServeBatcher, DrainComputesWhatIsQueuedAndStopFailsIt) {
  serve::BatcherOptions o;
  o.max_batch_size = 2;
  o.max_delay = 10s;  // a drain must not wait for fuller batches
  serve::DynamicBatcher drained(o);
  std::shared_ptr<serve::Job> job;
  ASSERT_EQ(drained.submit(images(3), Clock::now() + 60s, &job), serve::SubmitStatus::kQueued);
  const auto start = Clock::now();
  drained.drain();
  drained.run(fake_forward);  // returns once the queue is empty
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 2.0);
  ASSERT_TRUE(job->wait_until(Clock::now()));
  EXPECT_EQ(job->error(), serve::JobError::kNone);

  serve::DynamicBatcher stopped(o);
  ASSERT_EQ(stopped.submit(images(3), Clock::now() + 60s, &job), serve::SubmitStatus::kQueued);
  stopped.stop();
  stopped.run(fake_forward);
  ASSERT_TRUE(job->wait_until(Clock::now()));
  EXPECT_EQ(job->error(), serve::JobError::kStopped);
  EXPECT_EQ(stopped.depth(), 0);
}

TEST(ServeBatcher, AForwardErrorFailsItsBatchOnly) {
  serve::BatcherOptions o;
  o.max_batch_size = 1;
  o.max_delay = 0ms;
  serve::DynamicBatcher b(o);
  std::shared_ptr<serve::Job> bad, good;
  ASSERT_EQ(b.submit(images(1, -1), Clock::now() + 10s, &bad), serve::SubmitStatus::kQueued);
  ASSERT_EQ(b.submit(images(1, 1), Clock::now() + 10s, &good), serve::SubmitStatus::kQueued);
  b.drain();
  b.run([](const torch::Tensor& x) {
    if (x.sum().item<float>() < 0) throw std::runtime_error("negative input");
    return fake_forward(x);
  });
  ASSERT_TRUE(bad->wait_until(Clock::now()));
  EXPECT_EQ(bad->error(), serve::JobError::kFailed);
  EXPECT_NE(bad->error_message().find("negative input"), std::string::npos) << bad->error_message();
  ASSERT_TRUE(good->wait_until(Clock::now()));
  EXPECT_EQ(good->error(), serve::JobError::kNone);
}

}  // namespace
}  // namespace tlab::test
