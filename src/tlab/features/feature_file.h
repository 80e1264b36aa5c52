#pragma once
// A data set's descriptor vectors as a file other tools read (tlab features): features [N, D]
// float32, labels [N] int64 and the class names, in one of three formats chosen by the extension:
//   .safetensors  tensors "features" and "labels"; __metadata__ "classes" (a JSON list) and
//                 "descriptors" (what --features said)
//   .npy          the features (NumPy format 1.0, '<f4', C order); beside it STEM.labels.npy ('<i8')
//                 and STEM.classes.txt (a name per line, in label order)
//   .csv          a header "label,class,f0,...,f{D-1}", then a row per image
// Written atomically (each file).
#include <torch/torch.h>

#include <string>
#include <vector>

namespace tlab::features {

// The files a write to `path` produces (the .npy format writes three). Throws UsageError naming
// --out for another extension.
std::vector<std::string> feature_file_paths(const std::string& path);

// Writes them; returns feature_file_paths(path).
std::vector<std::string> write_feature_file(const std::string& path, const torch::Tensor& features,
                                            const torch::Tensor& labels, const std::vector<std::string>& classes,
                                            const std::string& descriptors);

// A NumPy .npy file's bytes (format 1.0) of a float32 or int64 tensor, C order.
std::string npy_bytes(const torch::Tensor& tensor);

}  // namespace tlab::features
