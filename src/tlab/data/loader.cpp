#include "tlab/data/loader.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>

#include "tlab/core/error.h"

namespace tlab::data {

namespace {
// A well-mixed 64-bit seed from (seed, epoch, position): SplitMix64's finaliser over a combination.
uint64_t mix_seed(uint64_t seed, int64_t epoch, size_t position) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ULL + uint64_t(epoch) * 0xBF58476D1CE4E5B9ULL + uint64_t(position);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
}  // namespace

DataLoader::DataLoader(DatasetPtr dataset, transforms::InputSpec input, LoaderOptions options)
    : dataset_(std::move(dataset)), input_(std::move(input)), options_(options) {
  TLAB_CHECK(dataset_ != nullptr, "DataLoader: dataset is null");
  TLAB_CHECK(dataset_->size() > 0, "DataLoader: ", dataset_->description(), " is empty");
  TLAB_CHECK(options_.batch_size > 0, "DataLoader: batch_size must be > 0, got ", options_.batch_size);
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

namespace {

// The sample order of one pass: 0..n-1, shuffled by std::shuffle with mt19937_64(seed * 1000003 +
// epoch) when asked, so DataLoader and TensorBatches visit samples alike.
std::vector<size_t> pass_order(size_t n, bool shuffle, uint64_t seed, int64_t epoch) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  if (shuffle) {
    std::mt19937_64 rng(seed * 1000003ULL + static_cast<uint64_t>(epoch));
    std::shuffle(order.begin(), order.end(), rng);
  }
  return order;
}

}  // namespace

void DataLoader::start_epoch(int64_t epoch) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++generation_;
  ready_.clear();
  error_ = nullptr;
  auto pass = std::make_shared<Pass>();
  pass->epoch = epoch;
  pass->order = pass_order(dataset_->size(), options_.shuffle, options_.seed, epoch);
  pass_ = std::move(pass);
  next_to_build_ = next_to_deliver_ = 0;
  end_ = num_batches();
  wait_seconds_ = 0;
  cv_.notify_all();
}

Batch DataLoader::build(size_t k, const Pass& pass) const {
  const auto& order = pass.order;
  const size_t begin = k * options_.batch_size;
  const size_t end = std::min(begin + options_.batch_size, order.size());
  const int64_t n = static_cast<int64_t>(end - begin);
  const transforms::Augmentation* augment =
      options_.augment && !options_.augment->empty() ? options_.augment.get() : nullptr;
  Batch batch;
  const auto cpu = torch::TensorOptions().pinned_memory(options_.pin_memory);
  batch.images = torch::empty({n, input_.channels, input_.height, input_.width}, cpu.dtype(torch::kFloat32));
  batch.labels = torch::empty({n}, cpu.dtype(torch::kInt64));
  float* images = batch.images.data_ptr<float>();
  int64_t* labels = batch.labels.data_ptr<int64_t>();
  const size_t stride = static_cast<size_t>(input_.channels) * input_.height * input_.width;
  for (int64_t i = 0; i < n; ++i) {
    const size_t index = order[begin + i];
    Example ex = dataset_->get(index);
    if (augment) {
      transforms::Rng rng(mix_seed(options_.seed, pass.epoch, begin + i));
      augment->apply(ex.image, input_, rng, images + i * stride);
    } else {
      transforms::to_chw_float(ex.image, input_, images + i * stride);
    }
    labels[i] = ex.label;
    batch.indices.push_back(index);
  }
  if (augment && augment->mix().enabled()) {
    // Seeded by the batch (a different stream from the samples': position ~k is never a sample's).
    transforms::Rng rng(mix_seed(options_.seed ^ 0x6d69786d69786d69ULL, pass.epoch, k));
    batch.targets = transforms::mix_batch(batch.images, batch.labels, int64_t(dataset_->classes().size()), 0.0,
                                          augment->mix(), rng)
                        .targets;
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
    const auto pass = pass_;
    lock.unlock();
    std::optional<Batch> batch;
    std::exception_ptr error;
    try {
      batch = build(k, *pass);
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
    const auto pass = pass_;
    lock.unlock();
    return build(k, *pass);
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

TensorBatches::TensorBatches(std::vector<torch::Tensor> views, torch::Tensor labels, std::vector<std::string> classes,
                             int batch_size, bool shuffle, uint64_t seed)
    : views_(std::move(views)), labels_(std::move(labels)), classes_(std::move(classes)), batch_size_(batch_size),
      shuffle_(shuffle), seed_(seed) {
  TLAB_CHECK(!views_.empty(), "TensorBatches: no inputs");
  for (const auto& v : views_)
    TLAB_CHECK(v.dim() >= 1 && labels_.dim() == 1 && v.size(0) == labels_.size(0) && v.size(0) > 0,
               "TensorBatches: expected inputs [N, ...] and labels [N] with N > 0, got ", v.sizes(), " and ",
               labels_.sizes());
  TLAB_CHECK(batch_size_ > 0, "TensorBatches: batch_size must be > 0, got ", batch_size_);
  inputs_ = views_.front();
}

size_t TensorBatches::num_batches() const { return (num_samples() + batch_size_ - 1) / batch_size_; }

void TensorBatches::start_epoch(int64_t epoch) {
  const int64_t k = int64_t(views_.size());
  inputs_ = views_[size_t(((epoch - 1) % k + k) % k)];
  const auto order = pass_order(size_t(inputs_.size(0)), shuffle_, seed_, epoch);
  order_ = torch::tensor(std::vector<int64_t>(order.begin(), order.end()), torch::kInt64);
  position_ = 0;
}

std::optional<Batch> TensorBatches::next() {
  TLAB_CHECK(position_ >= 0, "TensorBatches::next called before start_epoch");
  if (position_ >= inputs_.size(0)) return std::nullopt;
  const int64_t end = std::min<int64_t>(position_ + batch_size_, inputs_.size(0));
  const auto rows = order_.slice(0, position_, end);
  position_ = end;
  Batch b;
  b.images = inputs_.index_select(0, rows);
  b.labels = labels_.index_select(0, rows);
  const int64_t* r = rows.data_ptr<int64_t>();
  b.indices.assign(r, r + rows.numel());
  return b;
}

}  // namespace tlab::data
