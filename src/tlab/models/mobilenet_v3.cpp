#include "tlab/models/mobilenet_v3.h"

namespace tlab::models {

void register_mobilenet_v3(std::vector<ModelInfo>& registry) { (void)registry; }

}  // namespace tlab::models
