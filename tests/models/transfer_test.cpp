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
  models::ModelOptions o{5, 3, 64, 64, true, "gap,32"};
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

  o.head = "flatten,16";
  auto flat = models::create_model("resnet18", o);
  EXPECT_EQ(flat->feature_dim(), 512 * 2 * 2);  // layer4's map at 64 px is 2 x 2
  EXPECT_EQ(flat->forward(x).sizes(), (std::vector<int64_t>{2, 5}));
}

TEST(TransferModel, FrozenMeansFrozen) {
  auto model = models::create_model("mobilenet_v2", {3, 3, 32, 32, true, "gap"});
  auto& transfer = dynamic_cast<models::TransferModel&>(*model);
  transfer.freeze_backbone(true);
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
  transfer.freeze_backbone(false);
  model->train();
  EXPECT_TRUE(transfer.backbone().is_training());
}

}  // namespace
}  // namespace tlab::test
