// TransferModel: a backbone without its classifier plus a new head.
#include "tlab/models/transfer.h"

#include "../test_util.h"

namespace tlab::test {
namespace {

using models::HeadOptions;

TEST(Head, ParsesTheClassicForms) {
  auto h = HeadOptions::parse("gap");
  EXPECT_EQ(h.pool, "gap");
  EXPECT_TRUE(h.hidden.empty());
  h = HeadOptions::parse("flatten,256");
  EXPECT_EQ(h.pool, "flatten");
  EXPECT_EQ(h.hidden, (std::vector<int64_t>{256}));
  h = HeadOptions::parse("gap,1024,512,dropout=0.5");
  EXPECT_EQ(h.hidden, (std::vector<int64_t>{1024, 512}));
  EXPECT_DOUBLE_EQ(h.dropout, 0.5);
  EXPECT_EQ(HeadOptions::parse(h.str()).str(), h.str());
  for (const char* bad : {"", "avg", "gap,-3", "gap,abc", "gap,12x", "gap,dropout=1.5", "gap,dropout=x"})
    EXPECT_THROW(HeadOptions::parse(bad), std::invalid_argument) << bad;
}

TEST(TransferModel, GapAndFlattenHeadsOnResNet18) {
  torch::manual_seed(0);
  models::ModelOptions o{5, 3, 64, 64, true, HeadOptions::parse("gap,32")};
  auto gap = models::create_model("resnet18", o);
  EXPECT_EQ(gap->feature_dim(), 512);
  const auto x = torch::randn({2, 3, 64, 64});
  EXPECT_EQ(gap->forward(x).sizes(), (std::vector<int64_t>{2, 5}));
  // Parameter names: the backbone's torchvision names under "backbone.", the head under "head.".
  bool saw_backbone = false, saw_head = false;
  for (const auto& p : gap->named_parameters()) {
    saw_backbone |= p.key() == "backbone.layer4.1.bn2.weight";
    saw_head |= p.key() == "head.3.weight";  // Linear, ReLU, Dropout, Linear
    EXPECT_TRUE(p.key().rfind("backbone.", 0) == 0 || p.key().rfind("head.", 0) == 0) << p.key();
  }
  EXPECT_TRUE(saw_backbone && saw_head);
  EXPECT_EQ(gap->named_parameters()["head.3.weight"].sizes(), (std::vector<int64_t>{5, 32}));

  o.head = HeadOptions::parse("flatten,16");
  auto flat = models::create_model("resnet18", o);
  EXPECT_EQ(flat->feature_dim(), 512 * 2 * 2);  // layer4's map at 64 px is 2 x 2
  EXPECT_EQ(flat->forward(x).sizes(), (std::vector<int64_t>{2, 5}));
}

TEST(TransferModel, FrozenMeansFrozen) {
  auto model = models::create_model("mobilenet_v2", {3, 3, 32, 32, true, HeadOptions{}});
  auto& transfer = dynamic_cast<models::TransferModel&>(*model);
  transfer.set_trainable_from(transfer.stages().size());
  model->train();
  for (const auto& p : transfer.backbone().parameters()) EXPECT_FALSE(p.requires_grad());
  for (const auto& m : transfer.backbone().modules()) EXPECT_FALSE(m->is_training());
  EXPECT_TRUE(model->is_training());
  int64_t trainable = 0;
  for (const auto& p : model->parameters()) trainable += p.requires_grad() ? p.numel() : 0;
  EXPECT_EQ(trainable, 1280 * 3 + 3);  // only the head
  // BatchNorm running statistics do not move in training mode.
  const auto before = transfer.backbone().named_buffers()["features.0.1.running_mean"].clone();
  model->forward(torch::randn({4, 3, 32, 32}));
  EXPECT_TRUE(torch::equal(before, transfer.backbone().named_buffers()["features.0.1.running_mean"]));
  transfer.set_trainable_from(0);
  model->train();
  EXPECT_TRUE(transfer.backbone().is_training());
}

TEST(TransferModel, StagesFollowTheForwardOrderAndCoverEveryParameter) {
  auto mobile = models::create_model("mobilenet_v2", {3, 3, 32, 32, true, HeadOptions{}});
  const auto& stages = dynamic_cast<models::TransferModel&>(*mobile).stages();
  ASSERT_EQ(stages.size(), 19u);
  EXPECT_EQ(stages.front(), "features.0");
  EXPECT_EQ(stages.back(), "features.18");
  auto resnet = models::create_model("resnet18", {3, 3, 32, 32, true, HeadOptions::parse("flatten,8")});
  auto& transfer = dynamic_cast<models::TransferModel&>(*resnet);
  EXPECT_EQ(transfer.stages(), (std::vector<std::string>{"conv1", "bn1", "layer1", "layer2", "layer3", "layer4"}));
  size_t covered = 0;
  for (size_t i = 0; i < transfer.stages().size(); ++i) covered += transfer.stage_parameters(i).size();
  EXPECT_EQ(covered, transfer.backbone().parameters().size());
}

TEST(TransferModel, PartialUnfreezeAndFrozenBatchNorm) {
  auto model = models::create_model("resnet18", {3, 3, 32, 32, true, HeadOptions{}});
  auto& transfer = dynamic_cast<models::TransferModel&>(*model);
  auto& backbone = transfer.backbone();
  transfer.set_trainable_from(4);  // layer3, layer4 train
  model->train();
  EXPECT_FALSE(backbone.named_parameters()["layer2.0.conv1.weight"].requires_grad());
  EXPECT_TRUE(backbone.named_parameters()["layer3.0.conv1.weight"].requires_grad());
  EXPECT_FALSE(backbone.named_modules()["layer2"]->is_training());  // frozen stage: eval mode
  EXPECT_FALSE(backbone.named_modules()["bn1"]->is_training());
  EXPECT_TRUE(backbone.named_modules()["layer4.1.bn2"]->is_training());
  // --bn frozen: BatchNorm keeps its statistics also in the trainable stages; its affine parameters train.
  transfer.freeze_batchnorm(true);
  EXPECT_FALSE(backbone.named_modules()["layer4.1.bn2"]->is_training());
  EXPECT_TRUE(backbone.named_modules()["layer4.1.conv2"]->is_training());
  EXPECT_TRUE(backbone.named_parameters()["layer4.1.bn2.weight"].requires_grad());
  const auto before = backbone.named_buffers()["layer4.1.bn2.running_mean"].clone();
  model->forward(torch::randn({4, 3, 32, 32}));
  EXPECT_TRUE(torch::equal(before, backbone.named_buffers()["layer4.1.bn2.running_mean"]));
  transfer.freeze_batchnorm(false);
  model->forward(torch::randn({4, 3, 32, 32}));
  EXPECT_FALSE(torch::equal(before, backbone.named_buffers()["layer4.1.bn2.running_mean"]));
  EXPECT_THROW(transfer.set_trainable_from(7), std::invalid_argument);
}

}  // namespace
}  // namespace tlab::test
