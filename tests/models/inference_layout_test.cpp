// prepare_for_inference: channels-last weights, same outputs as the NCHW model.
#include "../test_util.h"
#include "tlab/models/model.h"

namespace tlab::test {
namespace {

class InferenceLayout : public ::testing::TestWithParam<std::string> {};

TEST_P(InferenceLayout, SameLogitsWithChannelsLastWeights) {
  torch::manual_seed(0);
  auto model = models::create_model(GetParam(), {7, 3, 64, 64});
  model->eval();
  const auto x = torch::randn({2, 3, 64, 64});
  torch::NoGradGuard no_grad;
  const auto reference = model->forward(x);
  models::prepare_for_inference(*model);
  EXPECT_FALSE(model->is_training());
  int64_t converted = 0;
  for (const auto& p : model->parameters())
    if (p.dim() == 4) {
      EXPECT_TRUE(p.is_contiguous(torch::MemoryFormat::ChannelsLast));
      ++converted;
    }
  EXPECT_GT(converted, 0);
  const auto logits = model->forward(x);
  ASSERT_EQ(logits.sizes(), reference.sizes());
  // Same math in another memory order: only float summation order differs.
  EXPECT_LT((logits - reference).abs().max().item<float>(), 1e-4f * std::max(1.0f, reference.abs().max().item<float>()));
}

INSTANTIATE_TEST_SUITE_P(Zoo, InferenceLayout,
                         ::testing::Values("simple_cnn", "resnet18", "mobilenet_v2", "densenet121", "vgg11_bn"));

}  // namespace
}  // namespace tlab::test
