#include "tlab/models/inception.h"

namespace tlab::models {

void register_inception(std::vector<ModelInfo>& registry) { (void)registry; }

}  // namespace tlab::models
