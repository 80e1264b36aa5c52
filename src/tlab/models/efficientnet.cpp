#include "tlab/models/efficientnet.h"

namespace tlab::models {

void register_efficientnet(std::vector<ModelInfo>& registry) { (void)registry; }

}  // namespace tlab::models
