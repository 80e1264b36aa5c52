#include "tlab/models/resnet.h"

namespace tlab::models {

void register_resnet(std::vector<ModelInfo>& registry) { (void)registry; }

}  // namespace tlab::models
