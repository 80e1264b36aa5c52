#include "tlab/data/loader.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>

#include "tlab/core/error.h"

namespace tlab::data {

DataLoader::DataLoader(DatasetPtr dataset, transforms::InputSpec input, LoaderOptions options)
    : dataset_(std::move(dataset)), input_(std::move(input)), options_(options) {
  TLAB_CHECK(dataset_ != nullptr, "DataLoader: dataset is null");
  TLAB_CHECK(dataset_->size() > 0, "DataLoader: ", dataset_->description(), " is empty");
  TLAB_CHECK(options_.batch_size > 0, "--batch-size: expected a positive count, got ", options_.batch_size);
  TLAB_CHECK(options_.workers >= 0, "loader workers must be >= 0, got ", options_.workers);
  TLAB_CHECK(options_.prefetch > 0, "loader prefetch must be > 0, got ", options_.prefetch);
  for (int w = 0; w < options_.workers; ++w) workers_.emplace_back([this] { worker_loop(); });
}

DataLoader::~DataLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

size_t DataLoader::num_batches() const {
  const size_t n = dataset_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

void DataLoader::start_epoch(int64_t epoch) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++generation_;
  ready_.clear();
  error_ = nullptr;
  auto order = std::make_shared<std::vector<size_t>>(dataset_->size());
  std::iota(order->begin(), order->end(), size_t{0});
  if (options_.shuffle) {
    std::mt19937_64 rng(options_.seed * 1000003ULL + static_cast<uint64_t>(epoch));
    std::shuffle(order->begin(), order->end(), rng);
  }
  order_ = std::move(order);
  next_to_build_ = next_to_deliver_ = 0;
  end_ = num_batches();
  wait_seconds_ = 0;
  cv_.notify_all();
}

Batch DataLoader::build(size_t k, const std::vector<size_t>& order) const {
  const size_t begin = k * options_.batch_size;
  const size_t end = std::min(begin + options_.batch_size, order.size());
  const int64_t n = static_cast<int64_t>(end - begin);
  Batch batch;
  batch.images = torch::empty({n, input_.channels, input_.height, input_.width}, torch::kFloat32);
  batch.labels = torch::empty({n}, torch::kInt64);
  float* images = batch.images.data_ptr<float>();
  int64_t* labels = batch.labels.data_ptr<int64_t>();
  const size_t stride = static_cast<size_t>(input_.channels) * input_.height * input_.width;
  for (int64_t i = 0; i < n; ++i) {
    const size_t index = order[begin + i];
    Example ex = dataset_->get(index);
    transforms::to_chw_float(ex.image, input_, images + i * stride);
    labels[i] = ex.label;
    batch.indices.push_back(index);
  }
  return batch;
}

void DataLoader::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    cv_.wait(lock, [this] {
      return stop_ || (!error_ && next_to_build_ < end_ && next_to_build_ < next_to_deliver_ + options_.prefetch);
    });
    if (stop_) return;
    const size_t k = next_to_build_++;
    const uint64_t generation = generation_;
    const auto order = order_;
    lock.unlock();
    std::optional<Batch> batch;
    std::exception_ptr error;
    try {
      batch = build(k, *order);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (generation != generation_) continue;  // start_epoch ran meanwhile: drop the stale batch
    if (error) {
      if (!error_) error_ = error;
    } else {
      ready_.emplace(k, std::move(*batch));
    }
    cv_.notify_all();
  }
}

std::optional<Batch> DataLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  TLAB_CHECK(generation_ > 0, "DataLoader::next called before start_epoch");
  if (next_to_deliver_ >= end_) return std::nullopt;
  const size_t k = next_to_deliver_;
  if (workers_.empty()) {
    ++next_to_deliver_;
    const auto order = order_;
    lock.unlock();
    return build(k, *order);
  }
  const auto t0 = std::chrono::steady_clock::now();
  cv_.wait(lock, [&] { return error_ || ready_.count(k) > 0; });
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (error_) std::rethrow_exception(error_);
  Batch batch = std::move(ready_.at(k));
  ready_.erase(k);
  ++next_to_deliver_;
  cv_.notify_all();
  return batch;
}

}  // namespace tlab::data
