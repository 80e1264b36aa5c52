#pragma once
// The classic small CNN:
//   conv1  Conv2d(C, 32, 3x3)      -> [N, 32, H-2, W-2]
//   relu1, pool1 MaxPool(2)        -> [N, 32, (H-2)/2, (W-2)/2]
//   conv2  Conv2d(32, 64, 3x3)     -> [N, 64, H1-2, W1-2]
//   relu2, pool2 MaxPool(2)        -> [N, 64, H2, W2]
//   flatten                        -> [N, 64*H2*W2]
//   fc1 Linear(64), relu3, fc2 Linear(num_classes) -> [N, num_classes]
// Any input size whose feature map survives both pools (H, W >= 10) and any channel count.
#include "tlab/models/model.h"

namespace tlab::models {

// With include_top = false the model ends after relu3: features [N, 64].
class SimpleCnn : public SequentialModel {
 public:
  explicit SimpleCnn(const ModelOptions& options);
  std::vector<std::string> head_prefixes() const override { return {"fc2."}; }
  int64_t feature_dim() const override { return 64; }
};

}  // namespace tlab::models
