#pragma once
// Knowledge distillation (Hinton, Vinyals & Dean 2015): a student learns from a trained teacher's
// softened outputs as well as from the labels.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "tlab/core/progress.h"
#include "tlab/data/loader.h"
#include "tlab/infer/loaded_model.h"
#include "tlab/models/model.h"
#include "tlab/transforms/preprocess.h"

namespace tlab::train {

// alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) * hard_loss, the KL
// term a batch mean. T^2 keeps the soft term's gradients on the hard term's scale for any T.
torch::Tensor distillation_loss(const torch::Tensor& student_logits, const torch::Tensor& teacher_logits,
                                const torch::Tensor& hard_loss, double temperature, double alpha);

// A batch preprocessed for `from` re-expressed as if preprocessed for `to`: `from`'s scale, mean/std
// and channel order undone, grey <-> colour converted, `to`'s applied, then resized (bilinear) to
// `to`'s height x width. How an augmented student batch reaches a teacher that wants other inputs.
torch::Tensor convert_batch(const torch::Tensor& x, const transforms::InputSpec& from, const transforms::InputSpec& to);

// The teacher of a distillation run: a trained model in eval mode, without gradients.
class Teacher {
 public:
  // `spec`: a run directory (its best checkpoint), a checkpoint file, or MODEL:WEIGHTS (a zoo
  // model with a weights file, its head included). Throws UsageError naming --teacher
  // when it is none of these.
  Teacher(const std::string& spec, const torch::Device& device);

  // The preprocessing the teacher `spec` names reads, without loading its weights (how large the
  // data must be decoded). Throws UsageError naming --teacher as the constructor does.
  static transforms::InputSpec input_of(const std::string& spec);

  const transforms::InputSpec& input() const { return model_.input; }
  // Throws UsageError unless the teacher predicts these classes: the same names in the
  // same order for a checkpoint, the same number for MODEL:WEIGHTS (whose names are unknown).
  void check_classes(const std::vector<std::string>& classes) const;

  // Computes the logits of every sample of `dataset` once, with the teacher's own preprocessing
  // (for training without augmentation: batches then read rows by Batch::indices).
  void cache(const data::DatasetPtr& dataset, const data::LoaderOptions& loader, const ProgressCallback& progress = {});
  bool cached() const { return cache_.defined(); }

  // Logits for a batch whose inputs `x` (on the device) were preprocessed for `student_input`.
  torch::Tensor logits(const data::Batch& batch, const torch::Tensor& x, const transforms::InputSpec& student_input);

 private:
  infer::LoadedModel model_;
  std::string spec_;
  bool named_classes_ = false;  // a checkpoint names its classes; MODEL:WEIGHTS only counts them
  torch::Tensor cache_;         // [dataset size, classes] on the CPU, when cached
};

}  // namespace tlab::train
