#include "tlab/models/densenet.h"

namespace tlab::models {

void register_densenet(std::vector<ModelInfo>& registry) { (void)registry; }

}  // namespace tlab::models
