// Trainer with parameter groups: per-group learning rates, a group frozen for its first epochs,
// and the LR schedule starting anew when it joins (fine-tuning's two phases).
#include "tlab/train/trainer.h"

#include "../test_util.h"

namespace tlab::test {
namespace {

struct TwoLayers : models::Model {
  torch::nn::Linear first{nullptr}, second{nullptr};
  TwoLayers() {
    first = register_module("first", torch::nn::Linear(4, 8));
    second = register_module("second", torch::nn::Linear(8, 3));
  }
  torch::Tensor forward(torch::Tensor x) override { return second(torch::relu(first(x))); }
  torch::Tensor forward_observed(torch::Tensor x, const models::LayerObserver&) override { return forward(x); }
  int64_t feature_dim() const override { return 8; }
};

TEST(Trainer, GroupsJoinAfterTheirFrozenEpochsAtTheirOwnLearningRate) {
  torch::manual_seed(0);
  auto model = std::make_shared<TwoLayers>();
  const auto x = torch::randn({32, 4});
  const auto y = torch::randint(0, 3, {32}, torch::kInt64);
  data::TensorBatches batches(x, y, {"a", "b", "c"}, 8, true, 0);  // 4 steps per epoch
  train::TrainOptions t;
  t.epochs = 3;
  t.optimizer.lr = 0.1;
  t.schedule.name = "constant";
  t.schedule.warmup_epochs = 1;
  t.progress_every = 1;
  std::vector<train::ParamGroup> groups = {{model->first->parameters(), 0.01, 1}, {model->second->parameters(), 1.0, 0}};
  train::Trainer trainer(model, t, torch::kCPU, groups);
  const auto first_before = model->first->weight.clone();
  const auto second_before = model->second->weight.clone();
  std::vector<double> lrs;
  std::vector<int64_t> trainable;
  std::vector<torch::Tensor> first_after_epoch;
  trainer.fit(batches, nullptr, /*store=*/nullptr,
              {[&](const train::StepProgress& p) { lrs.push_back(p.lr); },
               [&](const train::EpochRecord& r) {
                 trainable.push_back(r.trainable_parameters);
                 first_after_epoch.push_back(model->first->weight.clone());
               }});
  // Epoch 1: only the second layer trains; the first joins in epoch 2.
  EXPECT_TRUE(torch::equal(first_after_epoch[0], first_before));
  EXPECT_FALSE(torch::equal(model->first->weight, first_before));
  EXPECT_FALSE(torch::equal(model->second->weight, second_before));
  EXPECT_EQ(trainable, (std::vector<int64_t>{8 * 3 + 3, 4 * 8 + 8 + 8 * 3 + 3, 4 * 8 + 8 + 8 * 3 + 3}));
  // The warm-up runs in epoch 1 (the head's phase) and again in epoch 2, when the first layer joins.
  ASSERT_EQ(lrs.size(), 12u);
  EXPECT_NEAR(lrs[0], 0.025, 1e-12);
  EXPECT_NEAR(lrs[3], 0.1, 1e-12);
  EXPECT_NEAR(lrs[4], 0.025, 1e-12);
  EXPECT_NEAR(lrs[11], 0.1, 1e-12);
  const auto& opt_groups = trainer.optimizer().param_groups();
  EXPECT_NEAR(opt_groups[0].options().get_lr(), 0.001, 1e-12);  // 0.1 * 0.01
  EXPECT_NEAR(opt_groups[1].options().get_lr(), 0.1, 1e-12);

  // A group that would never train is a mistake.
  groups[0].frozen_epochs = 3;
  EXPECT_THROW(train::Trainer(std::make_shared<TwoLayers>(), t, torch::kCPU, groups), std::invalid_argument);
}

}  // namespace
}  // namespace tlab::test
