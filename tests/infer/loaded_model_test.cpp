// The one inference path: a LoadedModel from a checkpoint or a TorchScript file, with its
// preprocessing and classes, and batched top-k predictions.
#include "tlab/infer/loaded_model.h"

#include "../test_util.h"
#include "tlab/core/io.h"
#include "tlab/infer/predict.h"
#include "tlab/models/checkpoint.h"

namespace tlab::test {
namespace {

TEST(LoadedModel, FromACheckpointWithItsInputSpecAndClasses) {
  TempDir dir;
  torch::manual_seed(1);
  auto model = models::create_model("simple_cnn", {3, 3, 20, 20});
  transforms::InputSpec input;
  input.channels = 3;
  input.height = input.width = 20;
  input.mean = {0.5f, 0.4f, 0.3f};
  input.std = {0.2f, 0.2f, 0.2f};
  models::ModelOptions mo{3, 3, 20, 20};
  models::save_checkpoint(dir.str("m.pt"), *model, nullptr,
                          {{"model", "simple_cnn"},
                           {"model_options", models::to_json(mo)},
                           {"input", transforms::to_json(input)},
                           {"classes", {"ant", "bee", "wasp"}}});
  const auto loaded = infer::load_checkpoint(dir.str("m.pt"), torch::kCPU);
  EXPECT_EQ(loaded.classes, (std::vector<std::string>{"ant", "bee", "wasp"}));
  EXPECT_EQ(transforms::to_json(loaded.input), transforms::to_json(input));
  EXPECT_EQ(loaded.architecture, "simple_cnn");

  // Batched predictions equal one image at a time; probabilities sorted, k capped at the classes.
  std::vector<cv::Mat> images;
  for (int i = 0; i < 5; ++i) images.emplace_back(24 + i, 30, CV_8UC3, cv::Scalar(40 * i, 255 - 30 * i, 90));
  const auto batched = infer::predict(loaded, images, 10, /*batch_size=*/2);
  ASSERT_EQ(batched.size(), 5u);
  for (size_t i = 0; i < images.size(); ++i) {
    const auto one = infer::predict(loaded, {images[i]}, 10, 1);
    ASSERT_EQ(batched[i].size(), 3u);
    for (size_t j = 0; j < 3; ++j) {
      EXPECT_EQ(batched[i][j].index, one[0][j].index);
      EXPECT_NEAR(batched[i][j].probability, one[0][j].probability, 1e-6);
    }
    EXPECT_GE(batched[i][0].probability, batched[i][1].probability);
    EXPECT_EQ(batched[i][0].name, loaded.classes[size_t(batched[i][0].index)]);
  }
  // The same logits as the model on the preprocessed batch.
  model->eval();
  torch::NoGradGuard no_grad;
  const auto x = infer::preprocess(loaded, images);
  EXPECT_TRUE(torch::allclose(torch::softmax(model->forward(x), 1), torch::softmax(infer::logits(loaded, x), 1), 1e-5, 1e-6));
  expect_invalid([&] { infer::predict(loaded, images, 0); }, "--topk");
}

TEST(LoadedModel, TorchScriptTakesThePreprocessingAndClassesSavedBesideIt) {
  TempDir dir;
  const std::string shared = shared_dir();
  fs::copy_file(shared + "/weights/mobilenet_v2-imagenet-int8.torchscript.pt", dir.str("model.pt"));
  // Without them: ImageNet's preprocessing and numbered classes.
  const auto plain = infer::load_torchscript(dir.str("model.pt"), torch::kCPU);
  EXPECT_EQ(transforms::to_json(plain.input), transforms::to_json(transforms::imagenet_spec(256, 224)));
  infer::ModelSource source;
  source.model = "torchscript:" + dir.str("model.pt");
  EXPECT_EQ(infer::load(source, torch::kCPU).classes.at(19), "19");

  // An export bundle: preprocess.json and classes.txt beside the model file.
  auto spec = transforms::imagenet_spec(256, 224, "bicubic");
  write_json_atomic(dir.str("preprocess.json"), transforms::to_json(spec));
  write_file_atomic(dir.str("classes.txt"), read_file(shared + "/weights/imagenet_classes.txt"));
  const auto bundled = infer::load(source, torch::kCPU);
  EXPECT_EQ(transforms::to_json(bundled.input), transforms::to_json(spec));
  ASSERT_EQ(bundled.classes.size(), 1000u);
  const auto top = infer::predict_files(bundled, {shared + "/images/bird.bmp", shared + "/images/parrot.jpg"}, 1);
  EXPECT_EQ(top[0][0].name, "chickadee");
  EXPECT_EQ(top[1][0].name, "macaw");

  // Class names that do not fit the outputs are a clear error.
  write_file_atomic(dir.str("three.txt"), "a\nb\nc\n");
  source.labels = dir.str("three.txt");
  expect_invalid([&] { infer::load(source, torch::kCPU); }, "1000 classes");
}

}  // namespace
}  // namespace tlab::test
