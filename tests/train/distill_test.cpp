// Distillation: the loss, and converting a batch between two models' preprocessing.
#include "tlab/train/distill.h"

#include "../test_util.h"

namespace tlab::test {
namespace {

TEST(Distillation, LossMatchesHandValues) {
  // Teacher probabilities (0.75, 0.25), student (0.5, 0.5) at T = 1:
  // KL = 0.75 ln 1.5 + 0.25 ln 0.5 = 0.130812...
  const auto student = torch::zeros({1, 2}, torch::requires_grad());
  const auto teacher = torch::tensor({{std::log(3.0f), 0.0f}});
  const auto hard = torch::tensor(2.0);
  EXPECT_NEAR(train::distillation_loss(student, teacher, hard, 1.0, 1.0).item<double>(), 0.1308121, 1e-6);
  EXPECT_NEAR(train::distillation_loss(student, teacher, hard, 1.0, 0.0).item<double>(), 2.0, 1e-12);
  EXPECT_NEAR(train::distillation_loss(student, teacher, hard, 1.0, 0.5).item<double>(), 0.5 * 0.1308121 + 1.0, 1e-6);
  // T = 2: softened teacher (sqrt 3 : 1), scaled by T^2 = 4.
  const double pt = std::sqrt(3.0) / (std::sqrt(3.0) + 1.0);
  const double kl2 = pt * std::log(pt / 0.5) + (1 - pt) * std::log((1 - pt) / 0.5);
  EXPECT_NEAR(train::distillation_loss(student, teacher, hard, 2.0, 1.0).item<double>(), 4.0 * kl2, 1e-6);
  // Equal outputs: no soft loss; no gradient reaches the teacher.
  EXPECT_NEAR(train::distillation_loss(teacher, teacher, hard, 3.0, 1.0).item<double>(), 0.0, 1e-7);
  train::distillation_loss(student, teacher, hard, 2.0, 1.0).backward();
  EXPECT_TRUE(student.grad().defined());
  EXPECT_THROW(train::distillation_loss(torch::zeros({1, 3}), teacher, hard, 1.0, 1.0), std::invalid_argument);
}

TEST(Distillation, ConvertBatchBetweenPreprocessings) {
  transforms::InputSpec grey;  // a scratch student: grey 16 x 16, the data's mean/std
  grey.channels = 1;
  grey.height = grey.width = 16;
  grey.mean = {0.5f};
  grey.std = {0.25f};
  transforms::InputSpec imagenet;  // a teacher: RGB 32 x 32, ImageNet statistics
  imagenet.height = imagenet.width = 32;
  imagenet.mean = {0.485f, 0.456f, 0.406f};
  imagenet.std = {0.229f, 0.224f, 0.225f};
  // Grey level 0.75 (pixel 191.25) everywhere: student value (0.75 - 0.5) / 0.25 = 1.
  const auto x = torch::ones({2, 1, 16, 16});
  const auto y = train::convert_batch(x, grey, imagenet);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 3, 32, 32}));
  for (int c = 0; c < 3; ++c)
    EXPECT_NEAR(y[1][c][5][7].item<float>(), (0.75f - imagenet.mean[c]) / imagenet.std[c], 1e-5) << c;
  // Caffe: BGR, 0-255, mean subtracted. The same pixels, reordered and rescaled.
  transforms::InputSpec caffe = imagenet;
  caffe.bgr = true;
  caffe.scale = 1.0f;
  caffe.mean = {104.0f, 117.0f, 123.0f};
  caffe.std = {};
  const auto rgb = torch::rand({1, 3, 32, 32});
  const auto bgr = train::convert_batch(rgb, imagenet, caffe);
  const auto pixel_r = (rgb[0][0][3][4].item<float>() * 0.229f + 0.485f) * 255.0f;
  EXPECT_NEAR(bgr[0][2][3][4].item<float>(), pixel_r - 123.0f, 1e-3);
  // And back: the identity up to float rounding.
  EXPECT_TRUE(torch::allclose(train::convert_batch(bgr, caffe, imagenet), rgb, 1e-4, 1e-4));
  EXPECT_THROW(train::convert_batch(rgb, grey, imagenet), std::invalid_argument);  // 3 channels, spec says 1
}

}  // namespace
}  // namespace tlab::test
