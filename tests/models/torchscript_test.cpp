#include "tlab/models/torchscript.h"

#include "../test_util.h"
#include "tlab/data/decode.h"
#include "tlab/transforms/preprocess.h"

namespace tlab::test {
namespace {

std::string int8_file() { return shared_dir() + "/weights/mobilenet_v2-imagenet-int8.torchscript.pt"; }

torch::Tensor image_batch(const std::vector<std::string>& files) {
  const auto spec = transforms::imagenet_spec(256, 224);
  auto x = torch::empty({int64_t(files.size()), 3, 224, 224});
  for (size_t i = 0; i < files.size(); ++i)
    transforms::to_chw_float(data::decode_image(shared_dir() + "/images/" + files[i]), spec, x[int64_t(i)].data_ptr<float>());
  return x;
}

TEST(TorchScriptBackbone, Int8MobileNetPredictsTheReadmeLabels) {
  auto model = models::create_model("torchscript:" + int8_file(), {1000, 3, 224, 224});
  const auto x = image_batch({"bird.bmp", "parrot.jpg", "cat_720p.jpg"});
  const auto top1 = model->forward(x).argmax(1);
  EXPECT_EQ(top1[0].item<int64_t>(), 19);  // chickadee
  EXPECT_EQ(top1[1].item<int64_t>(), 88);  // macaw
  EXPECT_EQ(top1[2].item<int64_t>(), 285);  // Egyptian cat
}

TEST(TorchScriptBackbone, FrozenFeaturesAndANewTrainableHead) {
  auto features = models::create_model("torchscript:" + int8_file(), {0, 3, 224, 224, /*include_top=*/false});
  EXPECT_EQ(features->feature_dim(), 1280);
  const auto x = image_batch({"bird.bmp", "cat.bmp"});
  const auto f = features->forward(x);
  EXPECT_EQ(f.sizes(), (std::vector<int64_t>{2, 1280}));
  EXPECT_TRUE(features->parameters().empty());  // nothing of the TorchScript part trains

  auto model = models::create_model("torchscript:" + int8_file(), {2, 3, 224, 224});
  auto params = model->named_parameters();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params.keys(), (std::vector<std::string>{"fc.weight", "fc.bias"}));
  torch::optim::SGD opt(model->parameters(), 0.1);
  const auto before = params["fc.weight"].clone();
  auto loss = torch::nn::functional::cross_entropy(model->forward(x), torch::tensor({0, 1}));
  loss.backward();
  opt.step();
  EXPECT_FALSE(torch::equal(before, params["fc.weight"]));
  // The features stay what the frozen backbone computes.
  EXPECT_TRUE(torch::allclose(features->forward(x), f));
}

TEST(TorchScriptBackbone, NotTorchScriptIsAClearError) {
  TempDir dir;
  write_bytes(dir.str("fake.pt"), "definitely not a TorchScript archive");
  try {
    models::create_model("torchscript:" + dir.str("fake.pt"), {});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("fake.pt"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tlab::test
