#pragma once
// Batched, multi-threaded data loader with shuffling and bounded prefetch.
// Worker threads build batches ahead of the training step; batches are delivered in order, so
// the same seed gives the same batches whatever the worker count.
#include <torch/torch.h>

#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "tlab/data/dataset.h"
#include "tlab/transforms/augment.h"
#include "tlab/transforms/preprocess.h"

namespace tlab::data {

struct LoaderOptions {
  int batch_size = 32;     // samples per batch; the last partial batch is kept unless drop_last
  bool shuffle = false;    // new permutation each epoch, a function of (seed, epoch)
  bool drop_last = false;  // drop the last partial batch
  int workers = 2;         // threads building batches; 0 builds them in next() on the caller's thread
  int prefetch = 4;        // batches built ahead of the consumer, at most
  uint64_t seed = 0;       // shuffling and augmentation seed
  // Training-time augmentation (null or empty: none). Each sample's random draws are a function of
  // (seed, epoch, position in the pass), so results do not depend on the worker count.
  std::shared_ptr<const transforms::Augmentation> augment;
  bool pin_memory = false;  // batches in page-locked memory, for non-blocking copies to a CUDA device
};

struct Batch {
  torch::Tensor images;         // [B, C, H, W] float32, preprocessed
  torch::Tensor labels;         // [B] int64
  torch::Tensor targets;        // [B, classes] soft targets when MixUp/CutMix mixed the batch, else undefined
  std::vector<size_t> indices;  // dataset indices of the samples, in batch order
};

// Where training and evaluation take their batches from: a pass at a time, in order.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual size_t num_batches() const = 0;
  virtual size_t num_samples() const = 0;
  virtual const std::vector<std::string>& classes() const = 0;
  // Starts a pass; with shuffling, the order is a function of (seed, epoch).
  virtual void start_epoch(int64_t epoch) = 0;
  // The next batch of the pass, or nullopt at its end.
  virtual std::optional<Batch> next() = 0;
  // Seconds next() spent waiting for a batch since start_epoch.
  virtual double wait_seconds() const { return 0; }
};

// Batches of tensors already in memory, e.g. cached backbone features: Batch::images holds
// rows of `inputs` ([N, ...] float), Batch::labels the matching labels. With several `views`
// (K tensors [N, ...] of the same samples, e.g. features of K augmented versions of each image),
// epoch e reads view (e - 1) mod K.
class TensorBatches : public BatchSource {
 public:
  TensorBatches(torch::Tensor inputs, torch::Tensor labels, std::vector<std::string> classes, int batch_size,
                bool shuffle, uint64_t seed)
      : TensorBatches(std::vector<torch::Tensor>{std::move(inputs)}, std::move(labels), std::move(classes), batch_size,
                      shuffle, seed) {}
  TensorBatches(std::vector<torch::Tensor> views, torch::Tensor labels, std::vector<std::string> classes,
                int batch_size, bool shuffle, uint64_t seed);
  size_t num_batches() const override;
  size_t num_samples() const override { return size_t(labels_.size(0)); }
  const std::vector<std::string>& classes() const override { return classes_; }
  void start_epoch(int64_t epoch) override;
  std::optional<Batch> next() override;

 private:
  std::vector<torch::Tensor> views_;
  torch::Tensor inputs_, labels_, order_;  // inputs_: this epoch's view
  std::vector<std::string> classes_;
  int batch_size_;
  bool shuffle_;
  uint64_t seed_;
  int64_t position_ = -1;  // next row of order_; -1 before start_epoch
};

class DataLoader : public BatchSource {
 public:
  DataLoader(DatasetPtr dataset, transforms::InputSpec input, LoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  size_t num_batches() const override;
  size_t num_samples() const override { return dataset_->size(); }
  const std::vector<std::string>& classes() const override { return dataset_->classes(); }
  const Dataset& dataset() const { return *dataset_; }

  void start_epoch(int64_t epoch) override;
  // Rethrows a worker's exception.
  std::optional<Batch> next() override;
  double wait_seconds() const override { return wait_seconds_; }

 private:
  void worker_loop();

  DatasetPtr dataset_;
  transforms::InputSpec input_;
  LoaderOptions options_;
  struct Pass {
    int64_t epoch = 0;
    std::vector<size_t> order;  // sample order
  };
  Batch build(size_t batch_index, const Pass& pass) const;
  // The current pass; replaced (never modified) by start_epoch, so a worker still building a
  // batch of the previous pass keeps reading its own copy.
  std::shared_ptr<const Pass> pass_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
  bool stop_ = false;
  uint64_t generation_ = 0;  // bumped by start_epoch; stale batches are dropped
  size_t next_to_build_ = 0;
  size_t next_to_deliver_ = 0;
  size_t end_ = 0;  // batches in the current pass (0 before start_epoch)
  std::map<size_t, Batch> ready_;
  std::exception_ptr error_;
  double wait_seconds_ = 0;
};

}  // namespace tlab::data
