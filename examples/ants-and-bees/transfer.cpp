// The ants-and-bees walk-through through the C++ API: fine-tune an ImageNet MobileNetV2 on an
// image folder, then classify photos with the best checkpoint. What `tlab train --strategy
// fine-tune` and `tlab predict` do, in a program of your own.
//
//   build/tlab_example_transfer ../shared/datasets/hymenoptera \
//       ../shared/weights/mobilenet_v2-imagenet-folded.pth runs/api-ants-and-bees PHOTO.jpg...
#include <cstdio>
#include <exception>

#include "tlab/data/decode.h"
#include "tlab/train/checkpoint.h"
#include "tlab/train/run.h"
#include "tlab/transforms/preprocess.h"

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s DATA_DIR WEIGHTS.pth RUN_DIR PHOTO...\n", argv[0]);
    return 2;
  }
  try {
    // 1. Train: the library's options are the CLI's flags (RunOptions documents each one).
    tlab::train::RunOptions run;
    run.data = argv[1];          // DIR/train + DIR/val, one subfolder per class
    run.model = "mobilenet_v2";
    run.weights = argv[2];       // torchvision's own .pth file
    run.strategy = "fine-tune";  // head warm-up, then the backbone at 1/100 of the head's LR
    run.augment = "light";       // random crops (padded by 1/8) and horizontal flips
    run.batch_size = 32;
    run.out = argv[3];
    tlab::train::TrainCallbacks progress;
    progress.on_epoch = [](const tlab::train::EpochRecord& r) {
      std::printf("epoch %d: train loss %.4f, val accuracy %.4f\n", r.epoch, r.train_loss, r.val_accuracy.value_or(0));
    };
    const auto result = tlab::train::run_training(run, progress);
    std::printf("best checkpoint: val accuracy %.4f, macro F1 %.4f\n", result.splits.at("val").accuracy,
                result.splits.at("val").macro_f1);

    // 2. Predict: the checkpoint carries the architecture, preprocessing and class names.
    nlohmann::json meta;
    auto model = tlab::train::load_model_from_checkpoint(run.out + "/checkpoints/best.pt", torch::kCPU, &meta);
    const auto input = tlab::transforms::input_spec_from_json(meta.at("input"));
    const auto classes = meta.at("classes").get<std::vector<std::string>>();
    torch::NoGradGuard no_grad;
    for (int i = 4; i < argc; ++i) {
      const cv::Mat image = tlab::data::decode_image(argv[i], tlab::data::DecodeOptions{input.channels});
      auto x = torch::empty({1, input.channels, input.height, input.width});
      tlab::transforms::to_chw_float(image, input, x.data_ptr<float>());
      const auto probabilities = torch::softmax(model->forward(x), 1)[0];
      const int64_t best = probabilities.argmax().item<int64_t>();
      std::printf("%s: %s (%.3f)\n", argv[i], classes[size_t(best)].c_str(), probabilities[best].item<double>());
    }
    return 0;
  } catch (const std::exception& e) {  // every library error says what was expected and what was found
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
