#pragma once
// A fitted classical pipeline as a model: preprocessed images -> descriptors (HOG, LBP, SIFT bag
// of words, colour histograms, a deep stage pooled) -> selection -> standardisation -> PCA ->
// classifier scores [N, K]. Being a models::Model, it goes wherever a model goes: checkpoints,
// tlab eval / predict / compare / cv / select, the server. Its fitted state is module buffers, and a
// "pipeline" buffer holds the JSON that rebuilds it (its recipe and every buffer's shape), so a
// checkpoint describes itself.
//
// Descriptors run on the CPU (OpenCV), an image per thread of LibTorch's pool; the deep stage and
// the classifier run on the model's device. Not exportable: the descriptors are not tensor operations.
#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "tlab/core/progress.h"
#include "tlab/data/loader.h"
#include "tlab/features/classical.h"
#include "tlab/models/model.h"
#include "tlab/transforms/preprocess.h"

namespace tlab::features {

class ClassicalModel : public models::Model {
 public:
  // An unfitted pipeline for images preprocessed by `input` (its normalisation is undone before the
  // hand-made descriptors), with `options`' classes and input size. `backbone` (built with
  // include_top = false, with its weights) and `backbone_name` are for deep features; null otherwise.
  ClassicalModel(ClassicalSpec spec, const models::ModelOptions& options, const transforms::InputSpec& input,
                 models::ModelPtr backbone = nullptr, std::string backbone_name = "");

  // Rebuilt from a checkpoint written with its state, ready for inference on `device`. Throws
  // WeightsError naming the file.
  static std::shared_ptr<ClassicalModel> load(const std::string& checkpoint, const torch::Device& device);

  const ClassicalSpec& spec() const { return spec_; }
  const std::vector<Descriptor>& descriptors() const { return descriptors_; }

  // The descriptors of a preprocessed batch [N, C, H, W], one part [N, d] float32 (CPU) per
  // descriptor in the spec's order. The sift-bow part stays undefined until the vocabulary is
  // fitted; `sift` then holds each image's SIFT descriptors (for fit_vocabulary and join).
  struct Parts {
    std::vector<torch::Tensor> parts;
    std::vector<cv::Mat> sift;
  };
  Parts describe_parts(const torch::Tensor& images);
  // The parts side by side [N, D] (the sift-bow part computed from `sift` when undefined).
  torch::Tensor join(const Parts& parts) const;
  // describe_parts + join: the descriptor vectors the classifier's steps read.
  torch::Tensor describe(const torch::Tensor& images) { return join(describe_parts(images)); }
  // The lengths of the descriptors' parts for this model's input size.
  std::vector<int64_t> part_lengths();

  // sift-bow: the k-means vocabulary on the training images' SIFT descriptors.
  bool needs_vocabulary() const;
  void fit_vocabulary(const std::vector<cv::Mat>& sift);

  // Fits selection, standardisation, reduction and the classifier on the training split's
  // descriptor vectors [N, D] and labels [N]. Once.
  void fit(const torch::Tensor& features, const torch::Tensor& labels, const ProgressCallback& progress = {});
  bool fitted() const { return fitted_; }

  // Scores [N, K] float32 of descriptor vectors (the steps after the descriptors): logits for
  // logistic, decision values for the SVMs (one-vs-rest; one-vs-one votes folded as scikit-learn's
  // SVC does), log of Laplace-smoothed vote fractions for kNN. Argmax: the classifier's prediction.
  // A class the training split lacks scores -1e4 (never wins, finite loss).
  torch::Tensor classify(const torch::Tensor& features);

  torch::Tensor forward(torch::Tensor images) override { return classify(describe(images)); }
  // Reports "descriptors", "selected", "standardized", "reduced" (the steps the spec has) and "scores".
  torch::Tensor forward_observed(torch::Tensor images, const models::LayerObserver& observe) override;
  int64_t feature_dim() const override { return classifier_input_; }  // the classifier's input width; 0 unfitted

  // One line: "hog (1296) -> kbest:500 -> standardize -> pca:100 -> svm-linear (C 1)".
  std::string describe_pipeline() const;
  // Its first part: the descriptors and their lengths, "hog (1296) + color-hist (24)".
  std::string describe_descriptors() const;

 private:
  torch::Tensor state(const std::string& name) const;  // a fitted buffer
  void set_state(const std::string& name, const torch::Tensor& value);
  torch::Tensor steps(const torch::Tensor& features, const models::LayerObserver* observe);
  torch::Tensor pixels_of(const torch::Tensor& images) const;  // [N, H, W, C] uint8 RGB/grey, CPU
  torch::Tensor deep_part(const torch::Tensor& images);
  nlohmann::json description() const;  // the "pipeline" buffer's JSON

  ClassicalSpec spec_;
  std::vector<Descriptor> descriptors_;
  models::ModelOptions options_;
  transforms::InputSpec input_;
  models::ModelPtr backbone_;
  std::string backbone_name_;
  std::vector<int64_t> part_lengths_;  // computed on first need
  int64_t classifier_input_ = 0;
  double gamma_ = 0;  // svm-rbf's, as fitted
  bool fitted_ = false;
};

// The descriptors of every image of one pass of `loader` (in order: it should neither shuffle nor
// augment), with their labels. `features` is the joined [N, D] matrix, undefined while the model
// still needs its vocabulary: fit_vocabulary(parts.sift), then join(parts).
struct DescribedSet {
  ClassicalModel::Parts parts;
  torch::Tensor features, labels;
};
DescribedSet describe_all(ClassicalModel& model, data::BatchSource& loader, const torch::Device& device,
                          const ProgressCallback& progress = {});

}  // namespace tlab::features
