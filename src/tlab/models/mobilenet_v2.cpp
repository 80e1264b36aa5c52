#include "tlab/models/mobilenet_v2.h"

namespace tlab::models {

void register_mobilenet_v2(std::vector<ModelInfo>& registry) { (void)registry; }

}  // namespace tlab::models
