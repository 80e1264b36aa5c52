// The ants-and-bees walk-through through the C++ API: fine-tune an ImageNet MobileNetV2 on an
// image folder, then classify photos with the best checkpoint. What `tlab train --strategy
// fine-tune` and `tlab predict` do, in a program of your own.
//
//   build/tlab_example_transfer ../shared/datasets/hymenoptera \
//       ../shared/weights/mobilenet_v2-imagenet-folded.pth runs/api-ants-and-bees PHOTO.jpg...
#include <cstdio>
#include <exception>

#include "tlab/infer/loaded_model.h"
#include "tlab/infer/predict.h"
#include "tlab/train/run.h"
#include "tlab/train/run_dir.h"

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s DATA_DIR WEIGHTS.pth RUN_DIR PHOTO...\n", argv[0]);
    return 2;
  }
  try {
    // 1. Train: the library's options are the CLI's flags (train/options.h documents each one).
    tlab::train::RunOptions run;
    run.data.spec = argv[1];          // DIR/train + DIR/val, one subfolder per class
    run.model.name = "mobilenet_v2";
    run.model.weights = argv[2];      // torchvision's own .pth file
    run.strategy.name = "fine-tune";  // head warm-up, then the backbone at 1/100 of the head's LR
    run.recipe.augment = "light";     // random crops (padded by 1/8) and horizontal flips
    run.recipe.batch_size = 32;
    run.system.out = argv[3];
    tlab::train::TrainCallbacks progress;
    progress.on_epoch = [](const tlab::train::EpochRecord& r) {
      std::printf("epoch %d: train loss %.4f, val accuracy %.4f\n", r.epoch, r.train_loss, r.val_accuracy.value_or(0));
    };
    const auto result = tlab::train::run_training(run, progress);
    std::printf("best checkpoint: val accuracy %.4f, macro F1 %.4f\n", result.splits.at("val").accuracy,
                result.splits.at("val").macro_f1);

    // 2. Predict: the checkpoint carries the architecture, preprocessing and class names.
    const auto model = tlab::infer::load_checkpoint(tlab::train::RunDir::checkpoint_of(run.system.out, "RUN_DIR"),
                                                    torch::kCPU);
    const std::vector<std::string> photos(argv + 4, argv + argc);
    const auto predictions = tlab::infer::predict_files(model, photos, /*k=*/1);
    for (size_t i = 0; i < photos.size(); ++i)
      std::printf("%s: %s (%.3f)\n", photos[i].c_str(), predictions[i][0].name.c_str(), predictions[i][0].probability);
    return 0;
  } catch (const std::exception& e) {  // every library error says what was expected and what was found
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
