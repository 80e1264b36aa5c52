#pragma once
// Classifying images with a loaded model: decode, preprocess (the model's InputSpec, the same
// function training uses), run in batches, keep the top k classes.
#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "tlab/infer/loaded_model.h"

namespace tlab::infer {

struct ClassScore {
  std::string name;     // class name
  int64_t index = 0;    // class index (label)
  double probability = 0;
};

// Top-k classes of one image, most probable first.
using TopK = std::vector<ClassScore>;

// The preprocessed batch [N, C, H, W] of decoded images (uint8 HxWx1 or HxWx3 RGB, any size).
torch::Tensor preprocess(const LoadedModel& model, const std::vector<cv::Mat>& images);

// Top-k (k capped at the number of classes) of each image, `batch_size` images per forward pass.
// Throws UsageError for k < 1 or batch_size < 1.
std::vector<TopK> predict(const LoadedModel& model, const std::vector<cv::Mat>& images, int k, int batch_size = 32);

// The same for image files, decoded a batch at a time at full size, as torchvision's PIL loading
// does (EXIF orientation honoured); an unreadable file is a DataError naming it.
std::vector<TopK> predict_files(const LoadedModel& model, const std::vector<std::string>& paths, int k,
                                int batch_size = 32);

}  // namespace tlab::infer
