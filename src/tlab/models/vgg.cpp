#include "tlab/models/vgg.h"

namespace tlab::models {

void register_vgg(std::vector<ModelInfo>& registry) { (void)registry; }

}  // namespace tlab::models
