#pragma once
// The classification reports a run prints at its end.
#include "tlab/train/run.h"

namespace tlab::app {

// "== val (checkpoint of epoch N) ==" and "== test ... ==" with each split's report, then the run directory.
void print_reports(const train::RunResult& result);

}  // namespace tlab::app
